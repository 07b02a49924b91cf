"""Several-slice ranking: intervals, 'no clear winner', the random control."""

from __future__ import annotations

import json

import numpy as np

from medbrain.tools.method_ranking import NO_WINNER, SliceRecord, bootstrap_mean, rank_methods

IMPS = ("baseline", "blur")


def record(z: int, margins: dict[str, float], rank: dict[str, float], chance: float = 0.1) -> SliceRecord:
    return SliceRecord(
        z=z, margins={m: {i: v for i in IMPS} for m, v in margins.items()},
        scores={m: {i: v for i in IMPS} for m, v in margins.items()},
        point_beats={m: {i: v > 0.05 for i in IMPS} for m, v in margins.items()},
        rank_accuracy=rank, mass_accuracy=rank, pointing={m: True for m in rank}, chance=chance,
        reference="ground_truth")


def test_a_separated_method_that_beats_random_is_named():
    rng = np.random.default_rng(0)
    recs = [record(z, {"ig": 0.6 + 0.02 * rng.standard_normal(), "cam": 0.3 + 0.02 * rng.standard_normal(),
                       "att": -0.01 + 0.02 * rng.standard_normal()},
                   {"ig": 0.7, "cam": 0.5 + 0.01 * z, "att": 0.1}) for z in range(5)]
    r = rank_methods(recs, IMPS).to_dict()
    assert r["most_faithful"] == "ig" and r["faithfulness_verdict"] == "ig"
    assert r["best_localised"] == "ig"
    assert r["methods"]["att"]["beats_random"]["both"] is False and r["not_beating_random"] == ["att"]
    assert r["methods"]["ig"]["beats_random"]["basis"] == "bootstrap interval over slices"
    lo, hi = r["methods"]["ig"]["margin_vs_random"]["baseline"]["ci"]
    assert lo < 0.6 < hi and lo > 0.5
    assert r["methods"]["att"]["beats_chance"] is False  # rank accuracy 0.1 = chance
    json.dumps(r)


def test_overlapping_intervals_give_no_clear_winner():
    rng = np.random.default_rng(1)
    recs = [record(z, {"a": 0.4 + 0.2 * rng.standard_normal(), "b": 0.4 + 0.2 * rng.standard_normal()},
                   {"a": 0.5, "b": 0.5}) for z in range(4)]
    r = rank_methods(recs, IMPS).to_dict()
    assert r["most_faithful"] is None and r["faithfulness_verdict"] == NO_WINNER
    assert r["best_localised"] is None  # a tie is no winner


def test_one_slice_never_names_a_winner():
    r = rank_methods([record(3, {"a": 0.9, "b": 0.0}, {"a": 0.9, "b": 0.1})], IMPS).to_dict()
    assert r["most_faithful"] is None and r["interval"] is None and r["notes"]
    assert r["methods"]["a"]["beats_random"] == {"baseline": True, "blur": True, "both": True,
                                                 "basis": "point estimate"}
    assert r["methods"]["b"]["beats_random"]["both"] is False


def test_bootstrap_mean_interval_contains_the_mean():
    values = np.array([1.0, 2.0, 3.0, 4.0])
    mean, lo, hi = bootstrap_mean(values, 2000, np.random.default_rng(0))
    assert mean == 2.5 and 1.0 <= lo < 2.5 < hi <= 4.0


def test_an_imputation_undefined_on_some_slices_does_not_hide_the_winner():
    """Blur undefined on two slices (the benchmark: 13 of 18): the winner is still decided."""
    rng = np.random.default_rng(2)
    recs = [record(z, {"ig": 0.6 + 0.02 * rng.standard_normal(), "cam": 0.3 + 0.02 * rng.standard_normal()},
                   {"ig": 0.7, "cam": 0.4}) for z in range(6)]
    for r in recs[:2]:
        for m in r.margins:
            del r.margins[m]["blur"]
    r = rank_methods(recs, IMPS).to_dict()
    assert r["most_faithful"] == "ig"
    assert r["methods"]["ig"]["margin_vs_random"]["blur"]["n"] == 4


def test_a_method_missing_on_one_slice_is_still_compared():
    """A map with no positive relevance on one slice has no rank accuracy there; it must
    not drop out of the comparison (which would let a weaker method be named best)."""
    recs = [record(z, {"a": 0.5, "b": 0.5}, {"a": 0.6 + 0.01 * z, "b": 0.9 + 0.01 * z}) for z in range(5)]
    recs[0].rank_accuracy["b"] = None
    r = rank_methods(recs, IMPS).to_dict()
    assert r["best_localised"] == "b" and r["methods"]["b"]["rank_accuracy"]["n"] == 4
    recs[1].rank_accuracy["b"] = recs[2].rank_accuracy["b"] = None  # 2 common slices: not separated
    assert rank_methods(recs, IMPS).to_dict()["best_localised"] is None


def test_a_winner_must_be_separated_under_each_imputation():
    rng = np.random.default_rng(3)
    recs = []
    for z in range(6):
        rec = record(z, {"a": 0.0, "b": 0.0}, {"a": 0.5, "b": 0.5})
        rec.margins["a"] = {"baseline": 0.9 + 0.01 * rng.standard_normal(), "blur": 0.3 + 0.2 * rng.standard_normal()}
        rec.margins["b"] = {"baseline": 0.2 + 0.01 * rng.standard_normal(), "blur": 0.3 + 0.2 * rng.standard_normal()}
        rec.point_beats = {m: {i: True for i in IMPS} for m in ("a", "b")}
        recs.append(rec)
    r = rank_methods(recs, IMPS).to_dict()
    assert r["methods"]["a"]["beats_random"]["both"] is True  # a wins on the mean, not under blur
    assert r["most_faithful"] is None and r["faithfulness_verdict"] == NO_WINNER


def test_one_slice_uses_the_per_slice_floor_for_the_probability_control():
    """A margin of 0.016 over the probability map is not a win on one slice (the faithfulness floor is 0.05),
    so the ranking's flag agrees with the per-method faithfulness result."""
    rec = record(3, {"a": 0.9, "b": 0.6}, {"a": 0.9, "b": 0.1})
    rec.probability_margins = {"a": {"baseline": 0.016, "blur": 0.2}, "b": {"baseline": -0.1, "blur": 0.04}}
    r = rank_methods([rec], IMPS).to_dict()
    assert r["methods"]["a"]["beats_probability"] == {"baseline": False, "blur": True}
    assert r["methods"]["b"]["beats_probability"] == {"baseline": False, "blur": False}
