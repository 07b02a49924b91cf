"""Untrusted Markdown text (section texts, the patient summary) as safe HTML.

markdown-it-py in CommonMark mode with raw HTML off, and with links, autolinks, link
references and images switched off too: the text can produce only paragraphs, lists,
headings (all shown as ``<h4>`` so they stay below the page's own headings), emphasis,
code and block quotes. Everything else, ``<script>`` included, comes out as escaped text.
"""

from __future__ import annotations

from markdown_it import MarkdownIt
from markupsafe import Markup

EMPTY = Markup("<p><em>(empty)</em></p>")
DISABLED_RULES = ["html_block", "html_inline", "link", "autolink", "reference", "image"]


def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.disable(DISABLED_RULES)
    md.add_render_rule("softbreak", lambda self, tokens, idx, options, env: " ")  # join lines as Markdown reads them
    return md


_MD = _parser()


def markdown_html(text: str, empty: Markup = EMPTY) -> Markup:
    """``text`` rendered as HTML blocks; ``empty`` when it has no content."""
    tokens = _MD.parse(str(text or ""))
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = "h4"
    rendered = _MD.renderer.render(tokens, _MD.options, {})
    # Drop the newlines between tags (escaped text never holds a raw "<" or ">").
    rendered = rendered.replace(">\n<", "><").strip()
    return Markup(rendered) if rendered else empty
