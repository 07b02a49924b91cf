"""Batched forward passes give the same numbers as one input per pass (real tiny network).

SLICE's perturbation samples, the deletion/insertion curves and the 16 Shapley coalitions
are scored ``batch_size`` inputs per forward pass; the batch size is a memory/speed knob
and must not change any result beyond float32 rounding.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn as nn
from scipy import ndimage

from medbrain.model.config import ModelConfig
from medbrain.model.hybrid import HybridUNetPlusPlus
from medbrain.tools.faithfulness import faithfulness
from medbrain.tools.shapley import sequence_shapley
from medbrain.tools.slice_input import build_target, make_slice_input
from medbrain.tools.slice_lime import _Perturber, slice_lime, superpixels

RTOL, ATOL = 1e-4, 1e-4


@pytest.fixture(scope="module")
def net_and_slice():
    torch.manual_seed(2)  # a seed whose random network's WT evidence depends on the brain (medbrain.model.unetpp init)
    model = HybridUNetPlusPlus(ModelConfig(decoder_channels=(8, 8, 8, 8, 8), context=1, transformer=None)).eval()
    with torch.no_grad():  # non-trivial BatchNorm statistics (eval mode: batch-independent)
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.bias.normal_(0, 0.2)
                m.running_mean.normal_(0, 0.2)
    rng = np.random.default_rng(0)
    size = 48
    i, j = np.mgrid[:size, :size]
    brain = (i - 24) ** 2 / 22**2 + (j - 24) ** 2 / 20**2 <= 1
    volume = np.stack([ndimage.gaussian_filter(rng.normal(size=(size, size, 3)), 2) * 3 for _ in range(4)])
    volume[:, ~brain] = 0
    inp = make_slice_input(volume.astype(np.float32), z=1, context=1, mask=brain)
    mask = np.zeros(inp.shape, bool)
    mask[15:30, 18:34] = True
    mask &= brain
    return model, inp, mask


def test_faithfulness_curves_do_not_depend_on_the_batch_size(net_and_slice):
    model, inp, mask = net_and_slice
    target = build_target(model, inp, "WT", mask=mask)
    rng = np.random.default_rng(1)
    maps = {"a": rng.random(inp.shape), "b": ndimage.gaussian_filter(rng.random(inp.shape), 3)}
    kw = dict(fractions=(0.02, 0.1, 0.3), random_maps=2, seed=0)
    one = faithfulness(target, inp, maps, batch_size=1, **kw)
    assert set(one.maps["a"]) == {"baseline", "blur"}  # both imputations defined: curves to compare
    many = faithfulness(target, inp, maps, batch_size=64, **kw)
    odd = faithfulness(target, inp, maps, batch_size=7, **kw)
    assert one.forward_passes == many.forward_passes == odd.forward_passes
    assert one.undefined == many.undefined
    for other in (many, odd):
        for name in maps:
            for imp in one.maps[name]:
                a, b = one.maps[name][imp], other.maps[name][imp]
                np.testing.assert_allclose(a.deletion, b.deletion, rtol=RTOL, atol=ATOL)
                np.testing.assert_allclose(a.insertion, b.insertion, rtol=RTOL, atol=ATOL)
        for imp in one.random:
            assert one.random_score(imp)[0] == pytest.approx(other.random_score(imp)[0], rel=RTOL, abs=ATOL)


def test_slice_perturbation_scores_do_not_depend_on_the_batch_size(net_and_slice):
    model, inp, mask = net_and_slice
    target = build_target(model, inp, "WT", mask=mask, reduction="mean")
    segments = superpixels(inp.sequences(), inp.brain, n_segments=20)
    z = np.random.default_rng(2).integers(0, 2, size=(37, int(segments.max()) + 1)).astype(np.float64)
    scores = {b: _Perturber(inp, segments, target, b).scores(z, 4.0) for b in (1, 5, 64)}
    np.testing.assert_allclose(scores[1], scores[64], rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(scores[1], scores[5], rtol=RTOL, atol=ATOL)
    settings = dict(num_samples=24, n_bootstrap=100, max_steps=2, n_segments=20, seed=0, mask=mask)
    one = slice_lime(model, inp, "WT", batch_size=1, **settings)
    many = slice_lime(model, inp, "WT", batch_size=32, **settings)
    assert one.forward_passes == many.forward_passes and one.sigma == many.sigma
    np.testing.assert_array_equal(one.retained, many.retained)
    np.testing.assert_allclose(one.map, many.map, rtol=1e-3, atol=1e-5)


def test_shapley_values_do_not_depend_on_the_batch_size(net_and_slice):
    model, inp, mask = net_and_slice
    masks = {r: [mask] for r in ("WT", "TC", "ET")}
    one = sequence_shapley(model, inp, masks=masks, batch_size=1)
    many = sequence_shapley(model, inp, masks=masks, batch_size=16)
    five = sequence_shapley(model, inp, masks=masks, batch_size=5)
    assert one.forward_passes == many.forward_passes == five.forward_passes == 17
    for r, rs in one.regions.items():
        assert rs.checks_ok and many.regions[r].checks_ok
        for other in (many, five):
            for s, v in rs.values.items():
                assert other.regions[r].values[s] == pytest.approx(v, rel=RTOL, abs=ATOL)
