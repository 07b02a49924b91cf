"""The ``compare_methods`` tool: how far attribution maps agree, and how well each localises.

All maps are 2-D arrays of one slice (same shape), signed: positive = supports the
region's prediction. Definitions:

- Spearman: :func:`scipy.stats.spearmanr` over the compared pixels (all pixels, or those in
  ``within``, e.g. the brain mask); ties get average ranks. Undefined (None) for a
  constant map.
- Top-10% IoU: each map's top set is the ``ceil(top_fraction * n)`` highest-valued pixels,
  extended to every pixel tied with the last one, restricted to positive values (a pixel
  with no positive attribution is never "important"). IoU of the two top sets; None when
  both are empty.
- Energy inside region (energy-based pointing game, Wang et al., Score-CAM, CVPR-W 2020):
  sum of positive attribution inside ``region_mask`` / sum of positive attribution; None
  when the map has no positive value.
- Maximum inside: the maximal pixel lies in the region. With tied maxima, True when at
  least half of them do; None when the maximum is not positive.
- Deletion AUC (Petsiuk et al., RISE, BMVC 2018): see :func:`deletion_curve`; lower means
  the pixels the method ranks first matter more to the model (more faithful).
- Verdict per pair: "disagree" when Spearman < ``DISAGREE_SPEARMAN`` or IoU <
  ``DISAGREE_IOU`` (either suffices, even if the other is undefined); else "undefined"
  when a number is undefined; else "agree" when Spearman >= ``AGREE_SPEARMAN`` and
  IoU >= ``AGREE_IOU``; else "partial".
- Agreement score (to rank pairs): mean of max(Spearman, 0) and IoU, in [0, 1].
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import numpy as np
from scipy.stats import spearmanr

from medbrain.errors import InvalidImageError, ShapeMismatchError

TOP_FRACTION = 0.10
AGREE_SPEARMAN = 0.5
AGREE_IOU = 0.3
DISAGREE_SPEARMAN = 0.2
DISAGREE_IOU = 0.1
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


# --------------------------------------------------------------------------- results


@dataclass
class PairComparison:
    """Agreement between two methods' maps."""

    pair: tuple[str, str]
    spearman: float | None
    iou_top: float | None

    @property
    def verdict(self) -> str:
        rho, top = self.spearman, self.iou_top
        low_rho = rho is not None and rho < DISAGREE_SPEARMAN
        if low_rho or (top is not None and top < DISAGREE_IOU):
            return "disagree"
        if rho is None or top is None:
            return "undefined"
        if rho >= AGREE_SPEARMAN and top >= AGREE_IOU:
            return "agree"
        return "partial"

    @property
    def score(self) -> float | None:
        if self.spearman is None or self.iou_top is None:
            return None
        return 0.5 * (max(self.spearman, 0.0) + self.iou_top)

    def to_dict(self) -> dict[str, Any]:
        return {"pair": list(self.pair), "spearman": _r(self.spearman),
                "iou_top10": _r(self.iou_top), "agreement_score": _r(self.score),
                "verdict": self.verdict}


@dataclass
class MethodScore:
    """How one method's map relates to the predicted region (and to the model)."""

    method: str
    energy_inside_region: float | None
    max_inside_region: bool | None
    deletion: DeletionCurve | None = None

    def to_dict(self) -> dict[str, Any]:
        d = self.deletion
        return {"method": self.method,
                "energy_inside_region": _r(self.energy_inside_region),
                "max_inside_region": self.max_inside_region,
                "deletion_auc": None if d is None else _r(d.auc),
                "deletion_curve": None if d is None else d.to_dict()}


