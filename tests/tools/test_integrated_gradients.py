"""Integrated Gradients: completeness, per-sequence shares, JSON."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest
import torch
import torch.nn as nn

from medbrain.model.config import ModelConfig
from medbrain.model.hybrid import HybridUNetPlusPlus
from medbrain.tools.integrated_gradients import integrated_gradients, sequence_shares
from medbrain.tools.slice_input import make_slice_input


class FlairOnly(nn.Module):
    """Logits from the FLAIR channels only (channel c with c % 4 == 3), nonlinear."""

    def __init__(self, in_channels: int):
        super().__init__()
        self.config = SimpleNamespace(head="regions")
        self.flair = [c for c in range(in_channels) if c % 4 == 3]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        f = x[:, self.flair].sum(dim=1, keepdim=True)
        return torch.cat([torch.tanh(f) * 3 + 1, f, f], dim=1)


@pytest.fixture(scope="module")
def volume():
    return np.random.default_rng(0).normal(size=(4, 40, 40, 5)).astype(np.float32)


def test_completeness_on_the_hybrid_network():
    """Sum of attributions = F(x) - F(baseline) within 3% at the default 32 steps.

    BatchNorm shifts are randomised: with zero biases a ReLU network is positively
    homogeneous, F(a x) = a F(x) is linear along the path and completeness holds trivially.
    """
    torch.manual_seed(0)
    model = HybridUNetPlusPlus(ModelConfig(decoder_channels=(16, 16, 16, 16, 16), context=1, transformer=None))
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.bias.normal_(0, 0.2)
                m.running_mean.normal_(0, 0.2)
    volume = np.random.default_rng(0).normal(size=(4, 30, 30, 5)).astype(np.float32)
    inp = make_slice_input(volume, z=2, context=1)
    mask = np.zeros(inp.shape, dtype=bool)
    mask[5:25, 10:25] = True
    result = integrated_gradients(model.eval(), inp, "WT", internal_batch_size=8, mask=mask)
    diff = result.target_score - result.baseline_score
    assert abs(diff) > 1.0
    assert result.attributions.shape == (12, 30, 30) and result.map.shape == (30, 30)
    assert result.attributions.sum() == pytest.approx(diff, rel=0.03)
    assert abs(result.convergence_delta) <= 0.03 * abs(diff)
    d = json.loads(json.dumps(result.to_dict()))
    assert d["relative_delta"] < 0.03
    assert sum(d["sequence_share"].values()) == pytest.approx(1.0)
    assert d["settings"]["n_steps"] == 32 and d["settings"]["method"] == "gausslegendre"


def test_sequence_share_finds_the_only_sequence_used(volume):
    inp = make_slice_input(volume, z=2, context=1)
    result = integrated_gradients(FlairOnly(12), inp, "WT", n_steps=24)
    assert result.sequence_share["flair"] == pytest.approx(1.0)
    assert result.dominant_sequence == "flair"
    assert abs(result.convergence_delta) < 1e-2 * abs(result.target_score - result.baseline_score)


def test_sequence_shares_map_channels_modulo_four():
    attr = np.zeros((12, 2, 2))
    attr[1] = 1.0  # t1ce of the slice below
    attr[9] = -3.0  # t1ce of the slice above
    attr[6] = 4.0  # t2 of the centre slice
    share, signed = sequence_shares(attr)
    assert share == {"t1": 0.0, "t1ce": 0.5, "t2": 0.5, "flair": 0.0}
    assert signed["t1ce"] == pytest.approx(-8.0) and signed["t2"] == pytest.approx(16.0)


class Steep(nn.Module):
    """A sharp sigmoid of the FLAIR channels: few quadrature nodes miss the step."""

    def __init__(self):
        super().__init__()
        self.config = SimpleNamespace(head="regions")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        f = x[:, 3::4].sum(dim=1, keepdim=True)
        logit = torch.sigmoid(8 * (f - 0.6)) * 6 - 1
        return torch.cat([logit, logit, logit], dim=1)


def test_convergence_delta_is_acted_on(volume):
    vol = np.abs(volume) * 0 + 1.0  # uniform input: every pixel crosses the step at t = 0.6 / 3
    inp = make_slice_input(vol, z=2, context=1)
    rough = integrated_gradients(Steep(), inp, "WT", n_steps=2, max_steps=None)
    assert rough.steps_tried == [2] and not rough.converged  # None: never add steps
    grown = integrated_gradients(Steep(), inp, "WT", n_steps=2, max_steps=256, tolerance=0.01)
    assert grown.steps_tried[0] == 2 and len(grown.steps_tried) > 1
    assert grown.steps_tried == [2 * 2**k for k in range(len(grown.steps_tried))]  # doubled each time
    assert grown.converged and grown.relative_delta <= 0.01 < rough.relative_delta
    capped = integrated_gradients(Steep(), inp, "WT", n_steps=2, max_steps=4, tolerance=1e-9)
    assert capped.steps_tried == [2, 4] and capped.converged is False
    d = capped.to_dict()
    assert d["converged"] is False and d["steps_tried"] == [2, 4] and d["settings"]["n_steps"] == 4
