"""Exact per-sequence Shapley values: the algebra, toy models with known answers, the real model."""

from __future__ import annotations

import itertools
import json
import math
from types import SimpleNamespace

import numpy as np
import pytest
import torch
import torch.nn as nn

from medbrain.tools.base import SEQUENCES
from medbrain.tools.shapley import (
    coalition_inputs,
    coalition_table,
    exact_shapley,
    sequence_shapley,
    shapley_interactions,
)
from medbrain.tools.slice_input import build_target, make_slice_input, slice_input_from_stack


def permutation_shapley(values: np.ndarray, n: int) -> np.ndarray:
    """Shapley by its definition: mean marginal contribution over all n! orders."""
    phi = np.zeros(n)
    for order in itertools.permutations(range(n)):
        b = 0
        for i in order:
            phi[i] += values[b | (1 << i)] - values[b]
            b |= 1 << i
    return phi / math.factorial(n)


def test_exact_shapley_matches_the_permutation_definition_and_is_efficient():
    values = np.random.default_rng(0).normal(size=16)
    phi = exact_shapley(values)
    np.testing.assert_allclose(phi, permutation_shapley(values, 4), atol=1e-12)
    assert phi.sum() == pytest.approx(values[15] - values[0], abs=1e-12)


def test_interaction_index_of_a_pure_pair_game():
    # v(S) = 1 exactly when players 0 and 1 are both present: all value is their interaction.
    values = np.array([float((b & 3) == 3) for b in range(16)])
    inter = shapley_interactions(values)
    assert inter[(0, 1)] == pytest.approx(1.0)
    assert all(abs(v) < 1e-12 for k, v in inter.items() if k != (0, 1))
    np.testing.assert_allclose(exact_shapley(values), [0.5, 0.5, 0, 0], atol=1e-12)


def test_absent_sequence_is_at_baseline_in_every_context_slice():
    x = torch.arange(1, 12 * 4 + 1, dtype=torch.float32).reshape(1, 12, 2, 2)
    table = coalition_table()
    batch = coalition_inputs(x, table, baseline=0.0)
    assert batch.shape == (16, 12, 2, 2)
    flair_only = int(np.flatnonzero((table == [False, False, False, True]).all(axis=1))[0])
    kept = [c for c in range(12) if batch[flair_only, c].abs().sum() > 0]
    assert kept == [3, 7, 11]  # flair of the three context slices
    assert torch.equal(batch[15], x[0])


class LinearNet(nn.Module):
    """Per-pixel logits = sum_c w[r, c] * x_c + 1: a linear game with a closed form."""

    def __init__(self, channels: int):
        super().__init__()
        self.config = SimpleNamespace(head="regions")
        self.conv = nn.Conv2d(channels, 3, 1)
        g = torch.Generator().manual_seed(1)
        with torch.no_grad():
            self.conv.weight.copy_(torch.randn(self.conv.weight.shape, generator=g))
            self.conv.bias.fill_(1.0)

    def forward(self, x):
        return self.conv(x)


class SymmetricNet(nn.Module):
    """Logit = t2 * flair + t1ce (+ bias); t1 never enters (a dummy player)."""

    def __init__(self):
        super().__init__()
        self.config = SimpleNamespace(head="regions")

    def forward(self, x):
        logit = x[:, 2] * x[:, 3] + 0.5 * x[:, 1] + 0.2
        return torch.stack([logit, logit - 0.1, logit - 0.2], dim=1)


def smooth(rng, channels: int, size: int = 32) -> np.ndarray:
    return (rng.normal(size=(channels, size, size)) * 0.5 + 1.0).astype(np.float32)


def test_linear_model_gets_its_closed_form():
    rng = np.random.default_rng(2)
    model = LinearNet(12).eval()
    inp = slice_input_from_stack(smooth(rng, 12), context=1)
    result = sequence_shapley(model, inp)
    w = model.conv.weight.detach().numpy()[:, :, 0, 0]
    x = inp.unpad(inp.tensor[0])
    for r, idx in (("WT", 0), ("TC", 1), ("ET", 2)):
        if r not in result.regions:
            continue
        mask = inp.unpad(build_target(model, inp, r).mask.numpy())
        expected = [sum((w[idx, c] * x[c])[mask].sum() for c in range(12) if c % 4 == m) for m in range(4)]
        got = [result.regions[r].values[s] for s in SEQUENCES]
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-3)
        assert result.regions[r].efficiency_ok
    assert result.forward_passes == 17


