"""Markdown / HTML / JSON rendering of the per-case report and the atomic writer."""

from __future__ import annotations

import base64
import html
import json
import math
import os
import re
from pathlib import Path

import numpy as np
import pytest

from medbrain.errors import ConfigError
from medbrain.report import writer as writer_mod
import medbrain.io as medbrain_io
from medbrain.report.document import (
    DISCLAIMER,
    FALLBACK_NOTE,
    SECTION_TITLES,
    ReportDocument,
    Section,
)
from medbrain.report.html import render_html
from medbrain.report.json_report import render_json
from medbrain.report.markdown import render_markdown
from medbrain.report.text import markdown_html
from medbrain.report.writer import ReportError, write_report
from tests.report.report_fixtures import ONERROR, SCRIPT, make_doc

TITLES = list(SECTION_TITLES.values())


def positions(text: str, needles: list[str]) -> list[int]:
    found = [text.find(n) for n in needles]
    assert all(p >= 0 for p in found), [n for n, p in zip(needles, found) if p < 0]
    return found


# --------------------------------------------------------------------------- markdown


def test_markdown_has_the_four_titles_in_order_even_when_given_shuffled(tmp_path: Path) -> None:
    doc = make_doc(tmp_path)
    doc.sections = doc.sections[::-1]
    md = render_markdown(doc)
    found = positions(md, [f"## {t}" for t in TITLES])
    assert found == sorted(found)
    assert md.startswith("# MedBrainInsight report: case ")
    assert DISCLAIMER in md
    order = [TITLES[-1], "## Figures", "## Patient summary", "## Facts (from the tools)", "## Appendix",
             "### Provenance"]
    assert positions(md, order) == sorted(positions(md, order))


def test_markdown_synthetic_banner_only_for_synthetic_cases(tmp_path: Path) -> None:
    md = render_markdown(make_doc(tmp_path, synthetic=True))
    assert "SYNTHETIC CASE" in md
    assert md.index("SYNTHETIC CASE") < md.index(TITLES[0])  # at the top
    assert "SYNTHETIC CASE" not in render_markdown(make_doc(tmp_path, synthetic=False))


def test_markdown_dice_table(tmp_path: Path) -> None:
    md = render_markdown(make_doc(tmp_path))
    assert "| Region | Dice |" in md
    for row in ("| WT | 0.912 |", "| TC | 0.85 |", "| ET | 0.803 |"):
        assert row in md
    doc = make_doc(tmp_path)
    doc.segmentation_scores = None
    assert "Dice" not in render_markdown(doc)


def test_markdown_nested_scores_render_as_a_matrix(tmp_path: Path) -> None:
    doc = make_doc(tmp_path)
    doc.segmentation_scores = {"WT": {"dice": 0.9, "hd95_mm": 4.2}, "ET": {"dice": 0.7, "hd95_mm": 373.13}}
    md = render_markdown(doc)
    assert "|  | dice | hd95_mm |" in md
    assert "| ET | 0.7 | 373.13 |" in md


def test_markdown_marks_source_verification_and_fallback(tmp_path: Path) -> None:
    md = render_markdown(make_doc(tmp_path, hostile=False))
    parts = re.split(r"^## ", md, flags=re.M)
    by_title = {p.split("\n", 1)[0]: p for p in parts}
    assert "LLM draft · verified" in by_title[TITLES[0]]
    assert "grounded writer" in by_title[TITLES[1]] and "· verified" in by_title[TITLES[1]]
    assert "NOT verified (1 unsupported claim)" in by_title[TITLES[2]]
    assert "- WT 99 mL" in by_title[TITLES[2]]
    fallback = by_title[TITLES[3]]
    assert FALLBACK_NOTE == "(replaced by the grounded writer after failed verification)"
    assert FALLBACK_NOTE in fallback
    assert "rejected LLM draft" in fallback and "- lesion in the right lobe" in fallback
    assert FALLBACK_NOTE not in by_title[TITLES[0]] + by_title[TITLES[1]] + by_title[TITLES[2]]


