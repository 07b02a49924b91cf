"""``medbrain train``: prepare a training cache, train the segmenter, export a checkpoint.

The top-level CLI (:mod:`medbrain.cli`) mounts this app as ``medbrain train``;
``python -m medbrain.train`` / ``torchrun ... -m medbrain.train`` run ``train run`` directly,
without importing the rest of the CLI. Heavy imports stay inside the commands so that
``medbrain --help`` stays fast.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.markup import escape

from medbrain.errors import MedBrainError

console = Console()

app = typer.Typer(help="Prepare a training cache and train the segmenter.", no_args_is_help=True,
                  pretty_exceptions_enable=False)


@app.command("prepare")
def train_prepare(
    data: Path = typer.Argument(..., help="Data root with labelled cases."),
    cache: Path = typer.Option(..., "--cache", help="Cache folder to write."),
) -> None:
    """Preprocess labelled cases once into a compact cache (int8 z-scores, compressed)."""
    from medbrain.io import ensure_output_dir
    from medbrain.train.cache import prepare_cache

    ensure_output_dir(cache, "--cache")
    manifest = prepare_cache(data, cache)
    size = sum(p.stat().st_size for p in cache.glob("*.npz")) / 2**20
    console.print(escape(f"Cache ready: {manifest} ({size:.1f} MiB)"), highlight=False)


@app.command("run")
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
    et_fraction: float = typer.Option(0.0, help="Share of tumour-centred samples centred on enhancing tumour."),
    sequence_dropout: float = typer.Option(0.0, help="Per-sample probability of blanking a random subset of sequences."),
    val_count: int = typer.Option(3, help="Validation cases (split by case, seeded); 0 trains on every case."),
    folds: int = typer.Option(0, help="Cross-validation folds (split by case, seeded); overrides --val-count."),
    fold: int = typer.Option(0, help="Which fold (0-based) to validate on when --folds is set."),
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
    from medbrain.io import ensure_output_dir
    from medbrain.model.config import ModelConfig
    from medbrain.model.pretrained import read_state_dict
    from medbrain.train.distributed import cleanup
    from medbrain.train.loop import TrainConfig, Trainer

    ensure_output_dir(out)  # before loading the cache
    if encoder_weights:
        read_state_dict(encoder_weights)  # refuse a pickle (or a damaged file) now, not after loading the cache
    model = ModelConfig(
        encoder=encoder, head=head, context=context,
        transformer=None if transformer.lower() == "none" else transformer,
        decoder_channels=tuple(int(c) for c in decoder_channels.split(",")),
    )
    cfg = TrainConfig(
        cache=str(cache), out=str(out), model=model, epochs=epochs, steps_per_epoch=steps_per_epoch,
        batch_size=batch_size, accum=accum, lr=lr, weight_decay=weight_decay, alpha=alpha, crop=crop,
        tumour_fraction=tumour_fraction, et_fraction=et_fraction, sequence_dropout=sequence_dropout,
        val_count=val_count, folds=folds, fold=fold, patience=patience, val_every=val_every,
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
    if trainer.ctx.is_main and trainer.val_cases:
        console.print(escape(f"Best validation Dice {best['dice']:.4f} at epoch {best['dice_epoch']}; run folder {out}"),
                      highlight=False)
    elif trainer.ctx.is_main:
        console.print(escape(f"Trained on every case (no validation); final weights {out / 'last.safetensors'}"),
                      highlight=False)


@app.command("export")
def train_export(
    checkpoint: Path = typer.Argument(..., help="A run's checkpoint, e.g. RUN/best_dice.safetensors."),
    out: Path = typer.Option(..., "--out", help="Output NAME (writes NAME.safetensors + NAME.json)."),
    fp16: bool = typer.Option(True, "--fp16/--fp32", help="Store weights in half precision (half the size)."),
    min_et_voxels: int = typer.Option(0, help="Post-processing: relabel a predicted ET smaller than this as NCR."),
    min_et_component_voxels: int = typer.Option(0, help="Post-processing: relabel each ET component smaller than this as NCR."),
    min_wt_component_voxels: int = typer.Option(0, help="Post-processing: remove each tumour component smaller than this."),
    validation: Optional[Path] = typer.Option(None, help="JSON of validation results to record with the model."),
) -> None:
    """Package a trained checkpoint for shipping: fp16 weights, post-processing and validation in the JSON."""
    import json

    import torch

    from medbrain.io import ensure_output_dir
    from medbrain.model.checkpoint import load_checkpoint, save_checkpoint

    ensure_output_dir(out.parent, "--out folder")
    ckpt = load_checkpoint(checkpoint)
    meta = {k: v for k, v in ckpt.metadata.items() if k == "training"}
    meta["postprocessing"] = {"threshold": 0.5, "min_et_voxels": min_et_voxels,
                              "min_et_component_voxels": min_et_component_voxels,
                              "min_wt_component_voxels": min_wt_component_voxels}
    meta["exported_from"] = {"file": checkpoint.name, "sha256": ckpt.sha256}
    if validation:
        meta["validation"] = json.loads(validation.read_text())
    path = save_checkpoint(ckpt.model, out, metadata=meta, dtype=torch.float16 if fp16 else None)
    console.print(escape(f"Wrote {path} ({path.stat().st_size / 2**20:.1f} MiB) and {path.with_suffix('.json')}"),
                  highlight=False)


def main(argv: list[str] | None = None) -> None:
    """``python -m medbrain.train ARGS`` = ``medbrain train run ARGS``; errors print without a traceback."""
    args = sys.argv[1:] if argv is None else argv
    try:
        app(["run", *args], prog_name="medbrain.train")
    except MedBrainError as exc:
        Console(stderr=True).print(f"[bold red]Error:[/] {escape(str(exc))}", highlight=False)
        sys.exit(exc.exit_code)
