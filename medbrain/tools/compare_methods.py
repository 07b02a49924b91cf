"""The ``compare_methods`` tool: how far attribution maps agree, how well each localises,
and how faithful each is to the model.

All maps are 2-D arrays of one slice (same shape); positive = supports the region. The
pixel-level metrics and the legacy deletion curve live in :mod:`medbrain.tools.map_metrics`.

Agreement (``pairs``): with ``cells`` (a common partition of the brain, see
:mod:`medbrain.tools.agreement`) ``spearman`` and ``iou_top10`` are computed on |maps|
pooled on the cells (``agreement_resolution: "superpixels"``); the pixel-level numbers stay
as ``pixel_spearman`` / ``pixel_iou_top10`` (they mostly measure the maps' resolution).
Without ``cells`` the pixel-level numbers are the only ones (``"pixels"``).

- Pixel Spearman: :func:`scipy.stats.spearmanr` over the compared pixels; None for a
  constant map. Pixel top-10% IoU: each map's top ``ceil(top_fraction * n)`` pixels
  (plus ties at the cut), positive values only.
- Verdict per pair: "disagree" when Spearman < ``DISAGREE_SPEARMAN`` or IoU <
  ``DISAGREE_IOU``; else "undefined" when a number is undefined; else "agree" when
  Spearman >= ``AGREE_SPEARMAN`` and IoU >= ``AGREE_IOU``; else "partial". Agreement score
  (to rank pairs): mean of max(Spearman, 0) and IoU.

Per method (``methods``):

- ``energy_inside_region`` / ``max_inside_region``: the old energy pointing game against
  the *predicted* region; kept as a diagnostic only (it has no chance level and rewards
  sparsity). ``localisation`` (:mod:`medbrain.tools.localisation`) replaces it: against the
  ground truth when given, with chance levels and lifts.
- ``faithfulness`` (:mod:`medbrain.tools.faithfulness`): deletion and insertion AUCs under
  both imputations, the margin over the random control and whether it beats it;
  ``deletion_auc`` is the baseline-imputation deletion AUC of these curves. Without a
  ``faithfulness`` result but with ``predict`` and ``image``, the legacy whole-slice
  deletion curve of :func:`deletion_curve` fills ``deletion_auc``.

``best_localised_method`` / ``most_faithful_method`` name a method only when the several-
slice ranking (:mod:`medbrain.tools.method_ranking`) separates it from every other method
by bootstrap intervals and it beats the random control (chance); otherwise they are None
and ``evaluation.faithfulness_verdict`` / ``localisation_verdict`` say "no clear winner".
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np

from medbrain.errors import InvalidImageError, ShapeMismatchError
from medbrain.tools.agreement import agreement
from medbrain.tools.faithfulness import Faithfulness
from medbrain.tools.localisation import localise
from medbrain.tools.map_metrics import (  # noqa: F401  (re-exported: the public comparison API)
    DELETION_STEPS,
    TOP_FRACTION,
    DeletionCurve,
    Predict,
    _r,
    deletion_auc,
    deletion_curve,
    energy_inside,
    iou,
    max_inside,
    spearman,
    top_set,
)
from medbrain.tools.method_ranking import Ranking

AGREE_SPEARMAN = 0.5
AGREE_IOU = 0.3
DISAGREE_SPEARMAN = 0.2
DISAGREE_IOU = 0.1


# --------------------------------------------------------------------------- results


@dataclass
class PairComparison:
    """Agreement between two methods' maps (common resolution when available)."""

    pair: tuple[str, str]
    spearman: float | None
    iou_top: float | None
    pixel_spearman: float | None = None
    pixel_iou_top: float | None = None
    sign_spearman: float | None = None

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
        d = {"pair": list(self.pair), "spearman": _r(self.spearman),
             "iou_top10": _r(self.iou_top), "agreement_score": _r(self.score),
             "verdict": self.verdict, "pixel_spearman": _r(self.pixel_spearman),
             "pixel_iou_top10": _r(self.pixel_iou_top)}
        if self.sign_spearman is not None:
            d["sign_spearman"] = _r(self.sign_spearman)
        return d


@dataclass
class MethodScore:
    """How one method's map relates to the region, the reference and the model."""

    method: str
    energy_inside_region: float | None
    max_inside_region: bool | None
    deletion: DeletionCurve | None = None
    localisation: dict[str, Any] | None = None
    faithfulness: dict[str, Any] | None = None

    @property
    def deletion_auc(self) -> float | None:
        if self.faithfulness and "baseline" in self.faithfulness:
            return self.faithfulness["baseline"]["deletion_auc"]
        return None if self.deletion is None else self.deletion.auc

    def to_dict(self) -> dict[str, Any]:
        d = self.deletion
        out = {"method": self.method,
               "energy_inside_region": _r(self.energy_inside_region),
               "max_inside_region": self.max_inside_region,
               "deletion_auc": _r(self.deletion_auc, 4),
               "deletion_curve": None if d is None else d.to_dict()}
        if self.faithfulness is not None:
            f = self.faithfulness
            out["insertion_auc"] = f.get("baseline", {}).get("insertion_auc")
            out["beats_random"] = f.get("beats_random_both")
            out["faithfulness"] = f
        if self.localisation is not None:
            out["localisation"] = self.localisation
        return out