def test_symmetry_and_dummy_on_a_toy_model():
    rng = np.random.default_rng(3)
    image = smooth(rng, 4)
    image[3] = image[2]  # t2 and flair identical: symmetric players
    inp = slice_input_from_stack(image)
    d = sequence_shapley(SymmetricNet(), inp, regions=["WT"]).regions["WT"]
    assert d.values["t2"] == pytest.approx(d.values["flair"], rel=1e-6)
    assert d.values["t1"] == 0.0  # dummy: t1 changes no coalition's value
    assert d.values["t1ce"] != 0.0
    assert d.efficiency_ok and abs(d.efficiency_gap) < 1e-6 * abs(d.value_all)
    assert d.interactions["t2+flair"] > 0 and d.interactions["t1+t2"] == 0.0
    share = d.shares
    assert sum(abs(v) for v in share.values()) == pytest.approx(1.0)
    assert sum(d.fraction_of_effect.values()) == pytest.approx(1.0)


def test_several_slices_add_up_and_empty_regions_are_named():
    rng = np.random.default_rng(4)
    model = SymmetricNet()
    inputs = [slice_input_from_stack(smooth(rng, 4), z=z) for z in (3, 4)]
    both = sequence_shapley(model, inputs, regions=["WT"]).regions["WT"]
    one = [sequence_shapley(model, i, regions=["WT"]).regions["WT"] for i in inputs]
    for s in SEQUENCES:
        assert both.values[s] == pytest.approx(one[0].values[s] + one[1].values[s], rel=1e-6, abs=1e-6)
    assert both.slices == [3, 4] and both.efficiency_ok
    empty = np.zeros((32, 32), bool)
    res = sequence_shapley(model, inputs[0], regions=["WT", "ET"], masks={"ET": [empty]})
    assert "ET" in res.absent and "ET" in res.to_dict()["not_computed"]
    json.dumps(res.to_dict())


class NaNWithoutFlair(nn.Module):
    """Finite only while FLAIR is present: the coalitions without it give NaN."""

    def __init__(self):
        super().__init__()
        self.config = SimpleNamespace(head="regions")

    def forward(self, x):
        logit = x[:, 3] + 1.0
        logit = torch.where(x[:, 3:4].abs().sum(dim=(1, 2, 3), keepdim=True)[:, 0] > 0, logit, torch.nan)
        return torch.stack([logit, logit, logit], dim=1)


def test_efficiency_is_checked_against_the_separate_clean_pass():
    rng = np.random.default_rng(5)
    inp = slice_input_from_stack(smooth(rng, 4))
    d = sequence_shapley(SymmetricNet(), inp, regions=["WT"]).to_dict()
    wt = d["regions"]["WT"]
    assert wt["checks_ok"] and d["checks_ok"] is True
    assert abs(wt["efficiency_gap_vs_clean"]) < 1e-3 * max(abs(wt["value_all"]), 1.0)
    # a non-finite coalition value is never turned into "values": the region is not computed
    res = sequence_shapley(NaNWithoutFlair(), inp, regions=["WT"], masks={"WT": [np.ones(inp.shape, bool)]})
    assert res.regions == {} and "not finite" in res.absent["WT"]
    assert res.to_dict()["checks_ok"] is None


@pytest.mark.realdata
@pytest.mark.slow
def test_shipped_model_on_a_real_case(real_case_dir):
    from medbrain.data.loading import load_case
    from medbrain.data.preprocessing import crop, preprocess
    from medbrain.model.checkpoint import load_checkpoint
    from medbrain.model.default import default_checkpoint_path

    model = load_checkpoint(default_checkpoint_path()).model.eval()
    case = load_case(real_case_dir)
    prep = preprocess(case)
    label = crop(case.label, prep.box)
    z = int(np.argmax((label > 0).sum(axis=(0, 1))))
    inp = make_slice_input(prep.images, z, model.config.context, prep.mask)
    result = sequence_shapley(model, inp)
    d = result.to_dict()
    assert d["regions"], "the shipped model predicts tumour on the largest tumour slice"
    for r, rs in result.regions.items():
        assert rs.efficiency_ok, (r, rs.efficiency_gap)
        # v(all) is the very score every other method explains (batched vs single pass).
        clean = build_target(model, inp, r).score
        assert rs.value_all == pytest.approx(clean, rel=1e-3, abs=1e-2)
        assert rs.checks_ok, (r, rs.to_dict())
        assert all(np.isfinite(v) for v in rs.values.values())
        assert sum(abs(v) for v in rs.shares.values()) == pytest.approx(1.0)
    json.dumps(d)


def test_montage_draws_the_shapley_panel(tmp_path):
    from PIL import Image

    from medbrain.report.figures import figure_size, montage

    image = np.random.default_rng(0).normal(size=(40, 40)) + 3
    label = np.zeros((40, 40), np.uint8)
    label[10:20, 10:20] = 2
    shares = {"WT": {"t1": -0.1, "t1ce": 0.1, "t2": 0.3, "flair": 0.5},
              "ET": {"t1": 0.0, "t1ce": 0.7, "t2": 0.1, "flair": 0.2}}
    out = montage(image, None, label, {"gradcam": image}, "shapley", tmp_path / "s.png", dpi=60, shapley=shares)
    with Image.open(out) as im:
        assert im.size == figure_size(1, has_truth=False, dpi=60, extra_panels=1)
