"""Tests of the confidence tool: levels, reasons, TTA agreement, empty regions."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import ndimage

from medbrain.errors import ConfigError, ShapeMismatchError
from medbrain.labels import regions_to_labels
from medbrain.metrics import dice
from medbrain.tools.confidence import (
    DEFAULT_THRESHOLDS,
    ConfidenceThresholds,
    assess_confidence,
    binary_entropy,
    tta_dice,
    uncertain_fraction,
)

SHAPE = (32, 32, 16)


def ball(radius: float, centre=(16, 16, 8)) -> np.ndarray:
    grid = np.indices(SHAPE)
    r2 = sum((g - c) ** 2 for g, c in zip(grid, centre))
    return r2 <= radius**2


def confident_probs(with_et: bool = True) -> np.ndarray:
    """Sharp WT ⊃ TC ⊃ ET balls: ~0.99 inside, ~0.01 outside, a thin soft edge."""
    masks = [ball(10), ball(6), ball(4) if with_et else np.zeros(SHAPE, bool)]
    return np.stack([np.clip(ndimage.gaussian_filter(m.astype(np.float32), 0.5), 0.01, 0.99)
                     for m in masks])


def label_of(probs: np.ndarray) -> np.ndarray:
    return regions_to_labels(*probs)


def test_confident_probabilities_are_high():
    probs = confident_probs()
    tta = [probs, probs.copy(), probs.copy()]
    c = assess_confidence(probs, label_of(probs), tta_probs=tta, method_agreement=0.6)
    d = c.to_dict()
    assert d["level"] == "high"
    for name in ("WT", "TC", "ET"):
        r = d["regions"][name]
        assert r["level"] == "high", r
        assert r["mean_probability"] >= 0.85 and r["tta_dice"] == 1.0
        assert r["uncertain_fraction"] <= 0.2 and r["mean_entropy_bits"] < 0.5
    assert all(r["effect"] in ("supports", "reported beside") for r in d["reasons"])
    assert d["tta_variants"] == 3 and d["calibrated"] is False and "heuristic" in d["levels_basis"]
    assert d["likely_undersegmented_regions"] == []
    json.dumps(d)


def test_noisy_probabilities_near_half_are_low_with_reasons():
    rng = np.random.default_rng(0)
    probs = np.clip(0.5 + 0.15 * rng.standard_normal((3, *SHAPE)), 0, 1).astype(np.float32)
    tta = [np.clip(probs + 0.2 * rng.standard_normal(probs.shape), 0, 1) for _ in range(4)]
    c = assess_confidence(probs, tta_probs=tta, method_agreement=0.05)
    d = c.to_dict()
    assert d["level"] == "low"
    factors = {r["factor"] for r in d["reasons"] if r["effect"] == "lowers"}
    for name in ("WT", "TC", "ET"):
        assert d["regions"][name]["level"] == "low"
        assert {f"mean_probability_{name}", f"uncertain_fraction_{name}",
                f"tta_dice_{name}"} <= factors
    assert "method_agreement" not in factors  # reported beside the level, never lowers it
    assert any(r["factor"] == "method_agreement" and r["effect"] == "reported beside" for r in d["reasons"])
    low = next(r for r in d["reasons"] if r["factor"] == "mean_probability_WT")
    assert low["threshold"] == 0.65 and low["points_to"] == "low" and low["value"] < 0.65


def test_empty_et_is_not_applicable_and_never_graded():
    probs = confident_probs(with_et=False)
    probs[2, 16, 16, 8] = 0.4  # a hint of ET, below threshold
    d = assess_confidence(probs, label_of(probs)).to_dict()
    et = d["regions"]["ET"]
    assert et["level"] == "not applicable" and et["predicted_voxels"] == 0
    assert et["mean_probability"] is None and et["tta_dice"] is None
    assert et["max_probability"] == 0.4 and et["voxels_above_uncertain_low"] == 1
    assert et["reasons"][0]["effect"] == "not applicable"
    assert "not predicted" in et["reasons"][0]["note"]
    assert d["level"] == "high"  # from WT and TC only
    assert any(r["factor"] == "predicted_voxels_ET" for r in d["reasons"])


def test_nothing_predicted_is_not_applicable():
    d = assess_confidence(np.zeros((3, *SHAPE), np.float32)).to_dict()
    assert d["level"] == "not applicable"
    assert {r["level"] for r in d["regions"].values()} == {"not applicable"}


def test_documented_threshold_values_are_used():
    t = DEFAULT_THRESHOLDS
    assert (t.high_mean_probability, t.low_mean_probability) == (0.85, 0.65)
    assert (t.high_max_uncertain_fraction, t.low_max_uncertain_fraction) == (0.20, 0.40)
    assert (t.high_tta_dice, t.low_tta_dice) == (0.90, 0.75)
    assert (t.uncertain_low, t.uncertain_high, t.neighbourhood_voxels) == (0.3, 0.7, 2)
    assert t.min_method_agreement == 0.3 and t.min_region_voxels == 10
    probs = confident_probs()
    d = assess_confidence(probs, label_of(probs)).to_dict()
    assert d["thresholds"] == t.to_dict()
    reason = d["regions"]["WT"]["reasons"][0]
    assert reason["factor"] == "mean_probability_WT" and reason["threshold"] == 0.85
    # stricter custom thresholds change the level
    strict = ConfidenceThresholds(high_mean_probability=0.99)
    assert assess_confidence(probs, label_of(probs), thresholds=strict).level == "moderate"


def test_moderate_level_between_thresholds_and_tta_disagreement():
    probs = confident_probs()
    shifted = np.roll(probs, 3, axis=1)
    tta = [probs, shifted]
    c = assess_confidence(probs, label_of(probs), tta_probs=tta)
    et = c.regions["ET"]
    assert et.tta_dice < 0.9
    assert any(r.factor == "tta_dice_ET" and r.effect == "lowers" for r in c.reasons)
    assert c.level in ("moderate", "low")


def test_method_agreement_is_reported_beside_not_capping():
    probs = confident_probs()
    c = assess_confidence(probs, label_of(probs), method_agreement=0.1, explanation={"not_beating_random": ["attention"]})
    assert c.level == "high"
    d = c.to_dict()
    assert d["method_agreement"] == 0.1 and d["explanation"] == {"not_beating_random": ["attention"]}
    assert c.reasons[-1].factor == "method_agreement" and c.reasons[-1].effect == "reported beside"


def test_tta_agreement_is_leave_one_out():
    a = ball(6).astype(np.float32)
    b = ball(6, centre=(18, 16, 8)).astype(np.float32)
    # Two identical variants and one shifted one: each is compared with the *others'* mean.
    expected = np.mean([dice(a > 0.5, (a + b) / 2 > 0.5), dice(a > 0.5, (a + b) / 2 > 0.5),
                        dice(b > 0.5, a > 0.5)])
    assert tta_dice([a, a, b], 0.5) == pytest.approx(expected)
    assert tta_dice([a, b], 0.5) == pytest.approx(dice(a > 0.5, b > 0.5))


def test_probability_just_below_threshold_outside_the_mask_lowers_confidence():
    """The issue's case: a small confident ET core, a large missed ring at p ~ 0.35-0.45."""
    probs = confident_probs()
    ring = ball(8) & ~ball(4)
    probs[2][ring] = 0.4  # ET probability in [0.2, 0.5) around the predicted ET: likely missed
    c = assess_confidence(probs, label_of(probs))
    et = c.regions["ET"]
    assert et.mean_probability > 0.85  # inside the mask the model is sure...
    assert et.outside["mass_ratio"] > 0.75 and et.outside["likely_undersegmentation"]
    assert et.level == "low" and c.level == "low"
    assert any(r.factor == "likely_undersegmentation_ET" and r.effect == "lowers" for r in c.reasons)
    assert c.to_dict()["likely_undersegmented_regions"] == ["ET"]
    assert c.regions["WT"].outside["likely_undersegmentation"] is False


