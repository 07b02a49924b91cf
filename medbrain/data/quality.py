"""Checks on voxel values once read: refuse what cannot be an MRI sequence, warn on the rest.

Refused (InvalidImageError): NaN/Inf, all zero, constant, or so few distinct values that the
file is a mask or label map saved under a sequence's name. Warned (kept in ``Case.warnings``,
printed by the CLI and written into the report): no zero background, which is what skull-
stripped BraTS input has and what the brain mask relies on (every voxel negative is the
extreme case). Input that is already z-scored is accepted without a warning, whether its
background is 0 or one constant below every brain voxel (a volume z-scored after skull
stripping): :func:`background_value` finds that background and the brain mask uses it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from medbrain.errors import InvalidImageError

MASK_LIKE_MAX_VALUES = 10  # an MRI sequence has hundreds of distinct intensities
BACKGROUND_MIN_FRACTION = 0.01  # skull-stripped input: at least 1% of the grid is background 0


def _distinct_values(data: np.ndarray, limit: int) -> np.ndarray | None:
    """The distinct values of ``data`` when there are at most ``limit``, else None (cheap)."""
    sample = np.unique(data.ravel()[:: max(1, data.size // 200_000)])
    if sample.size > limit:
        return None
    values = np.unique(data)
    return values if values.size <= limit else None


def check_values(what: str, path: Path, data: np.ndarray) -> None:
    """Refuse non-finite, all-zero, constant and mask-like volumes, naming the file."""
    finite = np.isfinite(data)
    if not finite.all():
        n_nan = int(np.isnan(data).sum())
        n_inf = int(data.size - finite.sum()) - n_nan
        parts = [f"{n} {kind} voxel(s)" for n, kind in ((n_nan, "NaN"), (n_inf, "Inf")) if n]
        raise InvalidImageError(
            f"The {what} image {path} holds {' and '.join(parts)}. Fix: re-export it "
            "without invalid values (e.g. replace them with 0 outside the brain)."
        )
    if not data.any():
        raise InvalidImageError(
            f"The {what} image {path} is all zero (an empty volume). Fix: check the "
            "export / skull-stripping of this sequence, or replace the file."
        )
    lo, hi = float(data.min()), float(data.max())
    if lo == hi:
        raise InvalidImageError(
            f"The {what} image {path} is constant (every voxel is {lo:g}): it holds no image. "
            "Fix: check the export of this sequence, or replace the file."
        )
    values = _distinct_values(data, MASK_LIKE_MAX_VALUES)
    if values is not None:
        shown = ", ".join(f"{v:g}" for v in values.tolist())
        raise InvalidImageError(
            f"The {what} image {path} holds only {values.size} distinct values ({shown}): it looks "
            f"like a mask or label map, not an MRI sequence. Fix: check that this file really is "
            f"the {what} sequence (a segmentation or brain mask may have been saved under its name)."
        )


def background_value(volume: np.ndarray) -> float | None:
    """The value of the volume's background: 0 when at least 1% of voxels are 0 (skull-stripped
    input); else its minimum, when that is negative and at least 1% of voxels hold exactly it
    (normalised after skull stripping: a constant negative background); else None."""
    vol = np.asarray(volume)
    need = BACKGROUND_MIN_FRACTION * vol.size
    if vol.size - np.count_nonzero(vol) >= need:
        return 0.0
    lowest = vol.min()
    if lowest < 0 and np.count_nonzero(vol == lowest) >= need:  # non-negative scans keep the 0 rule
        return float(lowest)
    return None


def background_warnings(images: np.ndarray, names: tuple[str, ...], source: str) -> list[str]:
    """Warnings for volumes without a background (the brain mask is 'any sequence not background')."""
    warnings: list[str] = []
    total = images[0].size
    for name, vol in zip(names, images):
        zero = total - int(np.count_nonzero(vol))
        if background_value(vol) is not None:
            continue
        extra = ""
        hi = float(vol.max())
        if hi < 0:
            extra = f" Every voxel is negative (maximum {hi:.4g})."
        warnings.append(
            f"The {name} image of {source} has no zero background ({zero} of {total} voxels are 0)."
            f"{extra} medbrain takes the voxels that differ from the background as the brain (skull-stripped BraTS input has "
            "background 0), so this volume's whole field of view was treated as brain: the crop, the "
            "intensity normalisation and hence the segmentation and its volumes may be wrong. Fix: "
            "skull-strip the case, or set the background to 0."
        )
    return warnings
