"""The factors of the confidence levels and their documented thresholds.

Each factor is a plain function of a region's probability map and predicted mask (see
:mod:`medbrain.tools.confidence` for how they set the level).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Sequence

import numpy as np
from scipy import ndimage

from medbrain.metrics import dice


@dataclass(frozen=True)
class ConfidenceThresholds:
    """Documented thresholds of the confidence levels (see the module docstring)."""

    binarise: float = 0.5
    uncertain_low: float = 0.3
    uncertain_high: float = 0.7
    neighbourhood_voxels: int = 2
    high_mean_probability: float = 0.85
    low_mean_probability: float = 0.65
    high_max_uncertain_fraction: float = 0.20
    low_max_uncertain_fraction: float = 0.40
    high_tta_dice: float = 0.90
    low_tta_dice: float = 0.75
    min_region_voxels: int = 10
    min_method_agreement: float = 0.3  # reported beside the level only
    missed_low: float = 0.2
    outside_neighbourhood_voxels: int = 3
    moderate_missed_ratio: float = 0.25
    low_missed_ratio: float = 0.75

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


DEFAULT_THRESHOLDS = ConfidenceThresholds()


def _r(value: float | None, ndigits: int = 3) -> float | None:
    return None if value is None else round(float(value), ndigits)


# --------------------------------------------------------------------------- factors


def binary_entropy(p: np.ndarray) -> np.ndarray:
    """H(p) in bits, elementwise; 0 at p in {0, 1}, 1 at p = 0.5."""
    q = np.clip(np.asarray(p, dtype=np.float64), 1e-12, 1 - 1e-12)
    return -(q * np.log2(q) + (1 - q) * np.log2(1 - q))


def uncertain_fraction(probs: np.ndarray, mask: np.ndarray, t: ConfidenceThresholds) -> float:
    """Share of the dilated neighbourhood of ``mask`` with probability in the uncertain band."""
    structure = ndimage.generate_binary_structure(mask.ndim, mask.ndim)
    near = ndimage.binary_dilation(mask, structure, iterations=t.neighbourhood_voxels)
    p = probs[near]
    return float(np.count_nonzero((p >= t.uncertain_low) & (p <= t.uncertain_high))) / p.size


def tta_dice(variants: Sequence[np.ndarray], threshold: float) -> float:
    """Leave-one-out agreement: mean Dice of each thresholded variant against the mean of
    the other variants, thresholded (1.0 for a single variant)."""
    if len(variants) < 2:
        return 1.0
    total = np.sum(variants, axis=0)
    n = len(variants)
    return float(np.mean([dice(v > threshold, (total - v) / (n - 1) > threshold) for v in variants]))


def outside_mass(probs: np.ndarray, mask: np.ndarray, t: ConfidenceThresholds) -> dict[str, Any]:
    """Probability in [missed_low, binarise) outside the predicted mask, near it and elsewhere."""
    active = mask | (probs >= t.missed_low)
    if active.any():  # crop: outside this box no voxel is in the band or near the mask
        pad = t.outside_neighbourhood_voxels + 1
        box = tuple(slice(max(int(ix.min()) - pad, 0), int(ix.max()) + pad + 1) for ix in np.nonzero(active))
        probs, mask = probs[box], mask[box]
    band = (probs >= t.missed_low) & (probs < t.binarise) & ~mask
    n = int(np.count_nonzero(mask))
    if n:
        structure = ndimage.generate_binary_structure(mask.ndim, mask.ndim)
        near_zone = ndimage.binary_dilation(mask, structure, iterations=t.outside_neighbourhood_voxels)
    else:
        near_zone = np.zeros_like(mask)
    near, far = band & near_zone, band & ~near_zone
    mass = float(probs[band].sum())
    out: dict[str, Any] = {
        "band": [t.missed_low, t.binarise],
        "near_voxels": int(np.count_nonzero(near)), "elsewhere_voxels": int(np.count_nonzero(far)),
        "near_mass": _r(float(probs[near].sum())), "elsewhere_mass": _r(float(probs[far].sum())),
        "mass_ratio": None if n == 0 else _r(mass / n),
    }
    if n == 0:
        out["possible_missed_voxels"] = _r(mass)
        out["possible_missed_region"] = bool(mass >= t.min_region_voxels)
    else:
        out["likely_undersegmentation"] = bool(mass / n > t.moderate_missed_ratio)
    return out
