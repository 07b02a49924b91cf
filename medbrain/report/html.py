"""Render a :class:`ReportDocument` as one self-contained HTML file (``report.html``).

The page is the Jinja2 template ``templates/report.html`` (with ``report.css`` inlined),
loaded from the installed package and rendered with autoescape on, so every untrusted
string (case id, claims, warnings, fact values, provenance) is HTML-escaped. Section texts
and the patient summary are Markdown, rendered by :func:`medbrain.report.text.markdown_html`
(markdown-it-py, raw HTML, links and images off). Figures are embedded as base64 ``data:``
URIs; there are no scripts and no external resources, and a Content-Security-Policy forbids
both as a second line of defence. The reading order is :mod:`medbrain.report.layout`'s.
"""

from __future__ import annotations

import base64
import mimetypes
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined, Template
from markupsafe import Markup

from medbrain.report.document import ReportDocument, Section, claims_heading, section_status
from medbrain.report.layout import APPENDIX_TITLE, FACTS_TITLE, JSON_NOTE, build_view
from medbrain.report.text import markdown_html

TEMPLATE = "report.html"
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
               ".gif": "image/gif", ".webp": "image/webp", ".svg": "image/svg+xml"}


@dataclass(frozen=True)
class EmbeddedFigure:
    """A figure as the page shows it: its name and ``data:`` URI (None when unreadable)."""

    name: str
    uri: str | None


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The Jinja2 environment: package templates, autoescape on, undefined names fail."""
    return Environment(loader=PackageLoader("medbrain.report", "templates"), autoescape=True,
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                       keep_trailing_newline=True)


def template() -> Template:
    """The report page template."""
    return environment().get_template(TEMPLATE)


def data_uri(path: Path) -> str | None:
    """``data:`` URI of an image file, or None when it cannot be read."""
    try:
        data = Path(path).read_bytes()
    except OSError:
        return None
    mime = IMAGE_TYPES.get(Path(path).suffix.lower()) or mimetypes.guess_type(str(path))[0] or "image/png"
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def status_class(section: Section) -> str:
    """CSS class of a section's status line."""
    if section.source == "grounded-fallback":
        return "fallback"
    return "ok" if section.verified else "bad"


def render_html(doc: ReportDocument) -> str:
    """The whole report as one self-contained HTML page."""
    view = build_view(doc)
    return template().render(
        v=view,
        csp=Markup(CSP),  # a constant; its quotes must stay quotes
        all_verified=bool(view.sections) and all(s.verified for s in view.sections),
        figures=[EmbeddedFigure(f.name, data_uri(f.path)) for f in view.figures],
        facts_title=FACTS_TITLE, appendix_title=APPENDIX_TITLE, json_note=JSON_NOTE,
        markdown=markdown_html, status=section_status, status_class=status_class,
        claims_heading=claims_heading,
    )