def test_markdown_key_facts_table(tmp_path: Path) -> None:
    md = render_markdown(make_doc(tmp_path))
    for text in ("| Volume WT (whole tumour) | 62.92 mL |", "| Volume NCR (necrotic/non-enhancing core) | 10.12 mL |",
                 "| Volume ED (oedema) | 40.5 mL |", "| Volume ET (enhancing tumour) | 12.3 mL |",
                 "| Volume TC (tumour core) | 22.42 mL |", "| Side | left (97% left, 3% right) |",
                 "| Lobes | frontal, parietal |", "| Largest axial slice (WT) | 88 (area 2301 mm²) |",
                 "41.2 × 30.1 mm (product 1240.1 mm²)", "| Confidence level | high |",
                 "| Crosses midline | no |", "| Best-localised explanation method | Grad-CAM |",
                 "| Most faithful explanation method | Integrated Gradients |",
                 "| Structures (share of the tumour) | Frontal lobe (61%), Parietal lobe (30%) |"):
        assert text in md, text
    # per-method table with display names and units (the nested deletion curve is left to the JSON)
    assert "| Method | Attribution inside the region | Deletion AUC |" in md
    assert "| Grad-CAM | 80% | 0.2 |" in md and "| Integrated Gradients | 60% | 0.1 |" in md
    assert "curve" not in md.split("## Appendix")[0]


def test_markdown_unrecognised_facts_become_key_value_tables(tmp_path: Path) -> None:
    doc = make_doc(tmp_path)
    doc.facts = {"measurements": {"tumour": {"ml": 3.5}}, "confidence": {"score": 0.4, "why": "small"},
                 "comparison": {"winner": "slice", "pairs": [1, 2, 3]}}
    md = render_markdown(doc)
    assert "| tumour.ml | 3.5 |" in md
    assert "| score | 0.4 |" in md and "| why | small |" in md
    assert "| winner | slice |" in md and "| pairs | 1, 2, 3 |" in md


def test_markdown_survives_empty_and_odd_facts(tmp_path: Path) -> None:
    doc = ReportDocument(case_id="c1", sections=[], patient_summary="", facts={"measurements": None,
                         "confidence": "low", "comparison": []}, figures=[], provenance={})
    md = render_markdown(doc)
    assert "**Missing sections:**" in md and TITLES[0] in md
    assert "| Confidence level | low |" in md
    doc.facts = {"measurements": {"volumes_ml": {"WT": float("nan")}, "location": {"status": "unknown",
                 "reason": "not on the SRI24 grid"}, "side": "right"}}
    md = render_markdown(doc)
    assert "| Volume WT (whole tumour) | — |" in md
    assert "| Location | unknown (not on the SRI24 grid) |" in md and "| Side | right |" in md


def test_markdown_links_figures_relatively_and_neutralises_html(tmp_path: Path) -> None:
    doc = make_doc(tmp_path, figures=2)
    md = render_markdown(doc)
    assert "![montage_0.png](figures/montage_0.png)" in md
    assert "![montage_1.png](figures/montage_1.png)" in md
    assert str(tmp_path) not in md  # no absolute paths
    title, body = md.split("\n", 1)
    assert title.endswith(f"`Brats18_2013_11_1{SCRIPT}`")  # inert inside a code span
    assert "<script>" not in body and "<img" not in body
    assert "&lt;script>alert(1)&lt;/script>" in md
    doc.sections[0].text = "look ![x](http://evil.example/t.png)"
    assert "![x](http" not in render_markdown(doc)


def test_markdown_case_id_with_backticks_and_pipes(tmp_path: Path) -> None:
    doc = make_doc(tmp_path, hostile=False)
    doc.case_id = "a`b|c\nd"
    md = render_markdown(doc)
    assert md.splitlines()[0] == "# MedBrainInsight report: case ``a`b|c d``"
    doc.facts = {"confidence": {"note": "x | y\nz"}}
    assert "| note | x \\| y z |" in render_markdown(doc)


# --------------------------------------------------------------------------- JSON