def test_empty_region_with_probability_mass_is_flagged_possibly_missed():
    probs = confident_probs(with_et=False)
    probs[2][ball(4)] = 0.45
    d = assess_confidence(probs, label_of(probs)).to_dict()
    et = d["regions"]["ET"]
    assert et["level"] == "not applicable" and et["outside"]["possible_missed_region"] is True
    assert d["possibly_missed_regions"] == ["ET"]


def test_missing_tta_is_not_assessed():
    probs = confident_probs()
    d = assess_confidence(probs, label_of(probs)).to_dict()
    tta = next(r for r in d["regions"]["WT"]["reasons"] if r["factor"] == "tta_dice_WT")
    assert tta["effect"] == "not assessed" and tta["value"] is None


def test_single_region_and_slice_input():
    probs = confident_probs()
    d = assess_confidence(probs[0], region="wt", tta_probs=[probs[0], probs[0]]).to_dict()
    assert list(d["regions"]) == ["WT"] and d["regions"]["WT"]["tta_dice"] == 1.0
    d2 = assess_confidence(probs[:, :, :, 8]).to_dict()  # one axial slice, (3, X, Y)
    assert d2["regions"]["WT"]["level"] == "high"


def test_tiny_region_is_low():
    probs = np.full((3, *SHAPE), 0.01, np.float32)
    probs[:, 5:7, 5:7, 5] = 0.99  # 4 voxels
    c = assess_confidence(probs)
    assert c.regions["WT"].level == "low"
    assert any(r.factor == "predicted_voxels_WT" for r in c.reasons)


