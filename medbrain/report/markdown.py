"""Render a :class:`ReportDocument` as Markdown (``report.md``), in the reading order of
:mod:`medbrain.report.layout`: header and warnings, the four sections, figures, patient
summary, readable fact tables, and last an "Appendix" with the raw tool results.

Untrusted text (case id, sections, summary, fact values) has ``<`` replaced by ``&lt;``
so that a Markdown viewer that passes HTML through cannot be made to render a tag, and
``![`` escaped so that it cannot embed a remote image; table
cells also have ``|`` and line breaks neutralised. Figures are linked relatively as
``figures/NAME`` (the writer copies them there).
"""

from __future__ import annotations

from typing import Iterable
from urllib.parse import quote

from medbrain.report.document import ReportDocument, claims_heading, section_status
from medbrain.report.layout import APPENDIX_TITLE, FACTS_TITLE, JSON_NOTE, build_view
from medbrain.report.tables import Table


def md_text(text: str) -> str:
    """Untrusted text for Markdown: no raw HTML tag or remote image can form."""
    return str(text).replace("<", "&lt;").replace("![", "!\\[")


def md_cell(text: str) -> str:
    """Untrusted text for one Markdown table cell."""
    return md_text(" ".join(str(text).split())).replace("|", "\\|")


def code_span(text: str) -> str:
    """``text`` as an inline code span, safe whatever backticks it holds."""
    text = " ".join(str(text).split())
    longest, run = 0, 0
    for ch in text:
        run = run + 1 if ch == "`" else 0
        longest = max(longest, run)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def table(header: Iterable[str], rows: Iterable[Iterable[str]]) -> list[str]:
    """A Markdown pipe table (cells escaped)."""
    header = [md_cell(h) for h in header]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(md_cell(c) for c in row) + " |" for row in rows]
    return lines + [""]


def quote_block(text: str) -> list[str]:
    """Untrusted text as a Markdown block quote."""
    return ["> " + line if line.strip() else ">" for line in md_text(text).splitlines()] + [""]


def table_lines(t: Table, level: str = "###") -> list[str]:
    """A titled :class:`Table` (its note when it has no rows)."""
    out = [f"{level} {md_cell(t.title)}", ""] if t.title else []
    if t.rows:
        out += table(t.header, t.rows)
    if t.note:
        out += [md_text(t.note), ""]
    return out


def render_markdown(doc: ReportDocument) -> str:
    """The whole report as Markdown text."""
    v = build_view(doc)
    out: list[str] = [f"# MedBrainInsight report: case {code_span(doc.case_id)}", ""]
    out += [f"> **Disclaimer.** {v.disclaimer}", ""]
    if v.synthetic_banner:
        out += [f"> **⚠ SYNTHETIC CASE.** {v.synthetic_banner}", ""]
    out += [f"**Verification.** {md_text(v.verification)}", ""]
    if v.warnings:
        out += ["**Warnings**", ""] + [f"- {md_cell(w)}" for w in v.warnings] + [""]
    if v.missing_sections:
        out += [f"**Missing sections:** {md_cell(', '.join(v.missing_sections))}", ""]

    for section in v.sections:
        out += [f"## {md_cell(section.title)}", "", f"*{md_text(section_status(section))}*", ""]
        out += [md_text(section.text).strip() or "_(empty)_", ""]
        if section.unsupported_claims:
            out += [f"**{claims_heading(section)}:**", ""]
            out += [f"- {md_cell(claim)}" for claim in section.unsupported_claims] + [""]

    if v.figures:
        out += ["## Figures", ""]
        out += [f"![{md_cell(f.name)}](figures/{quote(f.name)})\n" for f in v.figures]

    out += ["## Patient summary", "", md_text(v.patient_summary).strip() or "_(none)_", ""]

    out += [f"## {FACTS_TITLE}", ""]
    for t in v.fact_tables:
        out += table_lines(t)

    out += [f"## {APPENDIX_TITLE}", ""]
    for t in v.appendix:
        out += table_lines(t)
    out += [JSON_NOTE.replace("report.json", "`report.json`"), ""]
    return "\n".join(out).rstrip("\n") + "\n"
