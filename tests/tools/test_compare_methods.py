"""Tests of compare_methods: rank agreement, top-set IoU, pointing game, deletion AUC."""

from __future__ import annotations

import json

import numpy as np
import pytest

from medbrain.errors import InvalidImageError, ShapeMismatchError
from medbrain.tools.compare_methods import (
    compare_methods,
    deletion_auc,
    deletion_curve,
    energy_inside,
    iou,
    max_inside,
    top_set,
)

SHAPE = (32, 32)


def square(lo: int = 10, hi: int = 20) -> np.ndarray:
    mask = np.zeros(SHAPE, bool)
    mask[lo:hi, lo:hi] = True
    return mask


def blob(centre=(15, 15), sigma=3.0) -> np.ndarray:
    i, j = np.meshgrid(*(np.arange(s) for s in SHAPE), indexing="ij")
    return np.exp(-((i - centre[0]) ** 2 + (j - centre[1]) ** 2) / (2 * sigma**2))


def test_identical_maps_agree_perfectly():
    m = blob() + 0.01 * np.random.default_rng(0).random(SHAPE)
    d = compare_methods({"gradcam": m, "ig": m.copy()}, square()).to_dict()
    pair = d["pairs"][0]
    assert pair["pair"] == ["gradcam", "ig"]
    assert pair["spearman"] == 1.0 and pair["iou_top10"] == 1.0
    assert pair["verdict"] == "agree" and d["agreements"] == [pair]
    assert d["most_agreeing_pair"] == ["gradcam", "ig"]
    assert d["mean_pairwise_spearman"] == 1.0
    json.dumps(d)


def test_concentrated_map_has_energy_one_and_max_inside():
    region = square()
    m = blob() * region
    c = compare_methods({"focused": m, "spread": np.ones(SHAPE)}, region)
    scores = {s.method: s for s in c.methods}
    assert scores["focused"].energy_inside_region == pytest.approx(1.0)
    assert scores["focused"].max_inside_region is True
    assert scores["spread"].energy_inside_region == pytest.approx(100 / 1024)
    assert scores["spread"].max_inside_region is False  # most tied maxima lie outside
    # Energy alone never names a "best localised" method: that takes the several-slice ranking.
    assert c.best_localised_method is None and c.to_dict()["localisation_verdict"] == "no clear winner"
    loc = {m["method"]: m["localisation"] for m in c.to_dict()["methods"]}
    assert loc["focused"]["mass_lift"] == pytest.approx(1024 / 100) and loc["spread"]["mass_lift"] == pytest.approx(1.0)


def test_anti_correlated_pair_is_a_disagreement():
    m = blob()
    d = compare_methods({"a": m, "b": -m, "c": m**2}, square()).to_dict()
    pairs = {tuple(p["pair"]): p for p in d["pairs"]}
    assert pairs[("a", "b")]["spearman"] == pytest.approx(-1.0)
    assert pairs[("a", "b")]["iou_top10"] == 0.0  # "b" has no positive attribution
    assert pairs[("a", "b")]["verdict"] == "disagree"
    inverse = compare_methods({"a": m, "inverse": 1.0 - m}, square()).to_dict()["pairs"][0]
    assert inverse["spearman"] == pytest.approx(-1.0) and inverse["verdict"] == "disagree"
    shifted = blob(centre=(26, 5))
    d2 = compare_methods({"a": m, "shifted": shifted}, square()).to_dict()
    assert d2["pairs"][0]["verdict"] == "disagree"
    assert d2["disagreements"][0]["pair"] == ["a", "shifted"]
    assert d2["pairs"][0]["iou_top10"] == 0.0
    assert d["most_agreeing_pair"] == ["a", "c"]


def test_least_agreeing_pair_and_partial_verdict():
    rng = np.random.default_rng(1)
    m = blob()
    maps = {"a": m, "b": m + 0.02 * rng.random(SHAPE), "noise": rng.random(SHAPE)}
    c = compare_methods(maps, square())
    assert list(c.most_agreeing_pair.pair) == ["a", "b"]
    assert "noise" in c.least_agreeing_pair.pair


def test_top_set_ties_and_positivity():
    values = np.zeros((10, 10))
    values[0, :5] = 2.0
    values[1, :] = 1.0  # ten-way tie at the cut
    top = top_set(values, 0.10)
    assert top.sum() == 15  # 5 above + all 10 tied
    assert not top_set(np.zeros((4, 4))).any()  # zero attribution is never "top"
    assert iou(np.zeros(3, bool), np.zeros(3, bool)) is None


def test_within_restricts_the_compared_pixels():
    m = blob()
    brain = square(5, 27)
    c = compare_methods({"a": m, "b": m}, square(), within=brain)
    assert c.compared_pixels == brain.sum()
    assert (top_set(m, 0.1, brain) <= brain).all()


def test_pointing_game_edge_cases():
    region = square()
    assert energy_inside(-np.ones(SHAPE), region) is None
    assert max_inside(np.zeros(SHAPE), region) is None


