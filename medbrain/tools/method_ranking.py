"""Ranking explanation methods over several slices, with bootstrap intervals.

Input: per slice, per method, the numbers of :mod:`medbrain.tools.faithfulness` and
:mod:`medbrain.tools.localisation`. Output: for each method the mean over slices with a
95% percentile bootstrap interval (``n_boot`` resamples of the slices, seeded), and the
verdicts the report may state:

- ``beats_random`` per imputation: the interval of (method score - random control score)
  lies above 0. With fewer than ``MIN_SLICES_FOR_INTERVAL`` slices no interval is
  computed and the verdict is the single-slice point rule of
  :meth:`Faithfulness.beats_random` (above every random draw, margin above 3 sd and
  ``RANDOM_FLOOR``), marked ``basis: "point estimate"``.
- ``most_faithful``: the method with the highest mean faithfulness margin (per slice the
  mean over the imputations defined there of score - random) whose *paired* bootstrap
  interval of the difference to every other method lies above 0 - on the mean and under
  each imputation on its own - and which beats the random control under both
  imputations; else None and the verdict "no clear winner". Pairs are compared on the
  slices where both are defined (an imputation can be undefined on a slice, see
  :mod:`medbrain.tools.faithfulness`; a map without positive relevance has no rank
  accuracy); fewer than ``MIN_SLICES_FOR_INTERVAL`` common slices = not separated. A
  method is never left out of the comparison because one of its values is missing.
- ``beats_probability`` per imputation: the same test against the model's own probability
  map (without an interval: the mean margin above ``RANDOM_FLOOR``, the per-slice rule; reported; a method that only matches it adds nothing to "the tumour is where the
  model segmented it").
- ``best_localised``: likewise on relevance rank accuracy, and the method must beat
  chance (interval of rank accuracy - chance above 0).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np

RANDOM_FLOOR = 0.05  # a faithfulness margin below this over a control is not a win (shared with tools.faithfulness)
N_BOOT = 2000
MIN_SLICES_FOR_INTERVAL = 3
NO_WINNER = "no clear winner"


def _r(value: float | None, nd: int = 4) -> float | None:
    return None if value is None or not np.isfinite(value) else round(float(value), nd)


def bootstrap_mean(values: np.ndarray, n_boot: int, rng: np.random.Generator) -> tuple[float, float, float]:
    """(mean, 2.5th, 97.5th percentile) of the mean of ``values`` over resamples."""
    values = np.asarray(values, dtype=np.float64)
    idx = rng.integers(0, values.size, size=(n_boot, values.size))
    means = values[idx].mean(axis=1)
    lo, hi = np.percentile(means, [2.5, 97.5])
    return float(values.mean()), float(lo), float(hi)


@dataclass
class SliceRecord:
    """One slice's numbers for every method (``None`` = not computed there)."""

    z: int
    margins: dict[str, dict[str, float]]  # method -> imputation -> score - random mean
    scores: dict[str, dict[str, float]]  # method -> imputation -> insertion - deletion AUC
    point_beats: dict[str, dict[str, bool | None]]  # method -> imputation -> single-slice rule
    rank_accuracy: dict[str, float | None]
    mass_accuracy: dict[str, float | None]
    pointing: dict[str, bool | None]
    chance: float
    reference: str
    probability_margins: dict[str, dict[str, float]] = field(default_factory=dict)  # vs the probability map


@dataclass
class Ranking:
    """Result of :func:`rank_methods`."""

    slices: list[int]
    methods: dict[str, dict[str, Any]]
    most_faithful: str | None
    best_localised: str | None
    not_beating_random: list[str]
    reference: str
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        n = len(self.slices)
        return {
            "slices": list(self.slices), "n_slices": n,
            "interval": (f"95% percentile bootstrap over the {n} slices ({N_BOOT} resamples)"
                         if n >= MIN_SLICES_FOR_INTERVAL else None),
            "localisation_reference": self.reference,
            "methods": self.methods,
            "most_faithful": self.most_faithful,
            "best_localised": self.best_localised,
            "faithfulness_verdict": self.most_faithful or NO_WINNER,
            "localisation_verdict": self.best_localised or NO_WINNER,
            "not_beating_random": list(self.not_beating_random),
            "notes": list(self.notes),
        }


def _nanmean_rows(values: np.ndarray) -> np.ndarray:
    """Column means of (k, n) ``values`` ignoring NaN; NaN where a whole column is NaN."""
    finite = np.isfinite(values)
    counts = finite.sum(axis=0)
    sums = np.where(finite, values, 0.0).sum(axis=0)
    return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


def _summary(values: list[float], n_boot: int, rng: np.random.Generator) -> dict[str, Any]:
    arr = np.asarray([v for v in values if v is not None and np.isfinite(v)], dtype=np.float64)
    if arr.size == 0:
        return {"mean": None, "ci": None, "n": 0}
    if arr.size < MIN_SLICES_FOR_INTERVAL:
        return {"mean": _r(arr.mean()), "ci": None, "n": int(arr.size)}
    mean, lo, hi = bootstrap_mean(arr, n_boot, rng)
    return {"mean": _r(mean), "ci": [_r(lo), _r(hi)], "n": int(arr.size)}


