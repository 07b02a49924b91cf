"""Localisation of attribution maps against a reference region, with chance levels.

The reference is the case's ground truth for the region when the case has one, else the
model's own predicted region (the target mask); ``reference`` says which. Against the
prediction the numbers say only how tightly a map sits on what the model segmented, so
they are reported area-normalised (``*_lift`` = metric / chance), never as raw "energy".

All metrics use the brain pixels only and the map's positive part (evidence *for* the
region; Grad-CAM and attention are non-negative anyway):

- ``mass_accuracy`` (relevance mass accuracy, Arras et al., Information Fusion 2022):
  positive relevance inside the reference / all positive relevance. Chance = the
  reference's share of the brain.
- ``rank_accuracy`` (relevance rank accuracy, ibid.): of the K = |reference| highest
  pixels, the share inside the reference; ties at the cut are broken at random (seeded).
  Chance = the same area share.
- ``pointing_game`` (Zhang et al., IJCV 2018): the maximum falls inside the reference
  (at least half of tied maxima). Chance = the area share.
- ``*_lift`` = metric / chance: 1 = no better than spreading relevance uniformly over the
  brain. A map with no positive value gets None everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from medbrain.tools.base import AttributionError

REFERENCES = ("ground_truth", "prediction")


def _r(value: float | None, nd: int = 4) -> float | None:
    return None if value is None else round(float(value), nd)


@dataclass
class Localisation:
    """Localisation metrics of one map against one reference mask."""

    reference: str
    chance: float
    mass_accuracy: float | None
    rank_accuracy: float | None
    pointing_game: bool | None

    def _lift(self, value: float | None) -> float | None:
        return None if value is None or self.chance <= 0 else value / self.chance

    def to_dict(self) -> dict[str, Any]:
        return {"reference": self.reference, "chance": _r(self.chance),
                "mass_accuracy": _r(self.mass_accuracy), "rank_accuracy": _r(self.rank_accuracy),
                "pointing_game": self.pointing_game,
                "mass_lift": _r(self._lift(self.mass_accuracy)),
                "rank_lift": _r(self._lift(self.rank_accuracy))}


def localise(values: np.ndarray, reference: np.ndarray, within: np.ndarray | None = None, *,
             kind: str = "ground_truth", seed: int = 0) -> Localisation:
    """Localisation of ``values`` (X, Y) against ``reference`` (X, Y) inside ``within``."""
    if kind not in REFERENCES:
        raise AttributionError(f"Unknown reference {kind!r}; choose one of {', '.join(REFERENCES)}.")
    values = np.asarray(values, dtype=np.float64)
    ref = np.asarray(reference, dtype=bool)
    keep = np.ones(values.shape, bool) if within is None else np.asarray(within, dtype=bool)
    if ref.shape != values.shape or keep.shape != values.shape:
        raise AttributionError(f"Map {values.shape}, reference {ref.shape} and brain {keep.shape} differ.")
    ref = ref & keep
    n, k = int(keep.sum()), int(ref.sum())
    chance = k / n if n else 0.0
    pos = np.clip(values, 0, None) * keep
    total = float(pos.sum())
    if total <= 0 or k == 0:
        return Localisation(kind, chance, None, None, None)
    mass = float(pos[ref].sum()) / total
    rng = np.random.default_rng(seed)
    idx = np.flatnonzero(keep.ravel())
    v = pos.ravel()[idx]
    top = idx[np.lexsort((rng.permutation(idx.size), -v))][:k]
    top = top[pos.ravel()[top] > 0]  # a pixel without positive relevance is never "top"
    rank = float(ref.ravel()[top].sum()) / k
    peak = float(pos.max())
    at_peak = (pos == peak) & keep
    pointing = bool(np.count_nonzero(at_peak & ref) * 2 >= np.count_nonzero(at_peak))
    return Localisation(kind, chance, mass, rank, pointing)
