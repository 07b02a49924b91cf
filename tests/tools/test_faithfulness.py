"""Deletion/insertion curves: known answers on a toy model, controls, tie-breaking, imputations."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest
import torch
import torch.nn as nn

from medbrain.tools.faithfulness import Curves, auc, faithfulness, imputation, rank_pixels
from medbrain.tools.slice_input import build_target, slice_input_from_stack

SIZE = 32
SQUARE = (slice(6, 22), slice(8, 24))


class SquareEvidence(nn.Module):
    """Every pixel's logit = 1 + mean input inside a fixed square: only the square matters."""

    def __init__(self):
        super().__init__()
        self.config = SimpleNamespace(head="regions")
        m = torch.zeros(1, 1, SIZE, SIZE)
        m[..., SQUARE[0], SQUARE[1]] = 1
        self.register_buffer("square", m)

    def forward(self, x):
        evidence = (x * self.square).sum(dim=(1, 2, 3)) / self.square.sum()
        logit = 1.0 + evidence[:, None, None, None] * torch.ones(1, 3, *x.shape[-2:])
        return logit


class TopRows(nn.Module):
    """Logit depends only on the first rows: a raster-order tie-break would look faithful."""

    def __init__(self):
        super().__init__()
        self.config = SimpleNamespace(head="regions")

    def forward(self, x):
        evidence = x[:, :, :4].mean(dim=(1, 2, 3))
        return (1.0 + evidence)[:, None, None, None] * torch.ones(1, 3, *x.shape[-2:])


@pytest.fixture(scope="module")
def case():
    rng = np.random.default_rng(0)
    image = (0.2 * rng.random((4, SIZE, SIZE)) + 1.0).astype(np.float32)
    image[:, SQUARE[0], SQUARE[1]] += 2.0  # a bright lesion: blurring it away lowers the evidence
    brain = np.zeros((SIZE, SIZE), bool)
    brain[2:30, 2:30] = True
    image[:, ~brain] = 0
    return slice_input_from_stack(image, brain=brain)


def square_map() -> np.ndarray:
    m = np.zeros((SIZE, SIZE))
    m[SQUARE] = 1.0
    return m + 1e-3 * np.random.default_rng(1).random((SIZE, SIZE))


def test_true_map_beats_random_and_curves_are_normalised(case):
    model = SquareEvidence()
    target = build_target(model, case, "WT")
    rng = np.random.default_rng(2)
    maps = {"true": square_map(), "noise": rng.random((SIZE, SIZE)), "inverse": -square_map()}
    f = faithfulness(target, case, maps, fractions=(0.02, 0.05, 0.1, 0.2, 0.4), random_maps=3, seed=0)
    n_maps = len(maps) + 1 + 3
    assert f.forward_passes == 2 * (1 + 2 * 5 * n_maps)
    assert f.brain_pixels == int(case.brain.sum())
    for imp in ("baseline", "blur"):
        true = f.maps["true"][imp]
        assert true.deletion[0] == 1.0 and true.deletion[-1] == 0.0
        assert true.insertion[0] == 0.0 and true.insertion[-1] == 1.0
        assert true.deletion_auc < 0.2 and true.insertion_auc > 0.8
        assert f.beats_random("true", imp) and not f.beats_random("noise", imp)
        assert f.maps["inverse"][imp].score < f.random_score(imp)[0]
    d = json.loads(json.dumps(f.to_dict()))
    assert d["methods"]["true"]["beats_random_both"] is True
    assert d["methods"]["noise"]["beats_random_both"] is False
    assert d["controls"]["random"]["baseline"]["draws"] == 3
    # The model's probability is constant here: no information, like a random order.
    assert d["controls"]["probability"]["beats_random"]["baseline"] is False


def test_ties_are_broken_at_random_not_in_raster_order(case):
    model = TopRows()
    target = build_target(model, case, "WT")
    flat = {"constant": np.zeros((SIZE, SIZE))}
    f = faithfulness(target, case, flat, fractions=(0.05, 0.1, 0.2), random_maps=2, seed=0)
    # In raster order a constant map would delete the decisive top rows first.
    assert not f.beats_random("constant", "baseline")
    order = rank_pixels(np.zeros((4, 4)), np.ones((4, 4), bool), np.random.default_rng(0))
    assert sorted(order.tolist()) == list(range(16)) and order.tolist() != list(range(16))


def test_background_is_never_ranked_and_imputations_differ(case):
    order = rank_pixels(np.random.default_rng(0).random((SIZE, SIZE)), case.brain, np.random.default_rng(0))
    assert case.brain.ravel()[order].all() and order.size == case.brain.sum()
    zero, blur = imputation(case.tensor, "baseline"), imputation(case.tensor, "blur")
    assert float(zero.abs().sum()) == 0 and float(blur.abs().sum()) > 0


def test_auc_and_score():
    c = Curves([0.0, 0.5, 1.0], [1.0, 0.0, 0.0], [0.0, 1.0, 1.0])
    assert c.deletion_auc == pytest.approx(0.25) and c.insertion_auc == pytest.approx(0.75)
    assert c.score == pytest.approx(0.5)
    assert auc([0, 1], [1, 1]) == 1.0


def test_an_imputation_that_changes_nothing_is_undefined(case):
    model = TopRows()
    target = build_target(model, case, "WT")
    outside = slice_input_from_stack(case.sequences() * 1.0, brain=case.brain & (np.arange(SIZE)[:, None] >= 4))
    target = build_target(model, outside, "WT")
    case = outside  # the first four rows are not brain: no ranked pixel matters
    f = faithfulness(target, case, {"any": square_map()}, fractions=(0.1, 0.5), random_maps=1)
    assert set(f.undefined) == {"baseline", "blur"} and f.maps == {}


def test_bf16_scoring_gives_the_same_verdicts_and_is_recorded(case):
    model = SquareEvidence()
    target = build_target(model, case, "WT")
    maps = {"true": square_map(), "noise": np.random.default_rng(2).random((SIZE, SIZE))}
    kw = dict(fractions=(0.05, 0.1, 0.2, 0.4), random_maps=2, seed=0)
    f32 = faithfulness(target, case, maps, **kw)
    f16 = faithfulness(target, case, maps, precision="bf16", **kw)
    assert f32.settings["precision"] == "fp32" and f16.settings["precision"] == "bf16"
    for name in maps:
        for imp in ("baseline", "blur"):
            assert f16.maps[name][imp].score == pytest.approx(f32.maps[name][imp].score, abs=0.02)
            assert f16.beats_random(name, imp) == f32.beats_random(name, imp)
    assert f16.beats_random("true", "baseline") is True
