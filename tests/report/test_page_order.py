"""The order a reader meets the report in (no browser needed).

report.html (parsed with ``html.parser``) and report.md (parsed with markdown-it-py) both
read: header with disclaimer, verification line and warnings; the four assessment
sections; the figure; the patient summary; the facts as readable tables with display names
and units; last the raw appendix (a closed ``<details>`` in HTML). Raw fact keys such as
``integrated_gradients`` appear only in the appendix.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from medbrain.report.document import ReportDocument
from medbrain.report.writer import write_report
from tests.report.page_outline import (
    FACTS_TITLE,
    TITLES,
    Outline,
    assert_reading_order,
    html_outline,
    markdown_outline,
)
from tests.report.report_fixtures import FACTS, make_doc

UNVERIFIED = "not verified: marked as the user's own checkpoint"
RAW_KEYS = ("integrated_gradients", "gradcam", "volumes_ml", "mean_probability", "voxels_above_uncertain_low",
            "thresholds.binarise", "[2 items]", "energy_inside_region", "deletion_auc", "_fraction")
DISPLAY = ("Integrated Gradients", "Grad-CAM", "attention rollout", "62.92 mL", "97% left", "Deletion AUC",
           "Uncertain voxels", "4.2%")


def rich_doc(tmp_path: Path) -> ReportDocument:
    """The test report with the fact shapes a real analysis writes (pairs, per-region confidence)."""
    doc = make_doc(tmp_path, synthetic=False, hostile=True)
    facts = copy.deepcopy(FACTS)
    facts["comparison"]["pairs"] = [
        {"pair": ["gradcam", "integrated_gradients"], "spearman": 0.892, "iou_top10": 0.667, "verdict": "agree"},
        {"pair": ["integrated_gradients", "attention"], "spearman": None, "iou_top10": 0.0, "verdict": "disagree"}]
    facts["confidence"].update({
        "method_agreement": 0.41, "calibrated": False, "thresholds": {"binarise": 0.5, "uncertain_low": 0.3},
        "regions": {"WT": {"level": "high", "mean_probability": 0.976, "uncertain_fraction": 0.042,
                           "mean_entropy_bits": 0.093, "voxels_above_uncertain_low": 146074}}})
    doc.facts = facts
    doc.provenance["checkpoint_integrity"] = UNVERIFIED
    return doc


@pytest.fixture()
def written(tmp_path: Path) -> dict[str, str]:
    paths = write_report(rich_doc(tmp_path), tmp_path / "out", formats=("md", "html"))
    return {k: paths[k].read_text(encoding="utf-8") for k in ("md", "html")}


def assert_display_names_outside_the_appendix(page: Outline) -> None:
    for text in DISPLAY:
        assert text in page.visible_text, text
    for key in RAW_KEYS:
        assert key not in page.visible_text, f"raw key {key!r} outside the appendix"
    assert "integrated_gradients" in page.appendix_text and "voxels_above_uncertain_low" in page.appendix_text


def test_html_reading_order(written: dict[str, str]) -> None:
    page = html_outline(written["html"])
    assert_reading_order(page)
    header = [page.index(kind) for kind in ("h1", "disclaimer", "verification", "warnings")]
    assert header == sorted(header) and header[-1] < page.index("h2", TITLES[0])
    details = [p for p in page.parts if p.kind == "appendix"]
    assert len(details) == 1 and "open" not in dict(details[0].attrs), "the appendix starts closed"
    raw_titles = [p.text for p in page.parts if p.kind == "h3" and p.in_appendix]
    assert "Provenance" in raw_titles and "Verification" in raw_titles
    readable = [p.text for p in page.parts if p.kind == "h3" and not p.in_appendix]
    assert readable[:2] == ["Segmentation quality (Dice against the known truth)", "Measurements"]
    assert {"Explanation methods", "Agreement between the methods", "Confidence per region"} <= set(readable)


def test_html_display_names_and_units(written: dict[str, str]) -> None:
    assert_display_names_outside_the_appendix(html_outline(written["html"]))


def test_markdown_reading_order(written: dict[str, str]) -> None:
    page = markdown_outline(written["md"])
    assert_reading_order(page)
    h2 = [p.text for p in page.parts if p.kind == "h2"]
    assert h2 == [*TITLES, "Figures", "Patient summary", FACTS_TITLE, "Appendix: raw tool results"]
    md = written["md"]
    assert md.index("**Verification.**") < md.index("**Warnings**") < md.index(f"## {TITLES[0]}")


def test_markdown_display_names_and_units(written: dict[str, str]) -> None:
    assert_display_names_outside_the_appendix(markdown_outline(written["md"]))


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_warnings_stay_near_the_top(written: dict[str, str], fmt: str) -> None:
    text = written[fmt]
    first_section = text.index(TITLES[0])
    for warning in ("FLAIR has low contrast", "Checkpoint integrity not verified"):
        assert text.index(warning) < first_section, warning
    assert text.index("Research tool, not a medical device") < first_section
    assert text.index("sections verified against the tool facts") < first_section


def test_markdown_stays_inert_in_a_viewer_that_passes_html(written: dict[str, str]) -> None:
    rendered = MarkdownIt("commonmark", {"html": True}).enable("table").render(written["md"])
    assert "<script" not in rendered.lower() and "<img src=x" not in rendered.lower()
    assert rendered.count("<img") == 1  # the figure, linked relatively
    assert '<img src="figures/montage_0.png"' in rendered


def test_verified_checkpoint_adds_no_warning(tmp_path: Path) -> None:
    doc = rich_doc(tmp_path)
    doc.provenance["checkpoint_integrity"] = "verified: the SHA-256 of the weights match its JSON"
    doc.warnings = []
    paths = write_report(doc, tmp_path / "out", formats=("md", "html"))
    assert "Warnings" not in paths["md"].read_text() and 'class="warnings"' not in paths["html"].read_text()
