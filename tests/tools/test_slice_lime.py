"""SLICE: superpixels, surrogate algebra, determinism, stability report, JSON."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest
import torch
import torch.nn as nn
from scipy import ndimage
from sklearn.linear_model import Ridge

from medbrain.tools.base import AttributionError
from medbrain.tools.slice_input import slice_input_from_stack
from medbrain.tools.slice_stability import slice_consistency
from medbrain.tools.slice_lime import (
    lime_weights,
    sign_entropy,
    slice_lime,
    superpixels,
    weighted_ridge,
)

FAST = dict(num_samples=40, n_bootstrap=200, max_steps=3, n_segments=25)


class LocalNet(nn.Module):
    """Smooth local network: WT logit = 5x5 conv of FLAIR + T2, plus a bias."""

    def __init__(self):
        super().__init__()
        self.config = SimpleNamespace(head="regions")
        self.conv = nn.Conv2d(4, 3, 5, padding=2)
        g = torch.Generator().manual_seed(0)
        with torch.no_grad():
            self.conv.weight.copy_(torch.randn(self.conv.weight.shape, generator=g) * 0.1)
            self.conv.weight[:, 2:4] += 0.1
            self.conv.bias.fill_(0.5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.conv(x)) * 4


@pytest.fixture(scope="module")
def case():
    rng = np.random.default_rng(3)
    size = 60
    i, j = np.mgrid[:size, :size]
    brain = (i - 30) ** 2 / 27**2 + (j - 30) ** 2 / 24**2 <= 1
    image = np.stack([ndimage.gaussian_filter(rng.normal(size=(size, size)), 2.5) * 4 for _ in range(4)])
    lesion = (i - 25) ** 2 + (j - 35) ** 2 <= 36
    image[2:4, lesion] += 2.5
    image[:, ~brain] = 0
    return LocalNet().eval(), slice_input_from_stack(image.astype(np.float32), z=7, brain=brain)


def test_superpixels_cover_the_brain_only(case):
    _, inp = case
    seg = superpixels(inp.sequences(), inp.brain, n_segments=25)
    assert (seg[~inp.brain] == -1).all() and (seg[inp.brain] >= 0).all()
    ids = np.unique(seg[seg >= 0])
    np.testing.assert_array_equal(ids, np.arange(len(ids)))
    assert 10 <= len(ids) <= 40
    np.testing.assert_array_equal(seg, superpixels(inp.sequences(), inp.brain, n_segments=25))
    with pytest.raises(AttributionError):
        superpixels(np.zeros((4, 8, 8)))


def test_weighted_ridge_matches_scikit_learn():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 2, size=(30, 6)).astype(float)
    y = x @ rng.normal(size=6) + rng.normal(size=30) * 0.1
    w = rng.uniform(0.1, 1.0, size=30)
    coef, intercept = weighted_ridge(x, y, w, alpha=1.0)
    ref = Ridge(alpha=1.0).fit(x, y, sample_weight=w)
    np.testing.assert_allclose(coef[0], ref.coef_, rtol=1e-8, atol=1e-10)
    assert intercept[0] == pytest.approx(ref.intercept_)
    batch, _ = weighted_ridge(x, y, np.stack([w, w * 2]))
    assert batch.shape == (2, 6)


def test_sign_entropy_and_kernel():
    coefs = np.array([[1.0, -1.0, 1.0], [2.0, -3.0, -1.0]])
    np.testing.assert_allclose(sign_entropy(coefs), [0.0, 0.0, 1.0])
    w = lime_weights(np.array([[1, 1, 1, 1], [1, 1, 0, 0], [0, 0, 0, 0]]))
    assert w[0] == pytest.approx(1.0) and 0 < w[2] < w[1] < 1


def test_same_seed_same_map_and_seeds_differ_before_selection(case):
    model, inp = case
    a = slice_lime(model, inp, "WT", seed=0, **FAST)
    b = slice_lime(model, inp, "WT", seed=0, **FAST)
    c = slice_lime(model, inp, "WT", seed=1, **FAST)
    np.testing.assert_array_equal(a.map, b.map)
    np.testing.assert_array_equal(a.retained, b.retained)
    assert a.to_dict()["top_superpixels"] == b.to_dict()["top_superpixels"]
    assert not np.allclose(a.lime_coefficients, c.lime_coefficients)  # plain LIME runs differ


def test_result_map_stability_and_json(case):
    model, inp = case
    result = slice_lime(model, inp, "WT", seed=0, top_k=5, **FAST)
    k = result.coefficients.shape[0]
    assert result.map.shape == inp.shape
    inside = result.segments >= 0
    np.testing.assert_allclose(result.map[inside], result.coefficients[result.segments[inside]], rtol=1e-6)
    assert (result.map[~inside] == 0).all()
    assert (result.coefficients[~result.retained] == 0).all()
    assert 0 < result.retained.sum() <= k
    assert result.sigma in (0.0, 4.0)
    assert result.forward_passes <= (2 + FAST["max_steps"]) * FAST["num_samples"]  # + the fresh refit
    d = json.loads(json.dumps(result.to_dict()))
    st = d["stability"]
    assert st["fidelity_adjusted_r2"] is not None and st["fidelity_ok"] == (st["fidelity_adjusted_r2"] >= 0.3)
    assert st["reliable"] == (st["converged"] and st["fidelity_ok"])
    assert st["sigma_decisive"] == (st["sigma_margin"] >= 0.02)
    assert d["settings"]["reference_budget"] is False
    assert st["kept_fraction"] == pytest.approx(result.retained.mean())
    assert 0 <= st["mean_sign_entropy_initial"] <= 1
    if result.retained.sum() >= 2:
        assert -1 <= st["rank_correlation_final"] <= 1
    coefs = [t["coefficient"] for t in d["top_superpixels"]]
    assert coefs == sorted(coefs, key=abs, reverse=True) and len(coefs) <= 5
    assert d["steps"][0]["superpixels"] == k
    assert d["method"] == "slice" and d["settings"]["seed"] == 0
    # the bright T2/FLAIR lesion drives this network's WT logit most: top, positive
    top = d["top_superpixels"][0]
    assert top["id"] == result.segments[25, 35] and top["coefficient"] > 0


def test_consistency_across_independent_seeds(case):
    model, inp = case
    runs = [slice_lime(model, inp, "WT", seed=s, **FAST) for s in (0, 1)]
    c = slice_consistency(runs)
    assert c["runs"] == 2 and c["seeds"] == [0, 1]
    assert 0 <= c["kept_jaccard"] <= 1 and c["sign_flips"] >= 0
    assert c["consistent"] == (c["same_sigma"] and c["sign_flips"] == 0 and c["kept_jaccard"] >= 0.5
                               and c["rank_correlation"] is not None and c["rank_correlation"] >= 0.5)
    same = slice_consistency([runs[0], runs[0]])
    assert same["consistent"] and same["kept_jaccard"] == 1.0 and same["rank_correlation"] == pytest.approx(1.0)
    assert slice_consistency(runs[:1])["consistent"] is None


def test_reference_budget_is_the_default():
    import inspect

    params = inspect.signature(slice_lime).parameters
    assert params["num_samples"].default == 500 and params["max_steps"].default == 10


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device (the keep mask and blurred baseline must follow the input)")
def test_runs_with_the_input_on_cuda(case):
    model, inp = case
    gpu = slice_input_from_stack(inp.unpad(inp.tensor[0]).copy(), z=inp.z, brain=inp.brain)
    gpu.tensor = gpu.tensor.cuda()
    result = slice_lime(model.cuda(), gpu, "WT", seed=0, sigmas=(0.0, 4.0), **FAST)
    cpu = slice_lime(model.cpu(), inp, "WT", seed=0, sigmas=(0.0, 4.0), **FAST)
    assert result.sigma == cpu.sigma and np.array_equal(result.retained, cpu.retained)


def test_bf16_scoring_keeps_the_explanation_and_is_recorded(case):
    model, inp = case
    fp32 = slice_lime(model, inp, "WT", seed=0, **FAST)
    bf16 = slice_lime(model, inp, "WT", seed=0, precision="bf16", **FAST)
    assert fp32.settings["precision"] == "fp32" and bf16.settings["precision"] == "bf16"
    assert np.array_equal(fp32.retained, bf16.retained) and fp32.sigma == bf16.sigma
    assert np.array_equal(np.sign(fp32.coefficients), np.sign(bf16.coefficients))
    assert np.corrcoef(fp32.coefficients, bf16.coefficients)[0, 1] > 0.99
    assert not np.array_equal(fp32.coefficients, bf16.coefficients)  # the scores did change precision
