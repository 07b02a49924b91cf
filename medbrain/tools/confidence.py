"""The ``confidence`` tool: how sure the model is about each predicted region, and why.

Per region (WT, TC, ET), on the predicted mask (from ``label``, else probability > 0.5):

- ``mean_probability``: mean region probability inside the predicted mask.
- ``uncertain_fraction``: share of the voxels of the neighbourhood N (the predicted mask
  dilated by ``neighbourhood_voxels`` voxels, full connectivity) whose probability lies in
  [``uncertain_low``, ``uncertain_high``] = [0.3, 0.7].
- ``mean_entropy_bits``: mean binary entropy H(p) (bits, 0..1) inside the predicted mask;
  reported only - it is a function of the same probabilities, so it does not set the level.
- ``tta_dice``: when ``tta_probs`` (the flip-TTA variants' probabilities, already flipped
  back) are given: leave-one-out agreement, the mean over variants of
  Dice(variant > 0.5, mean of the *other* variants > 0.5) (a variant is never compared
  with a mean that contains itself).
- ``outside``: what the model may have missed. Voxels *outside* the predicted mask whose
  probability lies in [``missed_low``, ``binarise``) = [0.2, 0.5): ``near_voxels`` within
  ``outside_neighbourhood_voxels`` (3) of the mask, ``elsewhere_voxels`` farther away, and
  ``mass_ratio`` = their summed probability / predicted voxels (an estimate of the missed
  volume relative to the predicted one). ``mass_ratio`` above ``moderate_missed_ratio``
  (0.25) makes the region at most moderate, above ``low_missed_ratio`` (0.75) low, with
  the reason ``likely_undersegmentation_<region>``. A region predicted empty keeps the
  level "not applicable", but ``outside.possible_missed_voxels`` (summed probability) is
  reported and flagged when it reaches ``min_region_voxels``.

The levels are **heuristic** (``levels_basis``): the thresholds below were set on BraTS
ground truth blurred like a sigmoid output, not calibrated against segmentation errors;
``benchmarks/xai_quality.py`` measures how well they rank validation cases by their
true Dice. The factors and :class:`ConfidenceThresholds` live in
:mod:`medbrain.tools.confidence_factors`. Thresholds (defaults):

================  =============  =============
factor            high needs     low when
================  =============  =============
mean_probability  >= 0.85        < 0.65
uncertain_frac.   <= 0.20        > 0.40
tta_dice          >= 0.90        < 0.75
predicted voxels  -              < 10 (tiny)
================  =============  =============

A region is "high" when every assessed factor meets its high threshold, "low" when any
factor is past its low threshold, else "moderate". A region predicted empty is
"not applicable": no confidence is claimed about tissue that was not predicted. The
overall level is the lowest level among the predicted regions. ``method_agreement``
(e.g. the mean pairwise Spearman of the explanation maps) and ``explanation`` (what the
explanation checks found) are reported *beside* the level and never change it:
explanation methods agree near 0 almost always, and disagreeing explanations make the
"why" less certain, not the segmentation wrong. Every factor is listed in ``reasons``
with its value, threshold and effect.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from medbrain.errors import ConfigError, ShapeMismatchError
from medbrain.labels import region_masks
from medbrain.tools.confidence_factors import (  # noqa: F401  (re-exported: the public confidence API)
    DEFAULT_THRESHOLDS,
    ConfidenceThresholds,
    _r,
    binary_entropy,
    outside_mass,
    tta_dice,
    uncertain_fraction,
)

REGIONS = ("WT", "TC", "ET")
LEVELS = ("low", "moderate", "high")  # ordered worst to best
NOT_APPLICABLE = "not applicable"


@dataclass
class Reason:
    """One factor behind a level: its value, the threshold that decided it, the effect."""

    factor: str  # e.g. "tta_dice_ET"
    region: str | None
    value: float | None
    threshold: float | None
    points_to: str | None  # the level this factor alone allows
    effect: str  # "supports" | "lowers" | "not assessed" | "not applicable"
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        d = {"factor": self.factor, "region": self.region, "value": _r(self.value),
             "threshold": self.threshold, "points_to": self.points_to, "effect": self.effect}
        return {**d, "note": self.note} if self.note else d


@dataclass
class RegionConfidence:
    """Confidence numbers and level of one predicted region."""

    region: str
    level: str
    predicted_voxels: int
    mean_probability: float | None
    uncertain_fraction: float | None
    mean_entropy_bits: float | None
    tta_dice: float | None
    max_probability: float
    voxels_above_uncertain_low: int  # voxels with p >= uncertain_low anywhere
    reasons: list[Reason] = field(default_factory=list)
    outside: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "region": self.region, "level": self.level,
            "predicted_voxels": int(self.predicted_voxels),
            "mean_probability": _r(self.mean_probability),
            "uncertain_fraction": _r(self.uncertain_fraction),
            "mean_entropy_bits": _r(self.mean_entropy_bits),
            "tta_dice": _r(self.tta_dice),
            "max_probability": _r(self.max_probability),
            "voxels_above_uncertain_low": int(self.voxels_above_uncertain_low),
            "outside": self.outside,
            "likely_undersegmentation": bool(self.outside.get("likely_undersegmentation", False)),
            "reasons": [r.to_dict() for r in self.reasons],
        }


@dataclass
class Confidence:
    """Result of :func:`assess_confidence`; ``to_dict()`` is JSON-ready."""

    level: str
    regions: dict[str, RegionConfidence]
    reasons: list[Reason]
    method_agreement: float | None
    tta_variants: int
    thresholds: ConfidenceThresholds
    explanation: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        under = [k for k, v in self.regions.items() if v.outside.get("likely_undersegmentation")]
        missed = [k for k, v in self.regions.items() if v.outside.get("possible_missed_region")]
        return {
            "level": self.level,
            "levels_basis": "heuristic thresholds (not calibrated against segmentation errors)",
            "calibrated": False,
            "regions": {k: v.to_dict() for k, v in self.regions.items()},
            "reasons": [r.to_dict() for r in self.reasons],
            "likely_undersegmented_regions": under,
            "possibly_missed_regions": missed,
            "method_agreement": _r(self.method_agreement),
            "method_agreement_effect": "reported beside the level; it does not change it",
            "explanation": self.explanation,
            "tta_variants": int(self.tta_variants),
            "thresholds": self.thresholds.to_dict(),
        }


def _grade(value: float, high: float, low: float, higher_is_better: bool) -> tuple[str, float]:
    """(level this value allows, the threshold that decided it)."""
    if higher_is_better:
        if value >= high:
            return "high", high
        return ("low", low) if value < low else ("moderate", high)
    if value <= high:
        return "high", high
    return ("low", low) if value > low else ("moderate", high)


def _reason(factor: str, region: str, value: float | None, high: float, low: float,
            higher_is_better: bool = True) -> Reason:
    if value is None:
        return Reason(f"{factor}_{region}", region, None, None, None, "not assessed",
                      "not supplied")
    level, threshold = _grade(value, high, low, higher_is_better)
    return Reason(f"{factor}_{region}", region, value, threshold, level,
                  "supports" if level == "high" else "lowers")


def _lowest(levels: Sequence[str]) -> str:
    return min(levels, key=LEVELS.index)


# --------------------------------------------------------------------------- main


def _crop(probs: np.ndarray, mask: np.ndarray, tta: list[np.ndarray] | None,
          t: ConfidenceThresholds) -> tuple[np.ndarray, np.ndarray, list[np.ndarray] | None]:
    """Crop to where any factor can be non-trivial (a speed-up that changes no number).

    Outside the box the mask and its neighbourhood are empty, p < uncertain_low and every
    TTA variant is <= binarise, so no factor counts a voxel there.
    """
    active = mask | (probs >= t.uncertain_low)
    for variant in tta or ():
        active |= variant > t.binarise
    if not active.any():
        return probs, mask, tta
    pad = t.neighbourhood_voxels + 1
    box = tuple(slice(max(int(ix.min()) - pad, 0), int(ix.max()) + pad + 1)
                for ix in np.nonzero(active))
    return probs[box], mask[box], None if tta is None else [v[box] for v in tta]


def _region_confidence(region: str, probs: np.ndarray, mask: np.ndarray,
                       tta: list[np.ndarray] | None, t: ConfidenceThresholds) -> RegionConfidence:
    n = int(np.count_nonzero(mask))
    common = {"region": region, "predicted_voxels": n, "max_probability": float(probs.max()),
              "voxels_above_uncertain_low": int(np.count_nonzero(probs >= t.uncertain_low))}
    outside = outside_mass(probs, mask, t)
    probs, mask, tta = _crop(probs, mask, tta, t)
    if n == 0:
        note = (f"{region} was not predicted; no confidence is stated about it "
                f"(max probability {probs.max():.2f})")
        reason = Reason(f"predicted_voxels_{region}", region, 0, None, None, NOT_APPLICABLE, note)
        reasons = [reason]
        if outside["possible_missed_region"]:
            reasons.append(Reason(f"possible_missed_{region}", region, outside["possible_missed_voxels"],
                                  t.min_region_voxels, None, NOT_APPLICABLE,
                                  f"{region} was not predicted, but probability mass in "
                                  f"[{t.missed_low}, {t.binarise}) suggests it may have been missed"))
        return RegionConfidence(level=NOT_APPLICABLE, mean_probability=None,
                                uncertain_fraction=None, mean_entropy_bits=None, tta_dice=None,
                                reasons=reasons, outside=outside, **common)
    inside = probs[mask]
    mean_p = float(inside.mean())
    unc = uncertain_fraction(probs, mask, t)
    tdice = None if tta is None else tta_dice(tta, t.binarise)
    reasons = [
        _reason("mean_probability", region, mean_p, t.high_mean_probability,
                t.low_mean_probability),
        _reason("uncertain_fraction", region, unc, t.high_max_uncertain_fraction,
                t.low_max_uncertain_fraction, higher_is_better=False),
        _reason("tta_dice", region, tdice, t.high_tta_dice, t.low_tta_dice),
    ]
    ratio = outside["mass_ratio"]
    level_missed = "low" if ratio > t.low_missed_ratio else "moderate" if ratio > t.moderate_missed_ratio else "high"
    reasons.append(Reason(
        f"likely_undersegmentation_{region}" if level_missed != "high" else f"outside_mass_ratio_{region}",
        region, ratio, t.low_missed_ratio if level_missed == "low" else t.moderate_missed_ratio, level_missed,
        "supports" if level_missed == "high" else "lowers",
        "" if level_missed == "high" else
        f"probability mass in [{t.missed_low}, {t.binarise}) outside the predicted {region} is "
        f"{ratio:.2f} x its predicted volume: the model may have under-segmented it"))
    if n < t.min_region_voxels:
        reasons.append(Reason(f"predicted_voxels_{region}", region, n, t.min_region_voxels,
                              "low", "lowers", "tiny predicted region"))
    level = _lowest([r.points_to for r in reasons if r.points_to is not None])
    return RegionConfidence(level=level, mean_probability=mean_p, uncertain_fraction=unc,
                            mean_entropy_bits=float(binary_entropy(inside).mean()),
                            tta_dice=tdice, reasons=reasons, outside=outside, **common)


def _as_regions(region_probs: np.ndarray, region: str | None) -> tuple[np.ndarray, tuple[str, ...]]:
    probs = np.asarray(region_probs, dtype=np.float32)
    if region is not None:
        name = str(region).upper()
        if name not in REGIONS:
            raise ConfigError(f"Unknown region {region!r}; choose one of {', '.join(REGIONS)}.")
        return probs[None], (name,)
    if probs.ndim < 3 or probs.shape[0] != 3:
        raise ShapeMismatchError(
            f"region_probs must be (3, ...) WT/TC/ET probabilities, got {probs.shape}; "
            "for a single region pass region='WT'|'TC'|'ET'.")
    return probs, REGIONS


def _masks(probs: np.ndarray, names: tuple[str, ...], label: np.ndarray | None,
           t: ConfidenceThresholds) -> list[np.ndarray]:
    if label is None:
        return [p > t.binarise for p in probs]
    label = np.asarray(label)
    if label.shape != probs.shape[1:]:
        raise ShapeMismatchError(
            f"label shape {label.shape} differs from the probabilities' {probs.shape[1:]}.")
    masks = region_masks(label)
    return [masks[n] for n in names]


def _tta_per_region(tta_probs: Sequence[np.ndarray] | None, shape: tuple[int, ...],
                    single: bool) -> list[list[np.ndarray] | None]:
    if not tta_probs:
        return [None] * shape[0]
    arrays = [np.asarray(v, dtype=np.float32) for v in tta_probs]
    arrays = [a[None] for a in arrays] if single else arrays
    bad = [a.shape for a in arrays if a.shape != shape]
    if bad:
        raise ShapeMismatchError(f"tta_probs shapes {bad} differ from region_probs {shape}.")
    return [[a[i] for a in arrays] for i in range(shape[0])]


def _overall(regions: dict[str, RegionConfidence], method_agreement: float | None,
             t: ConfidenceThresholds) -> tuple[str, list[Reason]]:
    applicable = [r for r in regions.values() if r.level != NOT_APPLICABLE]
    if not applicable:
        return NOT_APPLICABLE, [r for rc in regions.values() for r in rc.reasons]
    level = _lowest([r.level for r in applicable])
    wanted = "supports" if level == "high" else "lowers"
    reasons = [r for rc in applicable for r in rc.reasons if r.effect == wanted]
    if method_agreement is not None:
        ok = method_agreement >= t.min_method_agreement
        note = ("reported beside the level, not part of it" if ok else
                "explanation methods disagree: the 'why' is uncertain; the level is unchanged")
        reasons.append(Reason("method_agreement", None, method_agreement,
                              t.min_method_agreement, None, "reported beside", note))
    reasons += [r for rc in regions.values() for r in rc.reasons if r.effect == NOT_APPLICABLE]
    return level, reasons


EXPECTED_DICE_LOW = 0.5  # cross-validated Dice below this for the sequences present: "low"
EXPECTED_DICE_HIGH = 0.7  # below this: at most "moderate"


def _cap_by_expected_dice(rc: RegionConfidence, expected: float | None, missing: str) -> None:
    """Lower a region's level to what cross-validation measured for the sequences present."""
    if rc.level == NOT_APPLICABLE:
        return
    if expected is None:  # a subset cross-validation did not measure: never "high"
        allowed, threshold, note = "moderate", None, f"no cross-validated Dice for this region without {missing}"
    else:
        allowed = "low" if expected < EXPECTED_DICE_LOW else "moderate" if expected < EXPECTED_DICE_HIGH else "high"
        threshold = EXPECTED_DICE_LOW if allowed == "low" else EXPECTED_DICE_HIGH
        note = f"cross-validated Dice of this region without {missing}"
    lowers = LEVELS.index(allowed) < LEVELS.index(rc.level)
    rc.reasons.append(Reason(f"expected_dice_{rc.region}", rc.region, expected, threshold, allowed,
                             "lowers" if lowers else "supports", note))
    rc.level = _lowest([rc.level, allowed])


