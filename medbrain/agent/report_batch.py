"""`medbrain report` over many cases: every input found becomes a batch item, with its error
when it cannot be used, and each usable case runs the report graph into its own folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from langchain_core.language_models import BaseChatModel

from medbrain.agent.llm import LLMSettings
from medbrain.agent.report_run import ReportOutcome, generate_report
from medbrain.data.discovery import CaseFiles, resolve_case, scan_cases
from medbrain.errors import CaseNotFoundError, MedBrainError
from medbrain.pipeline.batch import BatchItem
from medbrain.tools.paths import AllowedRoots
from medbrain.pipeline.workspace import CaseWorkspace


def _input_path(files: CaseFiles) -> Path:
    """The path a case is given by: its folder, or the MSD 4-D image."""
    return files.images["t1"] if files.layout == "msd" else files.images["t1"].parent


def items_from_paths(paths: list[Path], roots: AllowedRoots) -> list[BatchItem]:
    """One item per case path given on the command line (errors kept, not raised)."""
    items = []
    for path in paths:
        try:
            files = resolve_case(roots.check(path))
            items.append(BatchItem(files.case_id, _input_path(files), files.case_id))
        except MedBrainError as exc:
            items.append(BatchItem(Path(path).name or str(path), Path(path), error=exc))
    return items


def items_from_data_dir(data_dir: Path, roots: AllowedRoots) -> list[BatchItem]:
    """One item per case folder under ``data_dir``, usable or not (nothing is skipped silently)."""
    cases, problems = scan_cases(data_dir)
    items = []
    for files in cases:
        path = _input_path(files)
        try:
            roots.check_path(path)
            roots.check_files(files)
            items.append(BatchItem(files.case_id, path, files.case_id))
        except MedBrainError as exc:
            items.append(BatchItem(files.case_id, path, error=exc))
    base = Path(data_dir).expanduser()
    for problem in problems:
        try:
            label = str(problem.folder.relative_to(base)) if problem.folder != base else problem.label
        except ValueError:
            label = problem.label
        items.append(BatchItem(label, problem.folder, error=problem.error))
    if not items:
        raise CaseNotFoundError(f"No cases found under {data_dir}: no folder there holds BraTS-named images "
                                "(<id>_t1.nii.gz ... or <id>-t1n.nii.gz ...) or an MSD imagesTr/ folder.")
    return items


def report_work(ws_factory: Callable[[], CaseWorkspace], *, roots: AllowedRoots, settings: LLMSettings,
                llm: BaseChatModel | None, formats: str, max_revisions: int
                ) -> Callable[[BatchItem, Path], ReportOutcome]:
    """The per-case work of a report batch: a fresh workspace, the graph, files into ``staging``."""

    def work(item: BatchItem, staging: Path) -> ReportOutcome:
        return generate_report(item.path, staging, ws_factory(), roots=roots, settings=settings, llm=llm,
                               formats=formats, max_revisions=max_revisions)

    return work


def summary_cells(outcome: Any) -> tuple[str, str, str, str]:
    """seconds, sections verified, WT (mL), confidence of a finished report."""
    if not isinstance(outcome, ReportOutcome):
        return ("", "", "", "")
    facts = outcome.state.get("facts", {})
    wt = (facts.get("measurements") or {}).get("volumes_ml", {}).get("WT", "")
    level = (facts.get("confidence") or {}).get("level", "")
    return (f"{outcome.seconds:.1f}", f"{outcome.verified_sections}/4 ({outcome.fallback_sections} fallback)",
            str(wt), str(level))
