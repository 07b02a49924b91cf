"""Write a case's report folder: ``report.md``, ``report.html``, ``report.json``, ``figures/``.

Every file is written atomically (a temporary file in the same folder, flushed and
fsync'd, then ``os.replace``), so a reader sees either the old file or the complete new
one, never half a file, and an interrupted run leaves no temporary files behind. All
renderers run before anything is written, and ``report.json`` is written last, so its
presence marks a finished report.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterable

from medbrain.errors import ConfigError, MedBrainError
from medbrain.io import atomic_write_bytes, atomic_write_text
from medbrain.report.document import ReportDocument, figure_names
from medbrain.report.html import render_html
from medbrain.report.json_report import render_json
from medbrain.report.markdown import render_markdown

RENDERERS: dict[str, tuple[str, Callable[[ReportDocument], str]]] = {
    "md": ("report.md", render_markdown),
    "html": ("report.html", render_html),
    "json": ("report.json", render_json),
}
ALIASES = {"markdown": "md", "htm": "html"}
FIGURES_DIR = "figures"


class ReportError(MedBrainError):
    """A report cannot be written (missing figure, unwritable folder, ...)."""


def parse_formats(formats: str | Iterable[str]) -> list[str]:
    """Normalise ``"md,html"`` or ``["md", "HTML"]`` to known format names, in order."""
    items = formats.split(",") if isinstance(formats, str) else list(formats)
    result: list[str] = []
    for item in items:
        name = str(item).strip().lower().lstrip(".")
        name = ALIASES.get(name, name)
        if name not in RENDERERS:
            raise ConfigError(f"Unknown report format {str(item).strip()!r}; choose from "
                              f"{', '.join(RENDERERS)} (e.g. --format md,html,json).")
        if name not in result:
            result.append(name)
    if not result:
        raise ConfigError(f"No report format given; choose one or more of {', '.join(RENDERERS)}.")
    return result


def write_report(doc: ReportDocument, out_dir: Path,
                 formats: str | Iterable[str] = ("md", "html", "json")) -> dict[str, Path]:
    """Render ``doc`` and write it under ``out_dir``; copy figures to ``out_dir/figures/``.

    Returns ``{format: path}`` for each format written, plus ``"figures"`` (the figures
    folder) when the document has figures. Raises ConfigError for an unknown format and
    ReportError for a missing figure or an unwritable folder, before writing anything.
    """
    names = parse_formats(formats)
    figures = [Path(f) for f in doc.figures]
    missing = [str(f) for f in figures if not f.is_file()]
    if missing:
        raise ReportError(f"Report figure(s) not found: {', '.join(missing)}; "
                          "draw the figures before writing the report.")
    rendered = {name: RENDERERS[name][1](doc) for name in names}  # render first: no partial reports
    # json last: its presence marks a complete report folder
    order = sorted(names, key=lambda n: n == "json")
    out = Path(out_dir)
    written: dict[str, Path] = {}
    try:
        out.mkdir(parents=True, exist_ok=True)
        if figures:
            fig_dir = out / FIGURES_DIR
            fig_dir.mkdir(exist_ok=True)
            for src, name in zip(figures, figure_names(figures)):
                atomic_write_bytes(fig_dir / name, src.read_bytes())
        for name in order:
            written[name] = atomic_write_text(out / RENDERERS[name][0], rendered[name])
    except OSError as exc:
        raise ReportError(f"Cannot write the report to {out}: {exc.strerror or exc}. "
                          "Check that the folder is writable and the disk is not full.") from exc
    result = {name: written[name] for name in names}
    if figures:
        result["figures"] = out / FIGURES_DIR
    return result
