"""`medbrain report` over many cases: each usable batch item (see ``pipeline.batch_items``)
runs the report graph into its own folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from langchain_core.language_models import BaseChatModel

from medbrain.agent.llm import LLMSettings
from medbrain.agent.report_run import ReportOutcome, generate_report
from medbrain.pipeline.batch import BatchItem
from medbrain.tools.paths import AllowedRoots
from medbrain.pipeline.workspace import CaseWorkspace


def report_work(ws_factory: Callable[[], CaseWorkspace], *, roots: AllowedRoots, settings: LLMSettings,
                llm: BaseChatModel | None, formats: str, max_revisions: int
                ) -> Callable[[BatchItem, Path], ReportOutcome]:
    """The per-case work of a report batch: a fresh workspace, the graph, files into ``staging``."""

    def work(item: BatchItem, staging: Path) -> ReportOutcome:
        return generate_report(item.path, staging, ws_factory(), roots=roots, settings=settings, llm=llm,
                               formats=formats, max_revisions=max_revisions, files=item.files)

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
