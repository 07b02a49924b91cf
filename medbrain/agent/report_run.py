"""One case through the two report graphs, then files on disk.

``generate_report``: the analysis graph (:mod:`medbrain.agent.analysis_graph`) turns the case
into facts and a montage; the writing graph (:mod:`medbrain.agent.writing_graph`) turns the
facts into the verified assessment; this module then builds the document and writes each
file once.
"""

from __future__ import annotations

import importlib.metadata as md
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from langchain_core.language_models import BaseChatModel

from medbrain import __version__
from medbrain.agent.analysis_graph import AnalysisGraph
from medbrain.agent.llm import LLMSettings, backend_description, supports_images
from medbrain.agent.state import ReportState
from medbrain.agent.writer import SECTION_KEYS, SUMMARY_KEY
from medbrain.agent.writing_graph import WritingGraph, WritingOptions
from medbrain.data.discovery import CaseFiles
from medbrain.data.writing import save_label_map
from medbrain.io import atomic_write_lines
from medbrain.report.document import SECTION_TITLES, ReportDocument, Section
from medbrain.report.writer import write_report
from medbrain.tools.paths import AllowedRoots
from medbrain.pipeline.registry import build_tools
from medbrain.pipeline.workspace import CaseWorkspace

PACKAGES = ("torch", "segmentation-models-pytorch", "transformers", "captum", "langgraph", "langchain-core", "nibabel")


@dataclass
class ReportOutcome:
    case_id: str
    out_dir: Path
    files: dict[str, Path]
    seconds: float
    verified_sections: int
    fallback_sections: int
    revisions: int
    state: ReportState = field(repr=False, default_factory=dict)
    warnings: list[str] = field(default_factory=list)  # the report's warnings (case, writing)


def package_versions() -> dict[str, str]:
    versions = {"medbrain": __version__}
    for name in PACKAGES:
        try:
            versions[name] = md.version(name)
        except md.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def build_document(state: ReportState, ws: CaseWorkspace, settings: LLMSettings, seconds: float) -> ReportDocument:
    sections = []
    for key in SECTION_KEYS:
        result = state["verification"][key]
        source = state["sources"][key]
        fallback = source == "grounded-fallback"
        sections.append(Section(
            key=key, title=SECTION_TITLES[key], text=state["sections"][key], source=source,
            verified=result["passed"] or fallback,
            unsupported_claims=[f"{c['text']}: {c['reason']}"
                                for c in result["unsupported"] or result.get("removed_claims", [])]))
    verification = {
        "sections": {k: {"passed": v["passed"], "claims_checked": v["claims_checked"],
                         "unsupported": v["unsupported"], "removed_sentences": v.get("removed", [])}
                     for k, v in state["verification"].items()},
        "pruned_sections": [k for k in SECTION_KEYS if state["sources"][k] == "llm-pruned"],
        "revisions": state.get("revisions", 0),
        "fallback_sections": [k for k in SECTION_KEYS if state["sources"][k] == "grounded-fallback"],
        "patient_summary_source": state["sources"].get(SUMMARY_KEY, state["sources"][SECTION_KEYS[0]]),
    }
    provenance = {
        "checkpoint": ws.checkpoint.path.name if ws.checkpoint.path else None,
        "checkpoint_sha256": ws.checkpoint.sha256,
        "checkpoint_integrity": ws.checkpoint.integrity,
        "transformer": ws.checkpoint.metadata.get("transformer"),
        "llm": backend_description(settings),
        "llm_calls": list(state.get("llm_calls") or []),
        "seed": ws.seed,
        "tta": ws.tta,
        "packages": package_versions(),
        "tool_calls": [{k: e[k] for k in ("tool", "duration_s", "ok")} for e in ws.log.entries],
        "wall_time_s": round(seconds, 1),
    }
    scores = (state["facts"].get("segmentation") or {}).get("scores_vs_truth")
    return ReportDocument(
        case_id=ws.case.case_id, sections=sections, patient_summary=state["patient_summary"],
        facts=state["facts"], figures=[Path(f) for f in state.get("figures") or []], provenance=provenance,
        synthetic=ws.synthetic, segmentation_scores=scores, verifier=verification,
        warnings=[*ws.case.warnings, *(state.get("warnings") or [])])


def generate_report(
    case_path: str | Path,
    out_dir: str | Path,
    workspace: CaseWorkspace,
    *,
    roots: AllowedRoots,
    settings: LLMSettings,
    llm: BaseChatModel | None = None,
    formats: str = "md,html,json",
    max_revisions: int = 2,
    drafting: str = "structured",
    files: CaseFiles | None = None,
) -> ReportOutcome:
    """Run the graph on one case and write report.{md,html,json}, the prediction and figures.

    ``drafting`` (with an LLM): ``structured`` JSON sentences citing facts, or ``free`` text.
    ``files``: the case as a batch already discovered and checked (else it is discovered here).
    """
    start = time.perf_counter()
    if files is None:
        files = roots.check_case(case_path)
    else:
        roots.check_files(files)
    case_path = roots.check_path(case_path)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    workspace.log.path = None  # kept in memory; written once, atomically, with this report
    workspace.load(case_path, files=files)  # discovered once: the graph's load step finds it held
    work_dir = out_dir / ".work"  # the montage, until write_report copies it into figures/
    work_dir.mkdir(exist_ok=True)
    try:
        analysis = AnalysisGraph(workspace, figure_dir=work_dir).run(case_path)
        options = WritingOptions(max_revisions=max_revisions, drafting=drafting, on_step=workspace.log.step,
                                 attach_image=llm is not None and supports_images(settings),
                                 refresh_facts=lambda: dict(workspace.facts))
        tools = build_tools(workspace, roots) if llm is not None else []
        written = WritingGraph(llm, tools, options).run(analysis["facts"], figures=analysis.get("figures"),
                                                        warnings=analysis.get("warnings"))
        state: ReportState = {**analysis, **written}
        workspace.log.step("writing files")
        doc = build_document(state, workspace, settings, time.perf_counter() - start)
        written_files: dict[str, Path] = {
            "prediction": save_label_map(workspace.prediction.label, workspace.case,
                                         out_dir / f"{workspace.case.case_id}_pred.nii.gz"),
            "tool_log": atomic_write_lines(out_dir / "tool_calls.jsonl", workspace.log.entries)}
        written_files.update(write_report(doc, out_dir, formats))
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)
    sources = state["sources"]
    return ReportOutcome(
        case_id=workspace.case.case_id, out_dir=out_dir, files=written_files, seconds=time.perf_counter() - start,
        verified_sections=sum(state["verification"][k]["passed"] for k in SECTION_KEYS),
        fallback_sections=sum(sources[k] == "grounded-fallback" for k in SECTION_KEYS),
        revisions=state.get("revisions", 0), state=state, warnings=list(doc.warnings))