@dataclass
class Comparison:
    """Result of :func:`compare_methods`; ``to_dict()`` is JSON-ready."""

    pairs: list[PairComparison]
    methods: list[MethodScore]
    top_fraction: float
    region_pixels: int
    compared_pixels: int
    notes: list[str] = field(default_factory=list)

    def _ranked_pairs(self) -> list[PairComparison]:
        return sorted((p for p in self.pairs if p.score is not None), key=lambda p: -p.score)

    @property
    def most_agreeing_pair(self) -> PairComparison | None:
        ranked = self._ranked_pairs()
        return ranked[0] if ranked else None

    @property
    def least_agreeing_pair(self) -> PairComparison | None:
        ranked = self._ranked_pairs()
        return ranked[-1] if len(ranked) > 1 else None

    @property
    def mean_pairwise_spearman(self) -> float | None:
        values = [p.spearman for p in self.pairs if p.spearman is not None]
        return float(np.mean(values)) if values else None

    def _best(self, key: Callable[[MethodScore], float | None], lowest: bool) -> str | None:
        scored = [(key(m), m.method) for m in self.methods if key(m) is not None]
        if not scored:
            return None
        return (min if lowest else max)(scored)[1]

    @property
    def best_localised_method(self) -> str | None:
        return self._best(lambda m: m.energy_inside_region, lowest=False)

    @property
    def most_faithful_method(self) -> str | None:
        return self._best(lambda m: m.deletion.auc if m.deletion else None, lowest=True)

    def to_dict(self) -> dict[str, Any]:
        most, least = self.most_agreeing_pair, self.least_agreeing_pair
        return {
            "top_fraction": self.top_fraction,
            "region_pixels": int(self.region_pixels),
            "compared_pixels": int(self.compared_pixels),
            "thresholds": {"agree": {"spearman_min": AGREE_SPEARMAN, "iou_top10_min": AGREE_IOU},
                           "disagree": {"spearman_below": DISAGREE_SPEARMAN,
                                        "iou_top10_below": DISAGREE_IOU}},
            "pairs": [p.to_dict() for p in self.pairs],
            "methods": [m.to_dict() for m in self.methods],
            "agreements": [p.to_dict() for p in self.pairs if p.verdict == "agree"],
            "disagreements": [p.to_dict() for p in self.pairs if p.verdict == "disagree"],
            "most_agreeing_pair": None if most is None else list(most.pair),
            "least_agreeing_pair": None if least is None else list(least.pair),
            "mean_pairwise_spearman": _r(self.mean_pairwise_spearman),
            "best_localised_method": self.best_localised_method,
            "most_faithful_method": self.most_faithful_method,
            "notes": list(self.notes),
        }


# --------------------------------------------------------------------------- main


def _check(maps: Mapping[str, np.ndarray], region_mask: np.ndarray,
           within: np.ndarray | None) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    if not maps:
        raise ShapeMismatchError("compare_methods needs at least one attribution map.")
    arrays = {str(k): np.asarray(v, dtype=np.float64) for k, v in maps.items()}
    shapes = {k: v.shape for k, v in arrays.items()}
    first = next(iter(arrays.values())).shape
    if len(first) != 2 or any(s != first for s in shapes.values()):
        raise ShapeMismatchError(f"Attribution maps must be 2-D and of one shape, got {shapes}.")
    for name, values in arrays.items():
        if not np.isfinite(values).all():
            raise InvalidImageError(f"The {name} map holds NaN/Inf values.")
    region = np.asarray(region_mask, dtype=bool)
    keep = np.ones(first, bool) if within is None else np.asarray(within, dtype=bool)
    for what, mask in (("region_mask", region), ("within", keep)):
        if mask.shape != first:
            raise ShapeMismatchError(f"{what} shape {mask.shape} differs from the maps {first}.")
    return arrays, region, keep


def compare_methods(maps: Mapping[str, np.ndarray], region_mask: np.ndarray, *,
                    predict: Predict | None = None, image: np.ndarray | None = None,
                    top_fraction: float = TOP_FRACTION, within: np.ndarray | None = None,
                    deletion_steps: int = DELETION_STEPS,
                    baseline: float = 0.0) -> Comparison:
    """Compare attribution maps (method name -> 2-D map) of one slice and region.

    ``region_mask`` is the predicted region on the slice; ``within`` optionally limits the
    pixels used for Spearman and top-set IoU (e.g. the brain mask). Deletion AUCs are
    computed only when both ``predict`` and ``image`` (C, H, W) are given. See the module
    docstring for every definition and threshold.
    """
    arrays, region, keep = _check(maps, region_mask, within)
    notes = []
    if not region.any():
        notes.append("the region mask is empty: energy and maximum-inside are 0 / False")
    tops = {k: top_set(v, top_fraction, keep) for k, v in arrays.items()}
    pairs = [PairComparison((a, b), spearman(arrays[a][keep], arrays[b][keep]),
                            iou(tops[a], tops[b]))
             for a, b in itertools.combinations(arrays, 2)]
    run_deletion = predict is not None and image is not None
    if (predict is None) != (image is None):
        notes.append("deletion AUC needs both predict and image; it was skipped")
    methods = []
    for name, values in arrays.items():
        curve = (deletion_curve(values, predict, image, steps=deletion_steps, baseline=baseline)
                 if run_deletion else None)
        methods.append(MethodScore(name, energy_inside(values, region),
                                   max_inside(values, region), curve))
    return Comparison(pairs, methods, top_fraction, int(region.sum()), int(keep.sum()), notes)
