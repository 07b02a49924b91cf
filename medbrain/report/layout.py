"""The page a reader sees, in order, shared by the HTML and Markdown renderers.

1. Header: case id, the research-tool disclaimer, the synthetic-case banner, the
   verification line and every warning (missing sequences, unverified checkpoint, missing
   sections): whatever changes how far the page can be trusted is on the first screen.
2. The four assessment sections, in canonical order.
3. The figures (the explanation montage).
4. The patient summary.
5. The facts as readable tables (display names, units).
6. The appendix: raw facts, verification record, provenance (a closed ``<details>`` in
   HTML, the last heading in Markdown).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from medbrain.report.appendix import appendix_tables
from medbrain.report.document import (
    DISCLAIMER,
    SYNTHETIC_BANNER,
    ReportDocument,
    Section,
    figure_names,
    missing_sections,
    ordered_sections,
    report_warnings,
    verification_line,
)
from medbrain.report.tables import Table, fact_tables

FACTS_TITLE = "Facts (from the tools)"
APPENDIX_TITLE = "Appendix: raw tool results"
JSON_NOTE = "Full tool results, section texts and verifier findings are in report.json."


@dataclass(frozen=True)
class Figure:
    """One figure: its source file and the name it has under ``figures/``."""

    path: Path
    name: str


@dataclass(frozen=True)
class ReportView:
    """Everything one report page shows, in reading order (text still untrusted)."""

    case_id: str
    disclaimer: str
    synthetic_banner: str | None
    verification: str
    warnings: list[str]
    missing_sections: list[str]
    sections: list[Section]
    figures: list[Figure]
    patient_summary: str
    fact_tables: list[Table]
    appendix: list[Table]


def build_view(doc: ReportDocument) -> ReportView:
    """The page of ``doc``, ready for a renderer."""
    return ReportView(
        case_id=" ".join(str(doc.case_id).split()),
        disclaimer=DISCLAIMER,
        synthetic_banner=SYNTHETIC_BANNER if doc.synthetic else None,
        verification=verification_line(doc),
        warnings=report_warnings(doc),
        missing_sections=missing_sections(doc),
        sections=ordered_sections(doc),
        figures=[Figure(Path(p), n) for p, n in zip(doc.figures, figure_names(doc.figures))],
        patient_summary=doc.patient_summary,
        fact_tables=fact_tables(doc.facts, doc.segmentation_scores),
        appendix=appendix_tables(doc),
    )
