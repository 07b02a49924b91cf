"""Attention rollout on the hybrid network's transformer block."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from medbrain.model.config import ModelConfig
from medbrain.model.hybrid import HybridUNetPlusPlus
from medbrain.tools.attention import attention, attention_rollout, received_attention
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
