"""Render a :class:`ReportDocument` as Markdown (``report.md``).

Untrusted text (case id, sections, summary, fact values) has ``<`` replaced by ``&lt;``
so that a Markdown viewer that passes HTML through cannot be made to render a tag, and
``![`` escaped so that it cannot embed a remote image; table
cells also have ``|`` and line breaks neutralised. Figures are linked relatively as
``figures/NAME`` (the writer copies them there).
"""

from __future__ import annotations

from typing import Iterable
from urllib.parse import quote

from medbrain.report.document import (
    DISCLAIMER,
    SYNTHETIC_BANNER,
    ReportDocument,
    claims_heading,
    fact_detail_tables,
    figure_names,
    flatten,
    key_fact_rows,
    method_table,
    missing_sections,
    ordered_sections,
    score_tables,
    section_status,
)


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


def render_markdown(doc: ReportDocument) -> str:
    """The whole report as Markdown text."""
    out: list[str] = [f"# MedBrainInsight report: case {code_span(doc.case_id)}", ""]
    out += [f"> **Disclaimer.** {DISCLAIMER}", ""]
    if doc.synthetic:
        out += [f"> **⚠ SYNTHETIC CASE.** {SYNTHETIC_BANNER}", ""]
    if doc.warnings:
        out += ["**Warnings**", ""] + [f"- {md_cell(w)}" for w in doc.warnings] + [""]
    missing = missing_sections(doc)
    if missing:
        out += [f"**Missing sections:** {md_cell(', '.join(missing))}", ""]

    scalar, matrix = score_tables(doc.segmentation_scores)
    if scalar or matrix:
        out += ["## Segmentation quality (Dice against the known truth)", ""]
        if scalar:
            out += table(["Region", "Dice"], scalar)
        if matrix:
            out += table(["", *matrix[0]], matrix[1])

    rows = key_fact_rows(doc)
    out += ["## Key facts (from the tools)", ""]
    out += table(["Fact", "Value"], rows) if rows else ["No recognised measurements.", ""]
    methods = method_table(doc)
    if methods:
        out += ["### Explanation methods", ""] + table(*methods)
    for title, detail in fact_detail_tables(doc):
        out += [f"### {md_text(title)}", ""] + table(["Key", "Value"], detail)

    for section in ordered_sections(doc):
        out += [f"## {md_cell(section.title)}", "", f"*{md_text(section_status(section))}*", ""]
        out += [md_text(section.text).strip() or "_(empty)_", ""]
        if section.unsupported_claims:
            out += [f"**{claims_heading(section)}:**", ""]
            out += [f"- {md_cell(claim)}" for claim in section.unsupported_claims] + [""]

    out += ["## Patient summary", "", md_text(doc.patient_summary).strip() or "_(none)_", ""]

    names = figure_names(doc.figures)
    if names:
        out += ["## Figures", ""]
        out += [f"![{md_cell(name)}](figures/{quote(name)})\n" for name in names]

    if doc.verifier:
        out += ["## Verification", ""] + table(["Check", "Value"], flatten(doc.verifier))
    out += ["## Provenance", ""]
    out += table(["Key", "Value"], flatten(doc.provenance)) if doc.provenance else ["_(none)_", ""]
    out += ["Full tool results, section texts and verifier findings are in `report.json`.", ""]
    return "\n".join(out).rstrip("\n") + "\n"
