"""Integrated Gradients (Sundararajan et al., ICML 2017) for one slice, via captum.

Baseline: all zeros. After per-sequence z-scoring inside the brain
(:func:`medbrain.data.preprocessing.zscore`) zero is each sequence's mean brain
intensity, an "average brain" without contrast, and it is also the value of the
background and of the padding, so the path from baseline to input introduces exactly the
image contrast the model sees and nothing outside the head. Attributions are in units of
the target (region log-odds summed over the fixed predicted mask, see
:mod:`medbrain.tools.slice_input`); by completeness they sum to
``F(input) - F(baseline)`` up to the reported convergence delta.

The integral uses captum's Gauss-Legendre quadrature with ``n_steps`` nodes, evaluated in
batches of ``internal_batch_size`` (memory is linear in it). Per-sequence shares: channel
``c`` of the stacked input belongs to sequence ``c % 4`` (t1, t1ce, t2, flair), whichever
neighbouring slice it comes from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn as nn
from captum.attr import IntegratedGradients

from medbrain.tools.base import SEQUENCES, AttributionError, AttributionResult, check_region, eval_mode, stopwatch
from medbrain.tools.slice_input import SliceInput, build_target

DEFAULT_STEPS = 32
DEFAULT_BATCH = 8


@dataclass(kw_only=True)
class IntegratedGradientsResult(AttributionResult):
    """IG map: ``map`` (X, Y) is the signed attribution summed over input channels.

    ``attributions`` keeps every channel (C, X, Y). Positive = moving this pixel from the
    baseline to its value raised the region's evidence.
    """

    attributions: np.ndarray
    baseline_score: float
    convergence_delta: float
    sequence_share: dict[str, float] = field(default_factory=dict)
    sequence_sum: dict[str, float] = field(default_factory=dict)

    @property
    def dominant_sequence(self) -> str:
        return max(self.sequence_share, key=self.sequence_share.get)

    def extra_dict(self) -> dict[str, Any]:
        diff = self.target_score - self.baseline_score
        return {
            "baseline_score": float(self.baseline_score),
            "score_difference": float(diff),
            "attribution_sum": float(self.attributions.sum()),
            "convergence_delta": float(self.convergence_delta),
            "relative_delta": float(abs(self.convergence_delta) / max(abs(diff), 1e-12)),
            "sequence_share": {k: float(v) for k, v in self.sequence_share.items()},
            "sequence_sum": {k: float(v) for k, v in self.sequence_sum.items()},
            "dominant_sequence": self.dominant_sequence,
        }


def sequence_shares(attributions: np.ndarray) -> tuple[dict[str, float], dict[str, float]]:
    """(share of |attribution| per sequence, signed sum per sequence) for (C, ...) arrays."""
    attributions = np.asarray(attributions, dtype=np.float64)
    per_abs = np.zeros(4)
    per_sum = np.zeros(4)
    for c in range(attributions.shape[0]):
        per_abs[c % 4] += np.abs(attributions[c]).sum()
        per_sum[c % 4] += attributions[c].sum()
    total = per_abs.sum()
    shares = per_abs / total if total > 0 else np.full(4, 0.25)
    return ({s: float(v) for s, v in zip(SEQUENCES, shares)},
            {s: float(v) for s, v in zip(SEQUENCES, per_sum)})


def integrated_gradients(model: nn.Module, inp: SliceInput, region: str = "WT", *, n_steps: int = DEFAULT_STEPS,
                         internal_batch_size: int | None = DEFAULT_BATCH, method: str = "gausslegendre",
                         baseline: float = 0.0, mask: np.ndarray | None = None,
                         head: str | None = None) -> IntegratedGradientsResult:
    """Integrated Gradients of ``region`` on one slice.

    ``n_steps`` quadrature nodes (each a forward and backward pass), ``baseline`` a
    constant input value (0 = z-score mean, see module docstring), ``mask`` (X, Y)
    overrides the predicted region as the target's pixels.
    """
    region = check_region(region)
    if n_steps < 1:
        raise AttributionError(f"n_steps must be at least 1, got {n_steps}.")
    with stopwatch() as clock, eval_mode(model):
        target = build_target(model, inp, region, mask=mask, head=head)
        base = torch.full_like(inp.tensor, float(baseline))
        with torch.no_grad():
            baseline_score = float(target.wrapper(base)[0])
        ig = IntegratedGradients(target.wrapper)
        attr, delta = ig.attribute(
            inp.tensor, baselines=base, target=None, n_steps=n_steps, method=method,
            internal_batch_size=internal_batch_size, return_convergence_delta=True,
        )
        per_channel = inp.unpad(attr[0]).astype(np.float32)
    share, signed = sequence_shares(per_channel)
    return IntegratedGradientsResult(
        method="integrated_gradients",
        region=region,
        z=inp.z,
        map=per_channel.sum(axis=0),
        attributions=per_channel,
        baseline_score=baseline_score,
        convergence_delta=float(delta.reshape(-1)[0]),
        sequence_share=share,
        sequence_sum=signed,
        target_score=target.score,
        target_pixels=target.pixels,
        seconds=clock["seconds"],
        settings={"n_steps": int(n_steps), "method": method, "baseline": float(baseline),
                  "internal_batch_size": internal_batch_size},
    )
