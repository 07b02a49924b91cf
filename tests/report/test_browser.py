"""``report.html`` in a real browser: headless Chromium renders it, and nothing injected runs.

A second screenshot at laptop width (1366 px) checks the page as a reader meets it: the
header with its warnings on the first screen, the figure right after the four sections
(well before the fact tables), and the browser's DOM in the reading order with the raw
appendix a closed ``<details>``.

Needs Debian's ``chromium`` at /usr/bin/chromium (or ``$MEDBRAIN_CHROMIUM``). The tests
skip without it, unless ``MEDBRAIN_REQUIRE_BROWSER=1`` (CI), where they fail instead.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from matplotlib.image import imread

from medbrain.report.writer import write_report
from tests.report.page_outline import assert_reading_order, html_outline
from tests.report.report_fixtures import SCRIPT, make_doc

CHROMIUM = os.environ.get("MEDBRAIN_CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--hide-scrollbars", "--mute-audio"]
WINDOW = (1200, 4200)  # tall enough to hold the whole test report, figure included
LAPTOP = (1366, 3200)  # a laptop-wide window, about four 768 px screens tall
SCREEN = 768  # what a 1366 x 768 laptop shows before the reader scrolls


@pytest.fixture(scope="module")
def chromium() -> str:
    """Path of the Chromium binary, or skip (fail under MEDBRAIN_REQUIRE_BROWSER=1)."""
    if Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK):
        return CHROMIUM
    reason = (f"headless Chromium not found at {CHROMIUM}; install it with "
              "`apt-get install -y --no-install-recommends chromium` (or set MEDBRAIN_CHROMIUM)")
    if os.environ.get("MEDBRAIN_REQUIRE_BROWSER") == "1":
        pytest.fail(f"MEDBRAIN_REQUIRE_BROWSER=1 but {reason}")
    pytest.skip(reason)


def run_chromium(binary: str, profile: Path, *args: str) -> subprocess.CompletedProcess:
    """Run headless Chromium once with a throw-away profile."""
    cmd = [binary, *FLAGS, f"--user-data-dir={profile}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180, check=False)


@pytest.fixture(scope="module")
def rendered(chromium: str, tmp_path_factory) -> dict:
    """Write the report, screenshot it and dump its DOM after parsing."""
    tmp = tmp_path_factory.mktemp("browser")
    doc = make_doc(tmp, synthetic=True, hostile=True)
    paths = write_report(doc, tmp / "out", formats=("html",))
    url = paths["html"].resolve().as_uri()
    shot = tmp / "screenshot.png"
    proc = run_chromium(chromium, tmp / "profile-shot", f"--screenshot={shot}",
                        f"--window-size={WINDOW[0]},{WINDOW[1]}", url)
    assert shot.is_file(), f"Chromium wrote no screenshot (rc={proc.returncode}):\n{proc.stderr[-3000:]}"
    dom = run_chromium(chromium, tmp / "profile-dom", "--dump-dom", url)
    assert dom.returncode == 0, dom.stderr[-3000:]
    laptop = tmp / "laptop.png"
    proc = run_chromium(chromium, tmp / "profile-laptop", f"--screenshot={laptop}",
                        f"--window-size={LAPTOP[0]},{LAPTOP[1]}", url)
    assert laptop.is_file(), f"Chromium wrote no laptop screenshot (rc={proc.returncode}):\n{proc.stderr[-3000:]}"
    keep = os.environ.get("MEDBRAIN_KEEP_SCREENSHOT")
    if keep:
        shutil.copy(shot, keep)
        shutil.copy(laptop, Path(keep).with_name(Path(keep).stem + "-laptop.png"))
    return {"shot": shot, "laptop": laptop, "dom": dom.stdout, "doc": doc}


def colour_mask(img: np.ndarray, hex_colour: str, tol: float = 4 / 255) -> np.ndarray:
    """Pixels within ``tol`` of a CSS colour such as ``#fff6e0``."""
    rgb = np.array([int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)])
    return (np.abs(img - rgb) <= tol).all(axis=-1)


