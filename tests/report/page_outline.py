"""The parts of a report page in reading order, as a reader meets them.

:func:`html_outline` walks report.html (or a browser's DOM dump) with the standard
library's ``html.parser``; :func:`markdown_outline` walks report.md with markdown-it-py.
Both give a list of :class:`Part` (headings, figures, tables, the appendix) plus the text
a reader sees outside the appendix, so a test can check the order of the page
(:func:`assert_reading_order`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

from markdown_it import MarkdownIt

from medbrain.report.document import SECTION_TITLES
from medbrain.report.layout import FACTS_TITLE

HEADINGS = ("h1", "h2", "h3", "h4")
TITLES = list(SECTION_TITLES.values())


@dataclass(frozen=True)
class Part:
    kind: str  # "h1".."h4" | "figure" | "table" | "appendix" | "warnings" | "verification" | "disclaimer"
    text: str = ""
    in_appendix: bool = False
    attrs: tuple[tuple[str, str | None], ...] = ()


@dataclass
class Outline:
    parts: list[Part] = field(default_factory=list)
    visible_text: str = ""  # everything outside the appendix
    appendix_text: str = ""

    def index(self, kind: str, text: str | None = None) -> int:
        """Position of the first part of ``kind`` (whose text starts with ``text``)."""
        for i, part in enumerate(self.parts):
            if part.kind == kind and (text is None or part.text.startswith(text)):
                return i
        raise AssertionError(f"no {kind} {text!r} in the page: {[(p.kind, p.text[:40]) for p in self.parts]}")

    def kinds(self, kind: str) -> list[int]:
        return [i for i, p in enumerate(self.parts) if p.kind == kind]


class _HTMLOutline(HTMLParser):
    MARKERS = {"warnings": "warnings", "verification": "verification", "disclaimer": "disclaimer"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.outline = Outline()
        self.details_depth = 0
        self.heading: tuple[str, list[str], bool] | None = None
        self.visible: list[str] = []
        self.hidden: list[str] = []
        self.skip = 0  # inside <style>/<title>/<head>

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("style", "title", "script"):
            self.skip += 1
            return
        inside = self.details_depth > 0
        if tag == "details":
            self.outline.parts.append(Part("appendix", dict(attrs).get("id") or "", inside, tuple(attrs)))
            self.details_depth += 1
        elif tag in HEADINGS:
            self.heading = (tag, [], inside)
        elif tag == "img":
            self.outline.parts.append(Part("figure", dict(attrs).get("alt") or "", inside, tuple(attrs)))
        elif tag == "table":
            self.outline.parts.append(Part("table", "", inside, tuple(attrs)))
        classes = (dict(attrs).get("class") or "").split()
        for cls, kind in self.MARKERS.items():
            if cls in classes:
                self.outline.parts.append(Part(kind, "", inside, tuple(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "title", "script"):
            self.skip = max(self.skip - 1, 0)
        elif tag == "details":
            self.details_depth -= 1
        elif tag in HEADINGS and self.heading and self.heading[0] == tag:
            name, words, inside = self.heading
            self.outline.parts.append(Part(name, " ".join("".join(words).split()), inside))
            self.heading = None

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        if self.heading:
            self.heading[1].append(data)
        (self.hidden if self.details_depth else self.visible).append(data)

    def close(self) -> None:
        super().close()
        self.outline.visible_text = " ".join(" ".join(self.visible).split())
        self.outline.appendix_text = " ".join(" ".join(self.hidden).split())


def html_outline(page: str) -> Outline:
    """The parts of an HTML report page, in document order."""
    parser = _HTMLOutline()
    parser.feed(page)
    parser.close()
    return parser.outline


def markdown_outline(text: str, appendix_heading: str = "Appendix") -> Outline:
    """The parts of a Markdown report: headings, images, tables; everything from the
    level-2 heading that starts with ``appendix_heading`` on counts as the appendix."""
    outline = Outline()
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    in_appendix = False
    visible: list[str] = []
    hidden: list[str] = []
    for i, token in enumerate(tokens):
        if token.type == "heading_open":
            title = tokens[i + 1].content
            if token.tag == "h2" and title.startswith(appendix_heading):
                in_appendix = True
                outline.parts.append(Part("appendix", title, False))
            outline.parts.append(Part(token.tag, title, in_appendix))
        elif token.type == "table_open":
            outline.parts.append(Part("table", "", in_appendix))
        elif token.type == "inline":
            for child in token.children or []:
                if child.type == "image":
                    outline.parts.append(Part("figure", child.attrGet("src") or "", in_appendix))
            (hidden if in_appendix else visible).append(token.content)
    outline.visible_text = " ".join(" ".join(visible).split())
    outline.appendix_text = " ".join(" ".join(hidden).split())
    return outline


def assert_reading_order(page: Outline) -> None:
    """header -> sections 1-4 -> figure -> patient summary -> facts tables -> appendix."""
    h1 = page.index("h1")
    sections = [page.index("h2", title) for title in TITLES]
    figures = page.kinds("figure")
    summary = page.index("h2", "Patient summary")
    facts = page.index("h2", FACTS_TITLE)
    appendix = page.index("appendix")
    tables = page.kinds("table")
    assert h1 == 0 and sections == sorted(sections) and h1 < sections[0]
    assert figures and all(sections[-1] < f < summary for f in figures), "the figure follows section 4"
    assert summary < facts < appendix
    visible_tables = [t for t in tables if not page.parts[t].in_appendix]
    assert visible_tables and all(facts < t < appendix for t in visible_tables), "no fact table before the sections"
    assert all(page.parts[t].in_appendix for t in tables if t > appendix), "raw tables live in the appendix"
    after = [(p.kind, p.text) for p in page.parts[appendix + 1:]
             if not p.in_appendix and p.kind in ("h2", "table", "figure")]
    assert after == [], f"only the footer may follow the appendix: {after}"
