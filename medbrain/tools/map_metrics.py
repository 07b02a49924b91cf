"""Pixel-level map metrics of :mod:`medbrain.tools.compare_methods`.

Spearman, top-set IoU, energy / maximum inside a region (diagnostics without a chance
level; :mod:`medbrain.tools.localisation` is the measure to read) and the legacy
whole-slice deletion curve (raster-order ties, equal chunks; superseded by
:mod:`medbrain.tools.faithfulness`, kept for callers with only a ``predict`` function).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
from scipy.stats import spearmanr

from medbrain.errors import ShapeMismatchError

TOP_FRACTION = 0.10
DELETION_STEPS = 20

Predict = Callable[[np.ndarray], float]


def _r(value: float | None, ndigits: int = 3) -> float | None:
    return None if value is None else round(float(value), ndigits)


# --------------------------------------------------------------------------- metrics


def spearman(a: np.ndarray, b: np.ndarray) -> float | None:
    """Spearman rank correlation of two equally long value arrays (None if undefined)."""
    a, b = np.ravel(a), np.ravel(b)
    if a.size < 2 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return None
    rho = float(spearmanr(a, b)[0])
    return None if math.isnan(rho) else rho


def top_set(values: np.ndarray, fraction: float = TOP_FRACTION,
            within: np.ndarray | None = None) -> np.ndarray:
    """Mask of the top ``fraction`` of the (``within``) pixels by value, positive only.

    ``ceil(fraction * n)`` pixels, plus every pixel tied with the last one.
    """
    keep = np.ones(values.shape, bool) if within is None else within
    pool = values[keep]
    if pool.size == 0:
        return np.zeros(values.shape, bool)
    k = max(1, math.ceil(fraction * pool.size))
    cut = np.partition(pool, pool.size - k)[pool.size - k]
    return keep & (values >= cut) & (values > 0)


def iou(a: np.ndarray, b: np.ndarray) -> float | None:
    """Intersection over union of two boolean masks; None when both are empty."""
    union = np.count_nonzero(a | b)
    return None if union == 0 else np.count_nonzero(a & b) / union


def energy_inside(attribution: np.ndarray, region: np.ndarray) -> float | None:
    """Share of positive attribution that falls inside ``region`` (None if none positive)."""
    pos = np.clip(attribution, 0, None)
    total = float(pos.sum())
    return None if total <= 0 else float(pos[region].sum()) / total


def max_inside(attribution: np.ndarray, region: np.ndarray) -> bool | None:
    """Whether the map's maximum lies in ``region`` (half of tied maxima or more)."""
    peak = float(attribution.max())
    if peak <= 0:
        return None
    at_peak = attribution == peak
    return bool(np.count_nonzero(at_peak & region) * 2 >= np.count_nonzero(at_peak))


@dataclass
class DeletionCurve:
    """Model score while the highest-attributed pixels are removed, normalised to 1 at 0."""

    fractions: list[float]
    scores: list[float]
    auc: float | None  # None when the unperturbed score is not positive

    def to_dict(self) -> dict[str, Any]:
        return {"fraction_removed": [_r(f) for f in self.fractions],
                "normalised_score": [_r(s) for s in self.scores], "auc": _r(self.auc)}


def deletion_curve(attribution: np.ndarray, predict: Predict, image: np.ndarray, *,
                   steps: int = DELETION_STEPS, baseline: float = 0.0) -> DeletionCurve:
    """Deletion curve of a 2-D ``attribution`` for a (C, H, W) ``image``.

    Pixels are removed (all channels set to ``baseline``) in decreasing signed
    attribution order, ties in raster order, in ``steps`` equal chunks; ``predict(image)``
    is called ``steps + 1`` times. Scores are divided by the unperturbed score and the
    AUC is the trapezoid integral over the fraction removed (0..1).
    """
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[1:] != np.shape(attribution):
        raise ShapeMismatchError(
            f"deletion needs a (C, H, W) image matching the {np.shape(attribution)} map, "
            f"got {image.shape}.")
    order = np.argsort(-np.ravel(attribution), kind="stable")
    n = order.size
    cuts = np.rint(np.linspace(0, n, steps + 1)).astype(int)
    work = image.copy().reshape(image.shape[0], -1)
    raw = [float(predict(work.reshape(image.shape).copy()))]
    for lo, hi in zip(cuts[:-1], cuts[1:]):
        work[:, order[lo:hi]] = baseline
        raw.append(float(predict(work.reshape(image.shape).copy())))
    fractions = (cuts / n).tolist()
    if raw[0] <= 0:
        return DeletionCurve(fractions, raw, None)
    scores = np.asarray(raw) / raw[0]
    auc = float(np.sum((scores[1:] + scores[:-1]) / 2 * np.diff(fractions)))  # trapezoid
    return DeletionCurve(fractions, scores.tolist(), auc)


def deletion_auc(attribution: np.ndarray, predict: Predict, image: np.ndarray, *,
                 steps: int = DELETION_STEPS, baseline: float = 0.0) -> float | None:
    """Area under the deletion curve (lower = more faithful); see :func:`deletion_curve`."""
    return deletion_curve(attribution, predict, image, steps=steps, baseline=baseline).auc
