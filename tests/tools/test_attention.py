"""Attention rollout on the hybrid network's transformer block."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from medbrain.model.config import ModelConfig
from medbrain.model.hybrid import HybridUNetPlusPlus
from medbrain.tools.attention import attention, attention_rollout, gradient_rollout, received_attention
from medbrain.errors import MedBrainError
from medbrain.tools.base import NoAttentionError
from medbrain.tools.slice_input import make_slice_input


@pytest.fixture(scope="module")
def hybrid():
    torch.manual_seed(0)
    config = ModelConfig(decoder_channels=(16, 16, 16, 16, 16), context=0, transformer="all-MiniLM-L6-v2",
                         transformer_layers=2)
    return HybridUNetPlusPlus(config).eval()


@pytest.fixture(scope="module")
def slice_input():
    volume = np.random.default_rng(0).normal(size=(4, 60, 90, 3)).astype(np.float32)
    return make_slice_input(volume, z=1, context=0)  # padded 64 x 96: a 2 x 3 token grid


def test_rollout_of_random_stochastic_matrices_is_row_stochastic():
    g = torch.Generator().manual_seed(0)
    layers = [torch.softmax(torch.randn(1, 4, 6, 6, generator=g), dim=-1) for _ in range(3)]
    rolled = attention_rollout(layers)
    np.testing.assert_allclose(rolled.sum(dim=-1), np.ones(6), atol=1e-12)
    # one layer, no residual: just the head average
    np.testing.assert_allclose(attention_rollout(layers[:1], residual=False), layers[0][0].mean(0).double())
    np.testing.assert_allclose(received_attention(rolled).sum(), 1.0)


def test_attention_maps_rows_sum_to_one(hybrid, slice_input):
    mask = np.zeros(slice_input.shape, dtype=bool)
    mask[5:30, 40:80] = True
    result = attention(hybrid, slice_input, "WT", mask=mask)
    assert result.token_map.shape == (2, 3)
    assert result.rollout.shape == (6, 6)
    np.testing.assert_allclose(result.rollout.sum(axis=1), np.ones(6), atol=1e-6)
    assert len(result.layer_attention) == 2 and len(result.layer_maps) == 2
    for layer in result.layer_attention:
        np.testing.assert_allclose(layer.sum(axis=1), np.ones(6), atol=1e-5)
    assert result.token_map.sum() == pytest.approx(1.0)
    assert result.map.shape == (60, 90) and result.map.min() >= 0
    d = json.loads(json.dumps(result.to_dict()))
    assert d["grid"] == [2, 3] and d["heads"] == 12 and d["layers"] == 2 and d["queries"] == "region"
    assert len(d["layer_peak_token_xy"]) == 2


def test_all_queries_is_the_column_mean(hybrid, slice_input):
    result = attention(hybrid, slice_input, "ET", queries="all", mask=np.ones(slice_input.shape, bool))
    np.testing.assert_allclose(result.token_map.ravel(), result.rollout.mean(axis=0), rtol=1e-6)


def test_ablation_network_raises_a_clear_error(slice_input):
    plain = HybridUNetPlusPlus(ModelConfig(decoder_channels=(16, 16, 16, 16, 16), context=0, transformer=None))
    with pytest.raises(NoAttentionError, match="no transformer block") as info:
        attention(plain, slice_input, "WT")
    assert isinstance(info.value, MedBrainError)


def test_gradient_rollout_algebra():
    g = torch.Generator().manual_seed(1)
    att = [torch.softmax(torch.randn(1, 3, 4, 4, generator=g), dim=-1) for _ in range(2)]
    grads = [torch.randn(1, 3, 4, 4, generator=g) for _ in range(2)]
    zero = gradient_rollout(att, [torch.zeros_like(a) for a in att])
    np.testing.assert_allclose(zero, np.eye(4))  # no gradient, no relevance beyond the identity
    cams = [(gr[0].double() * a[0].double()).clamp_min(0).mean(0) for a, gr in zip(att, grads)]
    expected = torch.eye(4, dtype=torch.float64)
    for cam in cams:
        expected = expected + cam @ expected
    np.testing.assert_allclose(gradient_rollout(att, grads), expected, rtol=1e-12)


def test_gradient_weighted_rollout_on_the_hybrid(hybrid, slice_input):
    with torch.no_grad():  # the zero-initialised fusion would block every gradient to the transformer
        hybrid.bottleneck.fuse.weight.normal_(0, 0.05)
    mask = np.zeros(slice_input.shape, dtype=bool)
    mask[5:30, 40:80] = True
    result = attention(hybrid, slice_input, "WT", mask=mask)
    assert result.variant == "gradient" and result.gradient_token_map.shape == (2, 3)
    assert result.gradient_token_map.min() >= 0 and result.gradient_token_map.sum() > 0
    assert result.map.shape == (60, 90) and result.map.min() >= 0
    assert not np.allclose(result.map, result.plain_map)
    plain = attention(hybrid, slice_input, "WT", mask=mask, variant="plain")
    np.testing.assert_allclose(plain.map, result.plain_map)
    d = json.loads(json.dumps(result.to_dict()))
    assert d["ranked"] is True and "Chefer" in d["variant"]
    assert d["plain_rollout"]["role"].startswith("token-mixing diagnostic")
    assert json.loads(json.dumps(plain.to_dict()))["ranked"] is False