def test_helpers():
    assert binary_entropy(np.array([0.0, 0.5, 1.0])) == pytest.approx([0, 1, 0], abs=1e-9)
    mask = np.zeros((10, 10), bool)
    mask[4:6, 4:6] = True
    probs = np.where(mask, 0.5, 0.0)
    assert uncertain_fraction(probs, mask, DEFAULT_THRESHOLDS) == pytest.approx(4 / 36)
    a = np.zeros((4, 4))
    assert tta_dice([a, a], 0.5) == 1.0


def test_input_errors():
    with pytest.raises(ShapeMismatchError):
        assess_confidence(np.zeros((2, 4, 4, 4)))
    with pytest.raises(ConfigError):
        assess_confidence(np.zeros((4, 4, 4)), region="XX")
    with pytest.raises(ShapeMismatchError):
        assess_confidence(np.zeros((3, 4, 4, 4)), np.zeros((5, 5, 5), np.uint8))
    with pytest.raises(ShapeMismatchError):
        assess_confidence(np.zeros((3, 4, 4, 4)), tta_probs=[np.zeros((3, 4, 4, 5))])


def test_cropping_changes_no_number():
    rng = np.random.default_rng(3)
    probs = confident_probs()
    probs[0, 2, 2, 2] = 0.45  # a lone uncertain voxel far from the prediction
    tta = [np.clip(probs + 0.1 * rng.standard_normal(probs.shape), 0, 1) for _ in range(3)]
    c = assess_confidence(probs, label_of(probs), tta_probs=tta)
    mask = label_of(probs) > 0
    wt = c.regions["WT"]
    assert wt.uncertain_fraction == pytest.approx(
        uncertain_fraction(probs[0], mask, DEFAULT_THRESHOLDS))
    assert wt.tta_dice == pytest.approx(tta_dice([v[0] for v in tta], 0.5))


def test_missing_sequences_cap_each_region_at_what_cross_validation_measured():
    probs = confident_probs()
    tta = [probs.copy() for _ in range(4)]
    full = assess_confidence(probs, label_of(probs), tta_probs=tta).to_dict()
    assert {r["level"] for r in full["regions"].values()} == {"high"}
    capped = assess_confidence(probs, label_of(probs), tta_probs=tta, missing_sequences=("t1", "t2"),
                               expected_dice={"WT": 0.74, "TC": 0.67, "ET": 0.39}).to_dict()
    assert {k: v["level"] for k, v in capped["regions"].items()} == {"WT": "high", "TC": "moderate", "ET": "low"}
    assert capped["level"] == "low"
    reason = next(r for r in capped["reasons"] if r["factor"] == "expected_dice_ET")
    assert reason["value"] == 0.39 and reason["effect"] == "lowers" and "without t1, t2" in reason["note"]
    unmeasured = assess_confidence(probs, label_of(probs), tta_probs=tta, missing_sequences=("t1",)).to_dict()
    assert {r["level"] for r in unmeasured["regions"].values()} == {"moderate"}