def test_screenshot_is_not_blank(rendered: dict) -> None:
    img = imread(rendered["shot"])[..., :3]
    assert img.shape[:2] == (WINDOW[1], WINDOW[0])
    grey = img.mean(axis=2)
    assert grey.std() > 0.05, "screenshot is (nearly) one flat colour"
    dark = (grey < 0.35).mean()  # text pixels
    assert dark > 0.002, f"hardly any text rendered ({dark:.4%} dark pixels)"
    rgb = (img * 255).astype(np.uint32)
    colours = np.unique((rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2])
    assert colours.size > 50, "too few distinct colours for a rendered report"


def test_embedded_figure_is_visible(rendered: dict) -> None:
    img = imread(rendered["shot"])[..., :3]
    magenta = (img[..., 0] > 0.9) & (img[..., 1] < 0.1) & (img[..., 2] > 0.9)
    # the 300x150 test figure is drawn full width (about 1000x500 px)
    assert magenta.sum() > 200_000, f"only {magenta.sum()} magenta pixels: figure not shown"
    rows, cols = np.nonzero(magenta)
    assert cols.max() - cols.min() > 0.7 * WINDOW[0], "figure is not drawn full width"


def test_injected_markup_stays_text_in_the_dom(rendered: dict) -> None:
    dom = rendered["dom"]
    assert "1. Clinical assessment" in dom and "SYNTHETIC CASE" in dom
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom  # shown as text
    assert "<script" not in dom.lower()  # no script element was created
    assert re.search(r"<[^<>]*\bon\w+\s*=", dom) is None  # no element got an event handler
    assert '<img src="x"' not in dom
    assert dom.count("<img") == len(rendered["doc"].figures)
    assert SCRIPT not in dom


def test_laptop_first_screen_shows_the_header_and_its_warnings(rendered: dict) -> None:
    img = imread(rendered["laptop"])[..., :3]
    assert img.shape[:2] == (LAPTOP[1], LAPTOP[0])
    first = img[:SCREEN]
    # background colours of the synthetic banner and of the warnings box (report.css)
    assert colour_mask(first, "#fdecea").sum() > 20_000, "synthetic banner not on the first screen"
    assert colour_mask(first, "#fff6e0").sum() > 20_000, "warnings not on the first screen"
    assert (first.mean(axis=2) < 0.35).mean() > 0.004, "hardly any text on the first screen"


def test_laptop_figure_follows_the_sections_and_fits_the_width(rendered: dict) -> None:
    img = imread(rendered["laptop"])[..., :3]
    magenta = (img[..., 0] > 0.9) & (img[..., 1] < 0.1) & (img[..., 2] > 0.9)
    rows, cols = np.nonzero(magenta)
    assert rows.size > 200_000, f"only {rows.size} magenta pixels: the figure is not in the first {LAPTOP[1]} px"
    # after the header and the four sections, before the facts: within the first three screens
    # (with the fact tables first, as before this layout, it started at y = 3129)
    assert SCREEN < rows.min() < 2.75 * SCREEN, f"figure starts at y={rows.min()}"
    assert rows.max() < LAPTOP[1] - 200, "figure cut off or too far down"
    assert cols.max() - cols.min() > 900 and cols.max() < LAPTOP[0], "figure not drawn across the page column"
    below = img[rows.max() + 1:]
    assert colour_mask(below, "#d8dde5").sum() > 2_000, "no table lines below the figure (facts tables)"


def test_dom_keeps_the_reading_order_and_a_closed_appendix(rendered: dict) -> None:
    page = html_outline(rendered["dom"])
    assert_reading_order(page)
    details = [p for p in page.parts if p.kind == "appendix"]
    assert len(details) == 1 and "open" not in dict(details[0].attrs)
    assert "integrated_gradients" not in page.visible_text and "Integrated Gradients" in page.visible_text