def _separated(best: np.ndarray, other: np.ndarray, n_boot: int, rng: np.random.Generator) -> bool:
    """Paired bootstrap interval of ``best - other`` over their common finite slices lies above 0."""
    both = np.isfinite(best) & np.isfinite(other)
    if both.sum() < MIN_SLICES_FOR_INTERVAL:
        return False
    return bootstrap_mean(best[both] - other[both], n_boot, rng)[1] > 0


def _winner(table: Mapping[str, np.ndarray], eligible: Sequence[str], n_boot: int,
            rng: np.random.Generator, by_imputation: Mapping[str, Mapping[str, np.ndarray]] | None = None
            ) -> str | None:
    """The best-mean eligible method, separated (paired interval > 0) from every other one.

    ``table``: method -> per-slice values (NaN = not defined on that slice). With
    ``by_imputation`` (imputation -> method -> per-slice values) the winner must also be
    separated under every imputation on its own.
    """
    means = {m: float(np.nanmean(v)) for m, v in table.items() if np.isfinite(v).sum() >= MIN_SLICES_FOR_INTERVAL}
    if len(table) < 2 or len(means) < 1:
        return None
    best = max(means, key=means.get)
    if best not in eligible:
        return None
    for other in table:
        if other == best:
            continue
        if not _separated(table[best], table[other], n_boot, rng):
            return None
        for per in (by_imputation or {}).values():
            if best in per and other in per and not _separated(per[best], per[other], n_boot, rng):
                return None
    return best


def rank_methods(records: Sequence[SliceRecord], imputations: Sequence[str], *,
                 n_boot: int = N_BOOT, seed: int = 0) -> Ranking:
    """Aggregate per-slice numbers into intervals and verdicts (see the module docstring)."""
    rng = np.random.default_rng(seed)
    methods = sorted({m for r in records for m in r.margins})
    n = len(records)
    interval = n >= MIN_SLICES_FOR_INTERVAL
    out: dict[str, dict[str, Any]] = {}
    not_beating, faithful_ok, local_ok = [], [], []
    for m in methods:
        margins = {imp: [r.margins.get(m, {}).get(imp) for r in records] for imp in imputations}
        beats: dict[str, Any] = {}
        for imp in imputations:
            s = _summary(margins[imp], n_boot, rng)
            if interval and s["ci"] is not None:
                beats[imp] = bool(s["ci"][0] > 0)
            else:
                points = [r.point_beats.get(m, {}).get(imp) for r in records]
                beats[imp] = None if any(p is None for p in points) else all(points)
        beats["both"] = None if any(beats[i] is None for i in imputations) else all(beats[i] for i in imputations)
        beats["basis"] = "bootstrap interval over slices" if interval else "point estimate"
        rank = [r.rank_accuracy.get(m) for r in records]
        over_chance = [None if v is None else v - r.chance for v, r in zip(rank, records)]
        chance_s = _summary(over_chance, n_boot, rng)
        if interval and chance_s["ci"] is not None:
            beats_chance = bool(chance_s["ci"][0] > 0)
        else:
            beats_chance = None if chance_s["mean"] is None else bool(chance_s["mean"] > 0)
        pointing = [r.pointing.get(m) for r in records if r.pointing.get(m) is not None]
        over_prob = {imp: _summary([r.probability_margins.get(m, {}).get(imp) for r in records], n_boot, rng)
                     for imp in imputations}
        out[m] = {
            "faithfulness_score": {imp: _summary([r.scores.get(m, {}).get(imp) for r in records], n_boot, rng)
                                   for imp in imputations},
            "margin_vs_random": {imp: _summary(margins[imp], n_boot, rng) for imp in imputations},
            "beats_random": beats,
            "margin_vs_probability": over_prob,
            # without an interval, the per-slice floor the faithfulness tool applies (one rule for one flag)
            "beats_probability": {imp: (None if s["mean"] is None else
                                        bool(s["ci"][0] > 0) if s["ci"] is not None else bool(s["mean"] > RANDOM_FLOOR))
                                  for imp, s in over_prob.items()},
            "rank_accuracy": _summary(rank, n_boot, rng),
            "mass_accuracy": _summary([r.mass_accuracy.get(m) for r in records], n_boot, rng),
            "rank_accuracy_over_chance": chance_s,
            "beats_chance": beats_chance,
            "pointing_rate": _r(np.mean(pointing)) if pointing else None,
        }
        if beats["both"] is False:
            not_beating.append(m)
        if beats["both"]:
            faithful_ok.append(m)
        if beats_chance:
            local_ok.append(m)
    per_imp = {i: {m: np.array([r.margins.get(m, {}).get(i, np.nan) for r in records], dtype=np.float64)
                   for m in methods} for i in imputations}
    faith = {m: _nanmean_rows(np.stack([per_imp[i][m] for i in imputations])) if imputations
             else np.full(n, np.nan) for m in methods}
    local = {m: np.array([np.nan if r.rank_accuracy.get(m) is None else r.rank_accuracy[m] for r in records])
             for m in methods}
    notes = [] if interval else [f"{n} slice(s): fewer than {MIN_SLICES_FOR_INTERVAL}, so no intervals "
                                 "and no method is named best (use the full budget for several slices)"]
    reference = records[0].reference if records else "prediction"
    return Ranking([r.z for r in records], out, _winner(faith, faithful_ok, n_boot, rng, per_imp),
                   _winner(local, local_ok, n_boot, rng), not_beating, reference, notes)
