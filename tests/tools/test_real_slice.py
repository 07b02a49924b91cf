"""All four attribution tools and the montage on a real BraTS slice (tiny network)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from medbrain.data.loading import load_case
from medbrain.data.preprocessing import crop, preprocess
from medbrain.model.config import ModelConfig
from medbrain.model.hybrid import HybridUNetPlusPlus
from medbrain.report.figures import montage
from medbrain.tools.attention import attention
from medbrain.tools.gradcam import gradcam
from medbrain.tools.integrated_gradients import integrated_gradients
from medbrain.tools.slice_input import make_slice_input
from medbrain.tools.slice_lime import slice_lime

pytestmark = [pytest.mark.realdata, pytest.mark.slow]


def test_tools_and_montage_on_the_largest_tumour_slice(real_case_dir, tmp_path):
    case = load_case(real_case_dir)
    prep = preprocess(case)
    label = crop(case.label, prep.box)
    z = int(np.argmax((label > 0).sum(axis=(0, 1))))
    full = make_slice_input(prep.images, z, context=1, mask=prep.mask)
    assert full.shape == prep.images.shape[1:3]
    assert full.padded_shape[0] % 32 == 0 and full.padded_shape[1] % 32 == 0
    np.testing.assert_allclose(full.sequences(), prep.images[..., z])

    # A 64 x 64 window on the tumour keeps the test fast on a shared 2-core CPU.
    cx, cy = (int(round(c.mean())) for c in np.nonzero(label[..., z] > 0))
    x0 = min(max(cx - 32, 0), label.shape[0] - 64)
    y0 = min(max(cy - 32, 0), label.shape[1] - 64)
    window = (slice(None), slice(x0, x0 + 64), slice(y0, y0 + 64))
    inp = make_slice_input(prep.images[window], z, context=1, mask=prep.mask[window[1:]])
    truth = label[window[1:]][..., z]
    wt = truth > 0

    torch.manual_seed(0)
    model = HybridUNetPlusPlus(ModelConfig(decoder_channels=(16, 16, 16, 16, 16), context=1,
                                           transformer_layers=1)).eval()
    results = {
        "gradcam": gradcam(model, inp, "WT", mask=wt),
        "integrated_gradients": integrated_gradients(model, inp, "WT", n_steps=4, mask=wt),
        "slice": slice_lime(model, inp, "WT", sigmas=(0.0,), num_samples=24, n_bootstrap=100, max_steps=2,
                            n_segments=12, mask=wt),
        "attention": attention(model, inp, "WT", mask=wt),
    }
    for name, result in results.items():
        assert result.map.shape == (64, 64), name
        assert result.target_pixels == int(wt.sum())
        json.dumps(result.to_dict())
    out = montage(inp.sequences()[3], truth, truth, {k: r.map for k, r in results.items()},
                  f"{real_case_dir.name} WT z={z}", tmp_path / "montage.png", image_name="FLAIR")
    assert out.stat().st_size > 10_000
