"""SliceInput padding round trip and the fixed-mask region target."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn as nn
from types import SimpleNamespace

from medbrain.errors import MedBrainError
from medbrain.model.inference import logits_to_region_probs
from medbrain.tools.base import EmptyRegionError
from medbrain.tools.slice_input import (
    SegmentationTargetWrapper,
    build_target,
    make_slice_input,
    region_log_odds,
    region_target,
)


class ConstantLogits(nn.Module):
    """Returns fixed logits whatever the input (shape follows the input)."""

    def __init__(self, logits: torch.Tensor, head: str = "regions"):
        super().__init__()
        self.logits = logits
        self.config = SimpleNamespace(head=head)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.logits.expand(x.shape[0], -1, -1, -1) + 0 * x.sum()


def test_make_slice_input_pads_and_unpads():
    rng = np.random.default_rng(0)
    vol = rng.normal(size=(4, 40, 50, 6)).astype(np.float32)
    brain = np.ones((40, 50, 6), dtype=bool)
    inp = make_slice_input(vol, z=0, context=1, mask=brain)
    assert inp.tensor.shape == (1, 12, 64, 64)
    assert inp.shape == (40, 50) and inp.padded_shape == (64, 64)
    # channels of the centre slice are the middle four; the slice below z=0 is clamped to z=0
    np.testing.assert_allclose(inp.sequences(), vol[..., 0])
    np.testing.assert_allclose(inp.unpad(inp.tensor[0, 0]), vol[0, :, :, 0])
    m = rng.normal(size=(40, 50))
    np.testing.assert_allclose(inp.unpad(inp.pad_map(m)), m)
    assert inp.inside().sum() == 40 * 50
    with pytest.raises(MedBrainError):
        make_slice_input(vol, z=6, context=0)


def test_softmax_region_log_odds_match_region_probabilities():
    logits = torch.randn(2, 4, 8, 8)
    probs = logits_to_region_probs(logits, "softmax")
    for i, region in enumerate(("WT", "TC", "ET")):
        expected = torch.logit(probs[:, i].double())
        np.testing.assert_allclose(region_log_odds(logits, region, "softmax").double(), expected, atol=1e-4)
    np.testing.assert_allclose(region_log_odds(logits[:, :3], "TC", "regions"), logits[:, 1])


def test_region_target_sums_over_the_fixed_mask():
    logits = torch.randn(3, 3, 8, 8)
    mask = torch.zeros(8, 8, dtype=torch.bool)
    mask[2:4, 2:5] = True
    total = region_target("wt", "regions", mask)(logits)
    assert total.shape == (3,)
    np.testing.assert_allclose(total, logits[:, 0, 2:4, 2:5].sum(dim=(1, 2)), rtol=1e-6)
    mean = region_target("WT", "regions", mask, reduction="mean")(logits)
    np.testing.assert_allclose(mean, total / 6, rtol=1e-6)
    with pytest.raises(MedBrainError):
        region_target("necrosis", "regions")


def test_build_target_uses_prediction_and_raises_when_empty():
    logits = torch.full((1, 3, 32, 32), -5.0)
    logits[0, 0, 10:20, 12:18] = 5.0  # WT predicted in a box, no TC/ET
    model = ConstantLogits(logits)
    inp = make_slice_input(np.zeros((4, 30, 30, 1), np.float32), 0, 0)
    target = build_target(model, inp, "WT")
    assert isinstance(target.wrapper, SegmentationTargetWrapper)
    assert target.pixels == 60
    assert target.score == pytest.approx(300.0)
    out = target.wrapper(torch.zeros(2, 4, 32, 32))
    assert out.shape == (2,)
    with pytest.raises(EmptyRegionError, match="No ET pixels"):
        build_target(model, inp, "ET")
    explicit = build_target(model, inp, "ET", mask=np.eye(30, dtype=bool))
    assert explicit.pixels == 30 and explicit.score == pytest.approx(-150.0)


def test_bf16_scoring_is_close_to_fp32_and_reduces_in_float32():
    from medbrain.model.config import ModelConfig
    from medbrain.model.hybrid import HybridUNetPlusPlus
    from medbrain.tools.base import AttributionError

    torch.manual_seed(0)
    model = HybridUNetPlusPlus(ModelConfig(decoder_channels=(8, 8, 8, 8, 8), context=0, transformer=None)).eval()
    volume = np.random.default_rng(2).normal(size=(4, 32, 32, 1)).astype(np.float32)
    inp = make_slice_input(volume, 0, 0)
    target = build_target(model, inp, "WT", mask=np.ones((32, 32), bool))
    batch = torch.cat([inp.tensor, 0.5 * inp.tensor, torch.zeros_like(inp.tensor)])
    fp32 = target.scores(batch)
    bf16 = target.scores(batch, "bf16")
    assert fp32.dtype == bf16.dtype == torch.float32 and bf16.shape == (3,)
    assert float(fp32[0]) == pytest.approx(target.score, rel=1e-5)
    assert target.clean_score(inp.tensor) == target.score  # fp32: the stored clean score itself
    assert target.clean_score(inp.tensor, "bf16") == pytest.approx(float(bf16[0]), rel=1e-6)
    # bf16 keeps about three significant digits per logit; the summed target stays close
    assert torch.allclose(bf16, fp32, rtol=0.02, atol=0.05 * 32 * 32)
    assert not torch.equal(bf16, fp32)  # it really ran in another precision
    scored = target.evaluate(lambda a, b: batch[a:b], 3, batch_size=2, precision="bf16")
    assert np.allclose(scored, bf16.double().numpy())
    with pytest.raises(AttributionError, match="precision must be one of fp32, bf16"):
        target.scores(batch, "fp16")