@dataclass
class Comparison:
    """Result of :func:`compare_methods`; ``to_dict()`` is JSON-ready."""

    pairs: list[PairComparison]
    methods: list[MethodScore]
    top_fraction: float
    region_pixels: int
    compared_pixels: int
    notes: list[str] = field(default_factory=list)
    resolution: str = "pixels"
    cells: int | None = None
    controls: dict[str, Any] | None = None
    ranking: Ranking | None = None
    faithfulness_info: dict[str, Any] | None = None
    localisation_reference: str = "prediction"

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

    @property
    def best_localised_method(self) -> str | None:
        return None if self.ranking is None else self.ranking.best_localised

    @property
    def most_faithful_method(self) -> str | None:
        return None if self.ranking is None else self.ranking.most_faithful

    def to_dict(self) -> dict[str, Any]:
        most, least = self.most_agreeing_pair, self.least_agreeing_pair
        ranking = None if self.ranking is None else self.ranking.to_dict()
        beats = {m.method: m.faithfulness.get("beats_random_both") for m in self.methods if m.faithfulness}
        if ranking is not None:
            beats = {m: v["beats_random"]["both"] for m, v in ranking["methods"].items()}
        return {
            "top_fraction": self.top_fraction,
            "region_pixels": int(self.region_pixels),
            "compared_pixels": int(self.compared_pixels),
            "agreement_resolution": self.resolution,
            "agreement_cells": self.cells,
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
            "faithfulness_verdict": (ranking or {}).get("faithfulness_verdict", NO_WINNER),
            "localisation_verdict": (ranking or {}).get("localisation_verdict", NO_WINNER),
            "beats_random": beats,
            "not_beating_random": sorted(m for m, v in beats.items() if v is False),
            "localisation_reference": self.localisation_reference,
            "controls": self.controls,
            "faithfulness": self.faithfulness_info,
            "evaluation": ranking,
            "notes": list(self.notes),
        }


NO_WINNER = "no clear winner"


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
                    deletion_steps: int = DELETION_STEPS, baseline: float = 0.0,
                    cells: np.ndarray | None = None, truth: np.ndarray | None = None,
                    faithfulness: Faithfulness | None = None, ranking: Ranking | None = None,
                    seed: int = 0) -> Comparison:
    """Compare attribution maps (method name -> 2-D map) of one slice and region.

    ``region_mask`` is the predicted region (the target mask); ``within`` the brain;
    ``cells`` a common partition for agreement (ids, -1 outside); ``truth`` the region's
    ground truth on the slice (localisation reference; else the prediction);
    ``faithfulness`` the curves of these maps on this slice; ``ranking`` the several-slice
    ranking that alone may name a best method. See the module docstring.
    """
    arrays, region, keep = _check(maps, region_mask, within)
    notes = []
    if not region.any():
        notes.append("the region mask is empty: energy and maximum-inside are 0 / False")
    tops = {k: top_set(v, top_fraction, keep) for k, v in arrays.items()}
    common = {}
    if cells is not None and len(arrays) > 1:
        common = {p.pair: p for p in agreement(arrays, cells, top_fraction=top_fraction)}
    pairs = []
    for a, b in itertools.combinations(arrays, 2):
        px_rho, px_iou = spearman(arrays[a][keep], arrays[b][keep]), iou(tops[a], tops[b])
        c = common.get((a, b))
        if c is None:
            pairs.append(PairComparison((a, b), px_rho, px_iou, px_rho, px_iou))
        else:
            pairs.append(PairComparison((a, b), c.spearman, c.iou_top, px_rho, px_iou, c.sign_spearman))
    run_deletion = faithfulness is None and predict is not None and image is not None
    if faithfulness is None and (predict is None) != (image is None):
        notes.append("deletion AUC needs both predict and image; it was skipped")
    reference = "prediction" if truth is None else "ground_truth"
    ref_mask = region if truth is None else np.asarray(truth, dtype=bool)
    methods = []
    for name, values in arrays.items():
        curve = (deletion_curve(values, predict, image, steps=deletion_steps, baseline=baseline)
                 if run_deletion else None)
        faith = faithfulness.method_dict(name) if faithfulness is not None and name in faithfulness.maps else None
        loc = localise(values, ref_mask, keep, kind=reference, seed=seed).to_dict()
        methods.append(MethodScore(name, energy_inside(values, region), max_inside(values, region),
                                   curve, loc, faith))
    info = None
    controls = None
    if faithfulness is not None:
        d = faithfulness.to_dict()
        controls = d.pop("controls")
        d.pop("methods")
        info = d
    if ranking is None:
        notes.append("no several-slice ranking: no method is named best")
    return Comparison(pairs, methods, top_fraction, int(region.sum()), int(keep.sum()), notes,
                      "superpixels" if common else "pixels",
                      None if cells is None else int(np.asarray(cells).max()) + 1,
                      controls, ranking, info, reference)
