"""Grad-CAM on the hybrid network: default layer, shapes, ranges, JSON."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from medbrain.model.config import ModelConfig
from medbrain.model.hybrid import HybridUNetPlusPlus
from medbrain.tools.base import AttributionError
from medbrain.tools.gradcam import default_gradcam_layer, gradcam
from medbrain.tools.slice_input import make_slice_input


@pytest.fixture(scope="module")
def tiny_plain():
    torch.manual_seed(0)
    config = ModelConfig(decoder_channels=(16, 16, 16, 16, 16), context=1, transformer=None)
    return HybridUNetPlusPlus(config).eval()


@pytest.fixture(scope="module")
def slice_input():
    rng = np.random.default_rng(0)
    return make_slice_input(rng.normal(size=(4, 50, 60, 5)).astype(np.float32), z=2, context=1)


def test_default_layer_is_the_quarter_resolution_main_decoder_block(tiny_plain):
    assert default_gradcam_layer(tiny_plain) == "x_0_2"


def test_gradcam_map_shapes_ranges_and_json(tiny_plain, slice_input):
    region_mask = np.zeros(slice_input.shape, dtype=bool)
    region_mask[10:30, 20:40] = True
    result = gradcam(tiny_plain, slice_input, "TC", mask=region_mask)
    assert result.map.shape == result.signed.shape == result.normalised.shape == (50, 60)
    assert result.layer_map.shape == (16, 16)  # 1/4 of the padded 64x64 input
    assert result.map.min() >= 0
    assert result.normalised.min() == 0 and result.normalised.max() == pytest.approx(1.0)
    np.testing.assert_allclose(result.map, np.maximum(result.map, 0))
    assert result.target_pixels == 400
    d = json.loads(json.dumps(result.to_dict()))
    assert d["method"] == "gradcam" and d["layer"] == "x_0_2" and d["region"] == "TC"
    assert d["map"]["shape"] == [50, 60] and d["z"] == 2


def test_gradcam_accepts_other_layers_and_rejects_unknown(tiny_plain, slice_input):
    mask = np.ones(slice_input.shape, dtype=bool)
    result = gradcam(tiny_plain, slice_input, "WT", layer="x_0_3", mask=mask)
    assert result.layer_map.shape == (32, 32)
    with pytest.raises(AttributionError, match="No layer"):
        gradcam(tiny_plain, slice_input, "WT", layer="x_9_9", mask=mask)
