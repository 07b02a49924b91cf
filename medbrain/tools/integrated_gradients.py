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
batches of ``internal_batch_size`` (memory is linear in it). The convergence delta is acted
on: while ``|delta| / |F(input) - F(baseline)|`` exceeds ``tolerance`` the node count is
doubled, up to ``max_steps``; a result still above the tolerance is reported with
``converged: false`` (its map is then an approximation whose error is that delta).

Per-sequence shares: channel ``c`` of the stacked input belongs to sequence ``c % 4``
(t1, t1ce, t2, flair), whichever neighbouring slice it comes from.
``sequence_share`` is the share of |attribution| (kept for compatibility: pixel noise
of either sign inflates weak sequences); ``sequence_share_signed`` is each sequence's
signed sum over the sum of the sequences' |signed sums| (negative = the sequence, moved
from its baseline, lowered the region's evidence), and ``dominant_sequence`` is the
sequence with the largest positive signed sum. The exact, seed-free answer to "which
sequence drove the prediction" is :mod:`medbrain.tools.shapley`.
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
DEFAULT_MAX_STEPS = 128
DEFAULT_TOLERANCE = 0.05
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
    steps_tried: list[int] = field(default_factory=list)
    tolerance: float = DEFAULT_TOLERANCE

    @property
    def relative_delta(self) -> float:
        diff = self.target_score - self.baseline_score
        return float(abs(self.convergence_delta) / max(abs(diff), 1e-12))

    @property
    def converged(self) -> bool:
        return self.relative_delta <= self.tolerance

    @property
    def sequence_share_signed(self) -> dict[str, float]:
        total = sum(abs(v) for v in self.sequence_sum.values())
        return {k: (v / total if total > 0 else 0.0) for k, v in self.sequence_sum.items()}

    @property
    def dominant_sequence(self) -> str | None:
        """The sequence with the largest positive signed attribution (None if none is positive)."""
        if not self.sequence_sum:
            return None
        best = max(self.sequence_sum, key=self.sequence_sum.get)
        return best if self.sequence_sum[best] > 0 else None

    def extra_dict(self) -> dict[str, Any]:
        diff = self.target_score - self.baseline_score
        return {
            "baseline_score": float(self.baseline_score),
            "score_difference": float(diff),
            "attribution_sum": float(self.attributions.sum()),
            "convergence_delta": float(self.convergence_delta),
            "relative_delta": self.relative_delta,
            "converged": self.converged,
            "tolerance": float(self.tolerance),
            "steps_tried": [int(n) for n in self.steps_tried],
            "sequence_share": {k: float(v) for k, v in self.sequence_share.items()},
            "sequence_share_basis": "|attribution| (noise inflates weak sequences; see sequence_share_signed)",
            "sequence_share_signed": {k: float(v) for k, v in self.sequence_share_signed.items()},
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
                         max_steps: int | None = DEFAULT_MAX_STEPS, tolerance: float = DEFAULT_TOLERANCE,
                         internal_batch_size: int | None = DEFAULT_BATCH, method: str = "gausslegendre",
                         baseline: float = 0.0, mask: np.ndarray | None = None,
                         head: str | None = None) -> IntegratedGradientsResult:
    """Integrated Gradients of ``region`` on one slice.

    ``n_steps`` quadrature nodes to start with (each a forward and backward pass), doubled
    while the relative convergence delta exceeds ``tolerance`` and the count stays within
    ``max_steps`` (None = never add steps); ``baseline`` a constant input value (0 =
    z-score mean, see module docstring); ``mask`` (X, Y) overrides the predicted region as
    the target's pixels.
    """
    region = check_region(region)
    if n_steps < 1:
        raise AttributionError(f"n_steps must be at least 1, got {n_steps}.")
    limit = n_steps if max_steps is None else max(int(max_steps), n_steps)
    with stopwatch() as clock, eval_mode(model):
        target = build_target(model, inp, region, mask=mask, head=head)
        base = torch.full_like(inp.tensor, float(baseline))
        with torch.no_grad():
            baseline_score = float(target.wrapper(base)[0])
        diff = max(abs(target.score - baseline_score), 1e-12)
        ig = IntegratedGradients(target.wrapper)
        steps, tried = int(n_steps), []
        while True:
            attr, delta = ig.attribute(
                inp.tensor, baselines=base, target=None, n_steps=steps, method=method,
                internal_batch_size=internal_batch_size, return_convergence_delta=True,
            )
            tried.append(steps)
            delta_value = float(delta.reshape(-1)[0])
            if abs(delta_value) / diff <= tolerance or steps * 2 > limit:
                break
            steps *= 2
        per_channel = inp.unpad(attr[0]).astype(np.float32)
    share, signed = sequence_shares(per_channel)
    return IntegratedGradientsResult(
        method="integrated_gradients",
        region=region,
        z=inp.z,
        map=per_channel.sum(axis=0),
        attributions=per_channel,
        baseline_score=baseline_score,
        convergence_delta=delta_value,
        sequence_share=share,
        sequence_sum=signed,
        steps_tried=tried,
        tolerance=float(tolerance),
        target_score=target.score,
        target_pixels=target.pixels,
        seconds=clock["seconds"],
        settings={"n_steps": int(steps), "method": method, "baseline": float(baseline),
                  "internal_batch_size": internal_batch_size, "max_steps": limit,
                  "tolerance": float(tolerance), "initial_steps": int(n_steps)},
    )
