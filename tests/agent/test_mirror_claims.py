"""Mirror-check claims about the seed-free methods, and the grounded writer's mirror line, on a real report's facts.

The facts are those of the real report of Brats18_TCIA01_378_1 with a ``comparison.consistency`` block as
the workspace writes it (Grad-CAM and IG consistent under the mirror, attention not, SLICE over seeds).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from medbrain.agent.method_section import method_comparison, mirror_lines
from medbrain.agent.verifier import verify_text

_FACTS = Path(__file__).parent / "data" / "brats18_tcia01_378_1_facts.json"
CONSISTENCY = {
    "gradcam": {"test": "mirror", "axis": "left-right", "seed_free": True, "spearman_abs": 0.7449,
                "iou_top10": 0.2, "min_spearman": 0.5, "consistent": True},
    "integrated_gradients": {"test": "mirror", "axis": "left-right", "seed_free": True, "spearman_abs": 0.9414,
                             "iou_top10": 0.6, "min_spearman": 0.5, "consistent": True},
    "attention": {"test": "mirror", "axis": "left-right", "seed_free": True, "spearman_abs": 0.42,
                  "iou_top10": 0.125, "min_spearman": 0.5, "consistent": False},
    "slice": {"test": "independent seeds", "runs": 2, "seeds": [0, 1], "rank_correlation": 0.98, "consistent": True},
}


@pytest.fixture(scope="module")
def facts():
    f = json.loads(_FACTS.read_text(encoding="utf-8"))
    f = copy.deepcopy(f)
    f["comparison"]["consistency"] = CONSISTENCY
    for m in f["comparison"]["methods"]:
        m["consistency"] = CONSISTENCY[m["method"]]
    return f


CASES = [
    ("Grad-CAM and Integrated Gradients stayed consistent when the slice was mirrored.", True),
    ("Attention rollout stayed consistent when the slice was mirrored.", False),
    ("The attention map changed when the image was flipped left-right.", True),
    ("The Grad-CAM map changed when the image was flipped left-right.", False),
    ("Under the left-right mirror, IG was robust, but attention was inconsistent.", True),
    ("Under the left-right mirror, IG was inconsistent, but attention was robust.", False),
    ("SLICE was consistent under the mirror.", False),  # SLICE's test is across seeds
    ("SLICE gave consistent maps across seeds 0 and 1.", True),
    ("Grad-CAM's mirror consistency was 0.745.", True),
    ("Grad-CAM's mirror consistency was 0.94.", False),
    # seed-free methods give the same map on every run; "across seeds" is not a test they had
    ("Grad-CAM was consistent across runs.", True),
    ("Grad-CAM was inconsistent across repeated runs.", False),
    ("Grad-CAM was consistent across seeds.", False),
]


@pytest.mark.parametrize("text,ok", CASES)
def test_mirror_claims(facts, text, ok):
    result = verify_text(text, facts)
    assert result.passed is ok, [(c.text, c.supported, c.reason) for c in result.claims]


def test_left_right_axis_is_not_a_side_claim(facts):
    side = facts["measurements"]["side"]["side"]
    other = "left" if side == "right" else "right"
    result = verify_text(f"Each map was recomputed on the {other}-{side} mirrored slice; Grad-CAM stayed consistent.", facts)
    assert not [c for c in result.claims if c.kind == "side"] and result.passed


def test_the_writer_line_names_both_outcomes_and_passes_the_verifier(facts):
    line = mirror_lines(facts["comparison"])[0]
    assert "consistent for Grad-CAM (Spearman 0.7449)" in line and "not consistent for attention" in line
    assert verify_text(line, facts).passed
    assert line in method_comparison(facts)


def test_no_mirror_line_without_a_mirror_test(facts):
    comp = {**facts["comparison"], "consistency": {"slice": CONSISTENCY["slice"]}}
    assert mirror_lines(comp) == []
