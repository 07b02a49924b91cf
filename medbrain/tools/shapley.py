"""Exact Shapley values of the four MRI sequences: which sequence drove the prediction.

The game: the players are the sequences t1, t1ce, t2, flair; a coalition ``S`` is the
input in which the sequences outside ``S`` are *absent*, i.e. set to their baseline 0 in
every stacked context slice (after per-sequence z-scoring inside the brain, 0 is the
sequence's mean brain intensity: the sequence carries no contrast). The value ``v(S)`` is
the explained quantity of :mod:`medbrain.tools.slice_input` - the region's log-odds summed
over the mask the model predicts on the unperturbed input, held fixed - so the Shapley
values are in the same units as every other method's attributions.

With 4 players there are 2^4 = 16 coalitions: 16 forward passes per slice stack (batched)
give ``v`` for every coalition and *every* region at once (one forward gives all three
region channels). The Shapley value of sequence ``i`` is computed exactly,

    phi_i = sum over S not containing i of |S|! (n - |S| - 1)! / n! * (v(S + i) - v(S)),

no sampling, no seed. Properties (checked, not assumed): efficiency, sum_i phi_i =
v(all) - v(none) (``efficiency_gap``, exact algebra up to rounding); ``v(all)`` from the
batched coalition pass equals the clean target score the other methods explain, computed
in its own unbatched pass (``clean_score_gap``), so ``efficiency_gap_vs_clean`` = sum_i phi_i
- (f(x) - v(none)) checks efficiency against the independently computed f(x) and catches a
batched pass that scores a different input or quantity. ``checks_ok`` holds when both gaps
are within tolerance (``RELATIVE_TOLERANCE`` for the algebra, ``CLEAN_TOLERANCE`` for
batched vs single pass, relative to the largest of |v(all)|, |v(none)|, 1); a region
whose coalition values are not finite is not reported (``not_computed`` says why).
Symmetry and the dummy property are tested on toy models. The Shapley interaction index of each pair (Grabisch 1997) comes from the same
16 values: positive = the two sequences are worth more together than apart.

Several slices: the value of a coalition is the sum over the slices of their values
(each slice with its own fixed mask); Shapley values are linear in the game, so the
multi-slice values are the sums of the per-slice values, and efficiency still holds.

Normalisations: ``share`` = phi_i / sum_j |phi_j| (signed, sum of |share| = 1; robust when
the total effect is near 0) and ``fraction_of_effect`` = phi_i / (v(all) - v(none)) (sums
to 1; None when the total effect is ~0).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import torch
import torch.nn as nn

from medbrain.tools.base import REGIONS, SEQUENCES, AttributionError, check_region, eval_mode, model_head, stopwatch
from medbrain.tools.slice_input import SliceInput, prediction_mask, region_target

N_PLAYERS = len(SEQUENCES)
COALITIONS = 2**N_PLAYERS
RELATIVE_TOLERANCE = 1e-6  # efficiency is exact algebra; this only absorbs float rounding
CLEAN_TOLERANCE = 1e-3  # batched vs single forward pass: float32 reductions in another order


def coalition_table(n: int = N_PLAYERS) -> np.ndarray:
    """(2^n, n) bool: row ``b`` has player ``i`` present when bit ``i`` of ``b`` is set."""
    return np.array([[(b >> i) & 1 == 1 for i in range(n)] for b in range(2**n)], dtype=bool)


def exact_shapley(values: np.ndarray) -> np.ndarray:
    """Exact Shapley values from a full value table ``values`` (2^n, ...) -> (n, ...).

    ``values[b]`` is the value of the coalition whose members are the set bits of ``b``.
    """
    values = np.asarray(values, dtype=np.float64)
    n = int(round(math.log2(values.shape[0])))
    if 2**n != values.shape[0]:
        raise AttributionError(f"A full value table has 2^n rows, got {values.shape[0]}.")
    phi = np.zeros((n, *values.shape[1:]))
    for b in range(2**n):
        size = bin(b).count("1")
        for i in range(n):
            if not (b >> i) & 1:
                weight = math.factorial(size) * math.factorial(n - size - 1) / math.factorial(n)
                phi[i] += weight * (values[b | (1 << i)] - values[b])
    return phi


def shapley_interactions(values: np.ndarray) -> dict[tuple[int, int], float]:
    """Shapley interaction index of every pair (i, j) from a full scalar value table."""
    values = np.asarray(values, dtype=np.float64)
    n = int(round(math.log2(values.shape[0])))
    out = {}
    for i, j in itertools.combinations(range(n), 2):
        total = 0.0
        for b in range(2**n):
            if (b >> i) & 1 or (b >> j) & 1:
                continue
            size = bin(b).count("1")
            weight = math.factorial(size) * math.factorial(n - size - 2) / math.factorial(n - 1)
            bi, bj = b | (1 << i), b | (1 << j)
            total += weight * (values[bi | bj] - values[bi] - values[bj] + values[b])
        out[(i, j)] = total
    return out


def coalition_inputs(x: torch.Tensor, present: np.ndarray, baseline: float = 0.0) -> torch.Tensor:
    """(B, C, H, W) inputs: for each row of ``present`` (B, 4), absent sequences -> baseline.

    Channel ``c`` of the stacked input is sequence ``c % 4`` of one context slice, so a
    sequence is absent in every context slice at once.
    """
    if x.dim() != 4 or x.shape[0] != 1 or x.shape[1] % N_PLAYERS:
        raise AttributionError(f"Expected one (1, 4k, H, W) slice stack, got {tuple(x.shape)}.")
    keep = torch.as_tensor(np.asarray(present, dtype=bool), device=x.device)
    keep = keep[:, torch.arange(x.shape[1], device=x.device) % N_PLAYERS]  # (B, C)
    keep = keep[:, :, None, None].to(x.dtype)
    return x * keep + float(baseline) * (1 - keep)


@dataclass
class RegionShapley:
    """Shapley values of the four sequences for one region (units: summed log-odds)."""

    region: str
    values: dict[str, float]
    value_all: float  # v(all sequences present) = the clean target score
    value_none: float  # v(every sequence at baseline)
    slices: list[int]
    pixels: int
    interactions: dict[str, float] = field(default_factory=dict)
    clean_score: float | None = None  # the target on the unperturbed input, computed apart

    @property
    def total_effect(self) -> float:
        return self.value_all - self.value_none

    @property
    def efficiency_gap(self) -> float:
        return float(sum(self.values.values()) - self.total_effect)

    @property
    def efficiency_ok(self) -> bool:
        scale = max(abs(self.value_all), abs(self.value_none), 1.0)
        return abs(self.efficiency_gap) <= RELATIVE_TOLERANCE * scale

    @property
    def efficiency_gap_vs_clean(self) -> float | None:
        """sum_i phi_i - (f(x) - v(none)) with f(x) from the separate unbatched pass."""
        if self.clean_score is None:
            return None
        return float(sum(self.values.values()) - (self.clean_score - self.value_none))

    @property
    def clean_ok(self) -> bool | None:
        if self.clean_score is None:
            return None
        scale = max(abs(self.value_all), abs(self.value_none), 1.0)
        return bool(abs(self.value_all - self.clean_score) <= CLEAN_TOLERANCE * scale)

    @property
    def checks_ok(self) -> bool:
        """Efficiency holds, and v(all) is the clean target score (when it was computed)."""
        return bool(self.efficiency_ok and self.clean_ok is not False)

    @property
    def shares(self) -> dict[str, float]:
        total = sum(abs(v) for v in self.values.values())
        return {k: (v / total if total > 0 else 0.0) for k, v in self.values.items()}

    @property
    def fraction_of_effect(self) -> dict[str, float] | None:
        scale = max(abs(self.value_all), abs(self.value_none), 1.0)
        if abs(self.total_effect) <= 1e-6 * scale:
            return None
        return {k: v / self.total_effect for k, v in self.values.items()}

    @property
    def ranking(self) -> list[str]:
        return sorted(self.values, key=lambda k: -self.values[k])

    @property
    def dominant_sequence(self) -> str | None:
        """The sequence with the largest positive value (None when no value is positive)."""
        best = self.ranking[0]
        return best if self.values[best] > 0 else None

    def to_dict(self) -> dict[str, Any]:
        frac = self.fraction_of_effect
        gap = None if self.clean_score is None else self.value_all - self.clean_score
        return {
            "region": self.region,
            "values": {k: round(v, 4) for k, v in self.values.items()},
            "share": {k: round(v, 4) for k, v in self.shares.items()},
            "fraction_of_effect": None if frac is None else {k: round(v, 4) for k, v in frac.items()},
            "ranking": self.ranking,
            "dominant_sequence": self.dominant_sequence,
            "value_all": round(self.value_all, 4),
            "value_none": round(self.value_none, 4),
            "total_effect": round(self.total_effect, 4),
            "efficiency_gap": float(f"{self.efficiency_gap:.3g}"),
            "efficiency_ok": bool(self.efficiency_ok),
            "clean_score_gap": None if gap is None else float(f"{gap:.3g}"),
            "efficiency_gap_vs_clean": (None if self.efficiency_gap_vs_clean is None
                                        else float(f"{self.efficiency_gap_vs_clean:.3g}")),
            "checks_ok": self.checks_ok,
            "interactions": {k: round(v, 4) for k, v in self.interactions.items()},
            "slices": [int(z) for z in self.slices],
            "pixels": int(self.pixels),
        }


@dataclass
class SequenceShapleyResult:
    """Per-region exact Shapley values of the sequences over one or more slice stacks."""

    regions: dict[str, RegionShapley]
    absent: dict[str, str]  # region -> why it has no values (not predicted on the slices)
    forward_passes: int
    seconds: float
    baseline: float
    settings: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": "shapley",
            "players": list(SEQUENCES),
            "game": ("v(S) = region log-odds summed over the fixed predicted mask with the "
                     "sequences outside S set to their baseline in every context slice"),
            "units": "summed log-odds",
            "baseline": float(self.baseline),
            "exact": True,
            "seeded": False,
            "regions": {k: v.to_dict() for k, v in self.regions.items()},
            "checks_ok": all(v.checks_ok for v in self.regions.values()) if self.regions else None,
            "checks": ("efficiency (sum of values = v(all) - v(none)) and v(all) = the clean "
                       "target score from a separate unbatched pass"),
            "not_computed": dict(self.absent),
            "forward_passes": int(self.forward_passes),
            "seconds": round(float(self.seconds), 3),
            "settings": dict(self.settings),
        }


def sequence_shapley(model: nn.Module, inputs: SliceInput | Sequence[SliceInput],
                     regions: Sequence[str] = REGIONS, *,
                     masks: dict[str, Sequence[np.ndarray | None]] | None = None,
                     baseline: float = 0.0, threshold: float = 0.5, head: str | None = None,
                     batch_size: int = 16) -> SequenceShapleyResult:
    """Exact per-sequence Shapley values of each region over one or more slice stacks.

    ``masks`` optionally maps a region to one (X, Y) mask per input (None = the model's
    prediction on that input, the default target mask); a region with no mask pixels on
    any input is listed in ``not_computed``. Cost: 16 forward passes per input (the
    coalitions, in batches of ``batch_size``, shared by all regions) plus one unbatched
    pass of the unperturbed input, the very pass the other methods' masks come from.
    """
    inputs = [inputs] if isinstance(inputs, SliceInput) else list(inputs)
    if not inputs:
        raise AttributionError("sequence_shapley needs at least one slice input.")
    names = [check_region(r) for r in regions]
    head = model_head(model, head)
    table = coalition_table()
    full = COALITIONS - 1
    totals = {r: np.zeros(COALITIONS) for r in names}
    clean = {r: 0.0 for r in names}
    used: dict[str, list[int]] = {r: [] for r in names}
    pixels = {r: 0 for r in names}
    n_forward = 0
    step = max(1, int(batch_size))  # the cap on inputs per forward pass (memory is linear in it)
    with stopwatch() as clock, eval_mode(model), torch.no_grad():
        for k, inp in enumerate(inputs):
            x = inp.tensor
            logits = []
            for start in range(0, COALITIONS, step):
                batch = coalition_inputs(x, table[start : start + step], baseline)
                logits.append(model(batch).float())
                n_forward += batch.shape[0]
            logits_all = torch.cat(logits)
            clean_logits = model(x).float()  # the unperturbed pass the other methods explain
            n_forward += 1
            for r in names:
                given = None if masks is None or r not in masks else masks[r][k]
                if given is not None:
                    mask = torch.from_numpy(inp.pad_map(np.asarray(given, dtype=bool))).to(x.device)
                else:
                    mask = prediction_mask(clean_logits, inp, r, head, threshold)
                if not bool(mask.any()):
                    continue
                target = region_target(r, head, mask)
                totals[r] += target(logits_all).double().cpu().numpy()
                clean[r] += float(target(clean_logits)[0])
                used[r].append(inp.z)
                pixels[r] += int(mask.sum())
    results, absent = {}, {}
    for r in names:
        if not used[r]:
            absent[r] = f"no {r} pixels predicted on the explained slice(s)"
            continue
        if not (np.isfinite(totals[r]).all() and np.isfinite(clean[r])):
            absent[r] = f"the model's {r} output is not finite on some coalition: no Shapley values"
            continue
        phi = exact_shapley(totals[r])
        inter = shapley_interactions(totals[r])
        results[r] = RegionShapley(
            region=r, values={s: float(v) for s, v in zip(SEQUENCES, phi)},
            value_all=float(totals[r][full]), value_none=float(totals[r][0]), slices=used[r],
            pixels=pixels[r], clean_score=clean[r],
            interactions={f"{SEQUENCES[i]}+{SEQUENCES[j]}": float(v) for (i, j), v in inter.items()})
    return SequenceShapleyResult(
        regions=results, absent=absent, forward_passes=n_forward, seconds=clock["seconds"],
        baseline=float(baseline),
        settings={"baseline": float(baseline), "threshold": float(threshold), "batch_size": step,
                  "slices": [int(i.z) for i in inputs]})
