"""Render a :class:`ReportDocument` as one self-contained HTML file (``report.html``).

- Inline CSS, figures as base64 ``data:`` URIs, no scripts and no external resource; a
  Content-Security-Policy forbids scripts and remote loads as a second line of defence.
- Every untrusted string (case id, section text, summary, claims, fact values, provenance)
  goes through :func:`html.escape` first; a tiny Markdown subset (paragraphs, ``- ``/``1.``
  lists, ``#`` headings, ``**bold**``, ``*italic*``, ```code```) is applied to the
  *escaped* text, so it can add only the tags this module writes.
"""

from __future__ import annotations

import base64
import html
import mimetypes
import re
from pathlib import Path
from typing import Iterable

from medbrain.report.document import (
    DISCLAIMER,
    SYNTHETIC_BANNER,
    ReportDocument,
    Section,
    claims_heading,
    fact_detail_tables,
    figure_names,
    flatten,
    key_fact_rows,
    method_table,
    missing_sections,
    ordered_sections,
    parse_blocks,
    score_tables,
    section_status,
)

CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
               ".gif": "image/gif", ".webp": "image/webp", ".svg": "image/svg+xml"}

CSS = """
:root { --fg:#1d2430; --muted:#5b6473; --line:#d8dde5; --bg:#ffffff; --panel:#f5f7fa;
        --accent:#1f5fa8; --ok:#1e7b3a; --bad:#b3261e; --warn:#8a5a00; }
* { box-sizing: border-box; }
body { margin:0; background:#eef1f5; color:var(--fg);
       font: 15px/1.55 "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1100px; margin: 0 auto; background: var(--bg); padding: 28px 36px 40px;
       min-height: 100vh; }
header h1 { margin: 0 0 4px; font-size: 26px; }
header .case { font-family: "DejaVu Sans Mono", monospace; background: var(--panel);
               padding: 1px 6px; border-radius: 4px; word-break: break-all; }
header .sub { color: var(--muted); margin: 0 0 16px; }
h2 { font-size: 20px; margin: 30px 0 10px; padding-bottom: 4px; border-bottom: 2px solid var(--line); }
h3 { font-size: 16px; margin: 20px 0 8px; }
h4 { font-size: 15px; margin: 14px 0 6px; }
.disclaimer { border-left: 5px solid var(--muted); background: var(--panel); padding: 10px 14px;
              margin: 12px 0; font-size: 14px; }
.banner { border: 3px solid var(--bad); background: #fdecea; color: var(--bad); padding: 12px 16px;
          margin: 14px 0; font-size: 16px; border-radius: 6px; }
.banner strong { font-size: 19px; letter-spacing: .04em; }
.warnings { border-left: 5px solid var(--warn); background: #fff6e0; padding: 8px 14px; margin: 12px 0; }
table { border-collapse: collapse; margin: 8px 0 16px; width: 100%; font-size: 14px; }
th, td { border: 1px solid var(--line); padding: 5px 9px; text-align: left; vertical-align: top;
         overflow-wrap: anywhere; }
th { background: var(--panel); font-weight: 600; }
table.kv th { width: 34%; }
table.scores { width: auto; min-width: 40%; }
section.part { border: 1px solid var(--line); border-radius: 8px; padding: 4px 18px 10px; margin: 18px 0; }
section.part h2 { border: 0; margin-top: 12px; }
.status { display: inline-block; font-size: 13px; padding: 2px 9px; border-radius: 12px;
          background: var(--panel); color: var(--muted); margin-bottom: 6px; }
.status.ok { color: var(--ok); background: #e7f4ea; }
.status.bad { color: var(--bad); background: #fdecea; }
.status.fallback { color: var(--warn); background: #fff6e0; }
.claims { border-left: 4px solid var(--bad); padding: 4px 12px; background: #fff7f6; font-size: 14px; }
.summary { background: #eef5fc; border-radius: 8px; padding: 8px 18px; }
figure { margin: 14px 0 22px; }
figure img { display: block; width: 100%; height: auto; border: 1px solid var(--line); }
figcaption { color: var(--muted); font-size: 13px; margin-top: 4px; }
.missing { color: var(--bad); }
code { font-family: "DejaVu Sans Mono", monospace; background: var(--panel); padding: 0 4px; border-radius: 3px; }
footer { color: var(--muted); font-size: 13px; margin-top: 28px; }
@media print { body { background: #fff; } main { padding: 0; } section.part { break-inside: avoid; } }
"""

_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_ITALIC = re.compile(r"(?<![*\w])\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?![*\w])")
_CODE = re.compile(r"`([^`]+)`")


def esc(text: object) -> str:
    """HTML-escape any value (quotes included)."""
    return html.escape(str(text), quote=True)


def inline(text: str) -> str:
    """Escape untrusted text, then apply **bold**, *italic* and `code`."""
    out = esc(text)
    out = _CODE.sub(r"<code>\1</code>", out)
    out = _BOLD.sub(r"<strong>\1</strong>", out)
    return _ITALIC.sub(r"<em>\1</em>", out)