def test_json_round_trips_with_all_keys(tmp_path: Path) -> None:
    doc = make_doc(tmp_path)
    text = render_json(doc)
    data = json.loads(text)
    assert set(data) >= {"case_id", "synthetic", "disclaimer", "sections", "patient_summary", "facts",
                         "segmentation_scores", "verifier", "provenance", "warnings", "figures", "format_version"}
    assert [s["title"] for s in data["sections"]] == TITLES
    assert set(data["sections"][2]) == {"key", "title", "text", "source", "verified", "unsupported_claims"}
    assert data["sections"][2]["verified"] is False
    assert data["sections"][2]["unsupported_claims"][0].startswith("WT 99 mL")
    assert data["sections"][3]["source"] == "grounded-fallback"
    assert data["facts"] == json.loads(json.dumps(doc.facts))
    assert data["case_id"] == doc.case_id and data["patient_summary"] == doc.patient_summary
    assert data["segmentation_scores"] == {"WT": 0.912, "TC": 0.85, "ET": 0.803}
    assert data["verifier"]["revisions"] == 2 and data["warnings"] == ["FLAIR has low contrast"]
    assert data["provenance"]["checkpoint_sha256"] == "ab" * 32
    assert data["figures"] == ["figures/montage_0.png"]
    assert text == json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"  # sorted keys
    again = ReportDocument.from_dict(data)
    assert again.sections == doc.sections and again.facts == doc.facts and again.case_id == doc.case_id
    assert render_json(again) == text


def test_json_is_strict_with_numpy_nan_and_paths(tmp_path: Path) -> None:
    doc = make_doc(tmp_path)
    doc.facts = {"a": np.float32(0.5), "b": np.arange(3), "c": float("nan"), "d": float("inf"),
                 "e": tmp_path, 4: {"x", "y"}, "f": np.bool_(True)}
    data = json.loads(render_json(doc))  # json.loads would accept NaN; check strictness separately
    assert "NaN" not in render_json(doc) and "Infinity" not in render_json(doc)
    assert data["facts"] == {"a": 0.5, "b": [0, 1, 2], "c": None, "d": None, "e": str(tmp_path),
                             "4": ["x", "y"], "f": True}
    assert not any(isinstance(v, float) and math.isnan(v) for v in data["facts"].values())


# --------------------------------------------------------------------------- HTML


@pytest.mark.parametrize("where", ["section", "summary", "case_id", "claim", "fact", "provenance", "warning", "title"])
def test_html_escapes_injected_markup(tmp_path: Path, where: str) -> None:
    doc = make_doc(tmp_path, hostile=False)
    payload = f"x {SCRIPT} {ONERROR} y"
    if where == "section":
        doc.sections[1].text = payload
    elif where == "summary":
        doc.patient_summary = payload
    elif where == "case_id":
        doc.case_id = payload
    elif where == "claim":
        doc.sections[2].unsupported_claims = [payload]
    elif where == "fact":
        doc.facts = {"measurements": {"location": {"status": "known", "lobes": [payload]}},
                     "confidence": {payload: payload}}
    elif where == "provenance":
        doc.provenance = {"model": payload}
    elif where == "warning":
        doc.warnings = [payload]
    else:
        doc.sections[0].title = payload
    page = render_html(doc)
    assert "<script" not in page.lower()
    assert re.search(r"<[^<>]*\bon\w+\s*=", page) is None  # no event-handler attribute in any tag
    assert "<img src=x" not in page and '<img src="x"' not in page
    assert html.escape(SCRIPT) in page
    # markdown-it escapes a quote as &quot;, Jinja2's autoescape (markupsafe) as &#34;
    assert ("&lt;img src=x onerror=&quot;alert(2)&quot;&gt;" in page
            or "&lt;img src=x onerror=&#34;alert(2)&#34;&gt;" in page)


def test_html_markdown_subset_is_applied_after_escaping(tmp_path: Path) -> None:
    doc = make_doc(tmp_path, hostile=False)
    doc.sections[0].text = ("First **bold** line\ncontinues here.\n\n- item one\n- item **two**\n\n"
                            "1. step\n2. next\n\n## Sub\n**<b onclick=x>not a tag</b>** and `co<de>`")
    page = render_html(doc)
    assert "<p>First <strong>bold</strong> line continues here.</p>" in page
    assert "<ul><li>item one</li><li>item <strong>two</strong></li></ul>" in page
    assert "<ol><li>step</li><li>next</li></ol>" in page
    assert "<h4>Sub</h4>" in page
    assert "<strong>&lt;b onclick=x&gt;not a tag&lt;/b&gt;</strong>" in page
    assert "<code>co&lt;de&gt;</code>" in page
    assert "<b onclick" not in page