def toy_predict(region: np.ndarray):
    """Model score = sum of the image inside a known square (all channels)."""
    return lambda image: float(image[:, region].sum())


def test_deletion_auc_lower_for_the_true_attribution():
    rng = np.random.default_rng(0)
    region = square()
    image = rng.random((2, *SHAPE)) + 0.5
    predict = toy_predict(region)
    true = region.astype(float) + 0.01 * rng.random(SHAPE)
    random = rng.random(SHAPE)
    auc_true = deletion_auc(true, predict, image, steps=20)
    auc_random = deletion_auc(random, predict, image, steps=20)
    assert auc_true < 0.1 < 0.4 < auc_random
    curve = deletion_curve(true, predict, image, steps=10)
    assert curve.fractions[0] == 0 and curve.fractions[-1] == 1
    assert curve.scores[0] == 1 and curve.scores[-1] == 0
    assert np.all(np.diff(curve.scores) <= 1e-12)


def test_deletion_with_zero_initial_score_is_undefined():
    region = square()
    assert deletion_auc(blob(), toy_predict(region), np.zeros((1, *SHAPE))) is None


def test_compare_methods_with_deletion():
    rng = np.random.default_rng(2)
    region = square()
    image = rng.random((4, *SHAPE)) + 0.5
    maps = {"true": region * 1.0 + 0.01 * rng.random(SHAPE), "random": rng.random(SHAPE)}
    d = compare_methods(maps, region, predict=toy_predict(region), image=image,
                        deletion_steps=10).to_dict()
    aucs = {m["method"]: m["deletion_auc"] for m in d["methods"]}
    assert aucs["true"] < aucs["random"]
    assert d["most_faithful_method"] is None  # one slice, no ranking: no "most faithful"
    assert len(d["methods"][0]["deletion_curve"]["normalised_score"]) == 11
    json.dumps(d)
    only_predict = compare_methods(maps, region, predict=toy_predict(region)).to_dict()
    assert only_predict["methods"][0]["deletion_auc"] is None and only_predict["notes"]


def test_single_map_and_input_errors():
    c = compare_methods({"only": blob()}, square())
    assert c.pairs == [] and c.most_agreeing_pair is None
    assert c.to_dict()["mean_pairwise_spearman"] is None
    with pytest.raises(ShapeMismatchError):
        compare_methods({"a": blob(), "b": np.zeros((8, 8))}, square())
    with pytest.raises(ShapeMismatchError):
        compare_methods({"a": blob()}, np.zeros((8, 8), bool))
    with pytest.raises(ShapeMismatchError):
        compare_methods({}, square())
    with pytest.raises(InvalidImageError, match="bad"):
        compare_methods({"bad": np.full(SHAPE, np.nan)}, square())


def test_constant_map_has_undefined_spearman():
    d = compare_methods({"a": blob(), "flat": np.zeros(SHAPE)}, square()).to_dict()
    pair = d["pairs"][0]
    assert pair["spearman"] is None and pair["iou_top10"] == 0.0
    assert pair["verdict"] == "disagree"  # the flat map marks nothing as important
    both_flat = compare_methods({"x": np.zeros(SHAPE), "y": np.zeros(SHAPE)}, square())
    assert both_flat.pairs[0].verdict == "undefined"
    assert both_flat.most_agreeing_pair is None


def test_common_resolution_agreement_replaces_pixel_numbers():
    cells = (np.indices(SHAPE)[0] // 8) * 4 + np.indices(SHAPE)[1] // 8
    m = blob()
    d = compare_methods({"integrated_gradients": m, "slice": -m}, square(), cells=cells).to_dict()
    pair = d["pairs"][0]
    assert d["agreement_resolution"] == "superpixels" and d["agreement_cells"] == 16
    assert pair["spearman"] == pytest.approx(1.0) and pair["pixel_spearman"] == pytest.approx(-1.0)
    assert pair["sign_spearman"] == pytest.approx(-1.0)


def test_ranking_names_the_best_method_only_when_separated():
    from medbrain.tools.method_ranking import SliceRecord, rank_methods

    imps = ("baseline", "blur")
    recs = [SliceRecord(z, {"a": {i: 0.5 + 0.01 * z for i in imps}, "b": {i: 0.1 for i in imps}},
                        {"a": {i: 0.5 for i in imps}, "b": {i: 0.1 for i in imps}},
                        {"a": {i: True for i in imps}, "b": {i: True for i in imps}},
                        {"a": 0.8, "b": 0.3}, {"a": 0.8, "b": 0.3}, {"a": True, "b": False}, 0.1, "ground_truth")
            for z in range(4)]
    maps = {"a": blob(), "b": blob(centre=(5, 5))}
    d = compare_methods(maps, square(), ranking=rank_methods(recs, imps)).to_dict()
    assert d["most_faithful_method"] == "a" and d["best_localised_method"] == "a"
    assert d["evaluation"]["n_slices"] == 4 and d["not_beating_random"] == []