def text_to_html(text: str) -> str:
    """Untrusted markdown-ish text as safe HTML blocks."""
    parts: list[str] = []
    for kind, value in parse_blocks(text):
        if kind == "p":
            parts.append(f"<p>{inline(value)}</p>")
        elif kind == "h":
            parts.append(f"<h4>{inline(value)}</h4>")
        else:
            items = "".join(f"<li>{inline(item)}</li>" for item in value)
            parts.append(f"<{kind}>{items}</{kind}>")
    return "\n".join(parts) or "<p><em>(empty)</em></p>"


def kv_table(rows: Iterable[tuple[str, str]], cls: str = "kv") -> str:
    """A two-column key/value table, both columns escaped."""
    body = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in rows)
    return f'<table class="{cls}">{body}</table>'


def grid_table(header: list[str], rows: Iterable[list[str]], cls: str = "") -> str:
    """A table with a header row, every cell escaped."""
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def data_uri(path: Path) -> str | None:
    """``data:`` URI of an image file, or None when it cannot be read."""
    try:
        data = Path(path).read_bytes()
    except OSError:
        return None
    mime = IMAGE_TYPES.get(Path(path).suffix.lower()) or mimetypes.guess_type(str(path))[0] or "image/png"
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _section(section: Section) -> str:
    if section.source == "grounded-fallback":
        cls = "fallback"
    else:
        cls = "ok" if section.verified else "bad"
    out = [f'<section class="part" id="{esc(section.key)}">', f"<h2>{esc(section.title)}</h2>",
           f'<div class="status {cls}">{esc(section_status(section))}</div>', text_to_html(section.text)]
    if section.unsupported_claims:
        claims = "".join(f"<li>{esc(c)}</li>" for c in section.unsupported_claims)
        out.append(f'<div class="claims"><strong>{esc(claims_heading(section))}:</strong><ul>{claims}</ul></div>')
    out.append("</section>")
    return "\n".join(out)


def render_html(doc: ReportDocument) -> str:
    """The whole report as one self-contained HTML page."""
    case = esc(" ".join(str(doc.case_id).split()))
    body: list[str] = [
        "<header>",
        f'<h1>MedBrainInsight report: case <span class="case">{case}</span></h1>',
        '<p class="sub">Brain-tumour MRI: segmentation, explanations and a grounded four-part assessment</p>',
        "</header>",
        f'<div class="disclaimer" role="note"><strong>Disclaimer.</strong> {esc(DISCLAIMER)}</div>',
    ]
    if doc.synthetic:
        body.append('<div class="banner" role="alert"><strong>⚠ SYNTHETIC CASE</strong><br>'
                    f"{esc(SYNTHETIC_BANNER)}</div>")
    if doc.warnings:
        items = "".join(f"<li>{esc(w)}</li>" for w in doc.warnings)
        body.append(f'<div class="warnings"><strong>Warnings</strong><ul>{items}</ul></div>')
    missing = missing_sections(doc)
    if missing:
        body.append(f'<div class="warnings"><strong>Missing sections:</strong> {esc(", ".join(missing))}</div>')

    scalar, matrix = score_tables(doc.segmentation_scores)
    if scalar or matrix:
        body.append("<h2>Segmentation quality (Dice against the known truth)</h2>")
        if scalar:
            body.append(grid_table(["Region", "Dice"], [list(r) for r in scalar], "scores"))
        if matrix:
            body.append(grid_table(["", *matrix[0]], matrix[1], "scores"))

    body.append("<h2>Key facts (from the tools)</h2>")
    rows = key_fact_rows(doc)
    body.append(kv_table(rows) if rows else "<p>No recognised measurements.</p>")
    methods = method_table(doc)
    if methods:
        body += ["<h3>Explanation methods</h3>", grid_table(*methods)]
    for title, detail in fact_detail_tables(doc):
        body += [f"<h3>{esc(title)}</h3>", kv_table(detail)]

    body += [_section(s) for s in ordered_sections(doc)]
    body += ["<h2>Patient summary</h2>", f'<div class="summary">{text_to_html(doc.patient_summary)}</div>']

    names = figure_names(doc.figures)
    if names:
        body.append("<h2>Figures</h2>")
        for path, name in zip(doc.figures, names):
            uri = data_uri(path)
            if uri is None:
                body.append(f'<p class="missing">Figure not found: {esc(name)}</p>')
            else:
                body.append(f'<figure><img src="{uri}" alt="{esc(name)}"><figcaption>{esc(name)}</figcaption></figure>')

    if doc.verifier:
        body += ["<h2>Verification</h2>", kv_table(flatten(doc.verifier))]
    body.append("<h2>Provenance</h2>")
    body.append(kv_table(flatten(doc.provenance)) if doc.provenance else "<p>(none)</p>")
    body.append("<footer>Full tool results, section texts and verifier findings are in report.json. "
                f"{esc(DISCLAIMER)}</footer>")

    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="referrer" content="no-referrer">',
        f"<title>MedBrainInsight report: {case}</title>",
        f"<style>{CSS}</style>",
        "</head>",
        "<body><main>",
        *body,
        "</main></body>",
        "</html>",
        "",
    ])