def test_markdown_html_blocks() -> None:
    out = markdown_html("a\nb\n\n- x\n  more\n- y\n\n1. z\n# H\ntail")
    assert out == "<p>a b</p><ul><li>x more</li><li>y</li></ul><ol><li>z</li></ol><h4>H</h4><p>tail</p>"
    assert markdown_html("") == "<p><em>(empty)</em></p>" and markdown_html("  \n ") == "<p><em>(empty)</em></p>"


@pytest.mark.parametrize("text", ["<script>alert(1)</script>", "<div onclick=x>hi</div>\n\nafter",
                                  "![t](http://evil.example/t.png)", "[click](javascript:alert(1))",
                                  "<http://evil.example/>", "[r]\n\n[r]: http://evil.example/",
                                  "&lt;script&gt; &#60;script&#62;", "```\n<script>\n```"])
def test_markdown_html_lets_no_markup_link_or_image_through(text: str) -> None:
    out = str(markdown_html(text))
    assert "<script" not in out and "<div" not in out and "<img" not in out and "<a " not in out
    assert "href" not in out and "src=" not in out
    assert re.search(r"<[^<>]*\bon\w+\s*=", out) is None


def test_html_is_self_contained_and_embeds_figures(tmp_path: Path) -> None:
    doc = make_doc(tmp_path, figures=2)
    page = render_html(doc)
    lowered = page.lower()
    for bad in ('src="http', "src='http", 'href="http', "href='http", "<link", "<script", "@import",
                "url(", "<iframe", "<object", 'src="//', 'src="file'):
        assert bad not in lowered, bad
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    uris = re.findall(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(uris) == 2
    assert base64.b64decode(uris[0]) == doc.figures[0].read_bytes()
    srcs = re.findall(r'src="([^"]*)"', page)
    assert srcs and all(s.startswith("data:image/png;base64,") for s in srcs)
    assert "SYNTHETIC CASE" in page and "Dice" in page and "62.92 mL" in page
    assert html.escape(DISCLAIMER) in page
    assert html.escape(FALLBACK_NOTE) in page
    found = positions(page, [f"<h2>{html.escape(t)}</h2>" for t in TITLES])
    assert found == sorted(found)


def test_html_reports_a_missing_figure_instead_of_failing(tmp_path: Path) -> None:
    doc = make_doc(tmp_path, figures=0)
    doc.figures = [tmp_path / "gone.png"]
    page = render_html(doc)
    assert "Figure not found: gone.png" in page and "<img" not in page


# --------------------------------------------------------------------------- writer


def _listing(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def test_write_report_writes_all_formats_and_copies_figures(tmp_path: Path) -> None:
    doc = make_doc(tmp_path, figures=2)
    out = tmp_path / "out" / "case1"
    paths = write_report(doc, out)
    assert paths == {"md": out / "report.md", "html": out / "report.html", "json": out / "report.json",
                     "figures": out / "figures"}
    assert _listing(out) == {"report.md", "report.html", "report.json", "figures",
                             "figures/montage_0.png", "figures/montage_1.png"}
    assert (out / "figures" / "montage_1.png").read_bytes() == doc.figures[1].read_bytes()
    assert paths["md"].read_text(encoding="utf-8") == render_markdown(doc)
    assert paths["html"].read_text(encoding="utf-8") == render_html(doc)
    assert json.loads(paths["json"].read_text(encoding="utf-8"))["case_id"] == doc.case_id
    umask = os.umask(0)
    os.umask(umask)
    assert paths["md"].stat().st_mode & 0o777 == 0o666 & ~umask  # like a normally created file


def test_write_report_subset_formats_and_duplicate_figure_names(tmp_path: Path) -> None:
    doc = make_doc(tmp_path, figures=1)
    (tmp_path / "other").mkdir()
    doc.figures.append((tmp_path / "other" / "montage_0.png"))
    doc.figures[1].write_bytes(b"\x89PNG second")
    out = tmp_path / "out"
    paths = write_report(doc, out, formats="MD, json")
    assert set(paths) == {"md", "json", "figures"}
    assert not (out / "report.html").exists()
    assert (out / "figures" / "montage_0-2.png").read_bytes() == b"\x89PNG second"
    assert "figures/montage_0-2.png" in paths["md"].read_text(encoding="utf-8")
    assert json.loads(paths["json"].read_text())["figures"] == ["figures/montage_0.png", "figures/montage_0-2.png"]


@pytest.mark.parametrize("formats", [("md", "pdf"), "docx", (), ""])
def test_write_report_rejects_unknown_formats_before_writing(tmp_path: Path, formats) -> None:
    out = tmp_path / "out"
    with pytest.raises(ConfigError) as info:
        write_report(make_doc(tmp_path), out, formats=formats)
    if formats not in ((), ""):
        assert ("pdf" if "pdf" in formats else "docx") in str(info.value)
    assert "md, html, json" in str(info.value)
    assert not out.exists()


def test_write_report_missing_figure_writes_nothing(tmp_path: Path) -> None:
    doc = make_doc(tmp_path)
    doc.figures.append(tmp_path / "missing.png")
    with pytest.raises(ReportError, match="missing.png"):
        write_report(doc, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_write_report_replaces_existing_files_in_one_step(tmp_path: Path, monkeypatch) -> None:
    out = tmp_path / "out"
    out.mkdir()
    old = out / "report.md"
    old.write_text("OLD REPORT")
    replaced: list[tuple[Path, Path]] = []
    real_replace = os.replace

    def spy(src, dst):
        src, dst = Path(src), Path(dst)
        assert src.parent == dst.parent  # temp file in the same folder: rename is atomic
        assert src.exists() and src.stat().st_size > 0  # fully written before the swap
        replaced.append((src, dst))
        return real_replace(src, dst)

    monkeypatch.setattr(medbrain_io.os, "replace", spy)
    with old.open() as reader:  # an open reader keeps seeing the complete old file
        write_report(make_doc(tmp_path), out)
        assert reader.read() == "OLD REPORT"
    assert old.read_text(encoding="utf-8").startswith("# MedBrainInsight report")
    assert {d.name for _, d in replaced} == {"report.md", "report.html", "report.json", "montage_0.png"}
    assert replaced[-1][1].name == "report.json"  # written last: marks a finished folder
    assert _listing(out) == {"report.md", "report.html", "report.json", "figures", "figures/montage_0.png"}


def test_write_report_failure_leaves_old_files_and_no_temp_files(tmp_path: Path, monkeypatch) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.md").write_text("OLD MD")
    (out / "report.json").write_text('{"old": true}')
    calls = {"n": 0}
    real_fsync = os.fsync

    def failing_fsync(fd):
        calls["n"] += 1
        if calls["n"] == 3:  # figure and report.md done, report.html fails mid-write
            raise OSError(28, "No space left on device")
        return real_fsync(fd)

    monkeypatch.setattr(medbrain_io.os, "fsync", failing_fsync)
    with pytest.raises(ReportError, match="No space left on device"):
        write_report(make_doc(tmp_path), out)
    assert _listing(out) == {"report.md", "report.json", "figures", "figures/montage_0.png"}  # no temp files
    assert (out / "report.json").read_text() == '{"old": true}'  # not marked finished
    assert not any(name.endswith(".tmp") for name in _listing(out))


def test_write_report_render_failure_writes_nothing(tmp_path: Path, monkeypatch) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.md").write_text("OLD MD")

    def boom(doc):
        raise RuntimeError("renderer bug")

    monkeypatch.setitem(writer_mod.RENDERERS, "html", ("report.html", boom))
    with pytest.raises(RuntimeError):
        write_report(make_doc(tmp_path), out)
    assert _listing(out) == {"report.md"} and (out / "report.md").read_text() == "OLD MD"


def test_section_round_trip_defaults() -> None:
    s = Section.from_dict({"key": "confidence", "text": "t"})
    assert s.title == SECTION_TITLES["confidence"] and s.unsupported_claims == [] and not s.verified


def test_report_json_ships_the_facts_schema(tmp_path: Path) -> None:
    import json as _json

    from medbrain.facts import FORMAT_VERSION as FACTS_VERSION, CaseFacts

    doc = _json.loads(render_json(make_doc(tmp_path)))
    assert doc["facts_format_version"] == FACTS_VERSION
    schema = doc["facts_schema"]
    assert set(CaseFacts.model_fields) <= set(schema["properties"]) and FACTS_VERSION in schema["$comment"]