def assess_confidence(region_probs: np.ndarray, label: np.ndarray | None = None, *,
                      region: str | None = None,
                      tta_probs: Sequence[np.ndarray] | None = None,
                      method_agreement: float | None = None,
                      explanation: dict[str, Any] | None = None,
                      expected_dice: dict[str, float] | None = None,
                      missing_sequences: Sequence[str] = (),
                      thresholds: ConfidenceThresholds = DEFAULT_THRESHOLDS) -> Confidence:
    """Grade the model's confidence in each predicted region (see the module docstring).

    ``region_probs`` is (3, ...) WT/TC/ET probabilities, or one region's (...) map with
    ``region`` naming it; ``label`` the internal label map (0/1/2/4) of the prediction
    (default: probabilities > 0.5); ``tta_probs`` the flip-TTA variants (same shape as
    ``region_probs``, flipped back); ``method_agreement`` e.g. mean pairwise Spearman and
    ``explanation`` a summary of the explanation checks, both reported beside the level.
    ``expected_dice`` (region -> cross-validated Dice for the sequences present, given when
    ``missing_sequences`` is not empty) caps each region: below 0.5 "low", below 0.7 at most
    "moderate". Works on volumes and on single slices alike.
    """
    probs, names = _as_regions(region_probs, region)
    masks = _masks(probs, names, label, thresholds)
    tta = _tta_per_region(tta_probs, probs.shape, region is not None)
    regions = {name: _region_confidence(name, probs[i], masks[i], tta[i], thresholds)
               for i, name in enumerate(names)}
    if missing_sequences:
        for name, rc in regions.items():
            _cap_by_expected_dice(rc, (expected_dice or {}).get(name), ", ".join(missing_sequences))
    level, reasons = _overall(regions, method_agreement, thresholds)
    return Confidence(level, regions, reasons, method_agreement,
                      len(tta_probs) if tta_probs else 0, thresholds, explanation)
