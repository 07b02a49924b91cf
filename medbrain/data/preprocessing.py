"""Brain mask, crop to the brain, per-modality z-score, and the way back."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from medbrain.data.loading import Case
from medbrain.data.quality import background_value
from medbrain.errors import InvalidImageError, ShapeMismatchError


def brain_mask(images: np.ndarray) -> np.ndarray:
    """Voxels (X, Y, Z) where any modality of ``images`` (C, X, Y, Z) differs from its background.

    The background is 0 for skull-stripped input, or the constant minimum of a volume that was
    normalised after skull stripping (:func:`medbrain.data.quality.background_value`); an
    all-zero channel (a missing sequence) adds nothing.
    """
    imgs = np.asarray(images)
    mask = np.zeros(imgs.shape[1:], dtype=bool)
    for volume in imgs:
        background = background_value(volume)
        mask |= volume != (0.0 if background is None else background)
    return mask


@dataclass
class CropBox:
    """A crop of a (X, Y, Z) grid: the slices taken and the full shape they came from."""

    slices: tuple[slice, slice, slice]
    full_shape: tuple[int, int, int]

    @property
    def shape(self) -> tuple[int, int, int]:
        """Shape of the cropped region."""
        x, y, z = (s.stop - s.start for s in self.slices)
        return (x, y, z)

    @property
    def start(self) -> tuple[int, int, int]:
        """First voxel index of the crop along each axis."""
        x, y, z = (s.start for s in self.slices)
        return (x, y, z)


def bounding_box(mask: np.ndarray, margin: int = 0) -> CropBox:
    """Smallest box holding all True voxels of ``mask``, grown by ``margin`` (clipped)."""
    m = np.asarray(mask, dtype=bool)
    if m.ndim != 3:
        raise InvalidImageError(f"bounding_box needs a 3-D mask, got shape {m.shape}.")
    if not m.any():
        raise InvalidImageError(
            "Cannot crop: the mask is empty (no brain voxels). Fix: check that the case's "
            "images are not all zero."
        )
    slices = []
    for axis in range(3):
        other = tuple(a for a in range(3) if a != axis)
        idx = np.flatnonzero(m.any(axis=other))
        lo = max(int(idx[0]) - margin, 0)
        hi = min(int(idx[-1]) + 1 + margin, m.shape[axis])
        slices.append(slice(lo, hi))
    x, y, z = m.shape
    return CropBox((slices[0], slices[1], slices[2]), (int(x), int(y), int(z)))


def crop(array: np.ndarray, box: CropBox) -> np.ndarray:
    """Crop the last three axes of ``array`` (..., X, Y, Z) to ``box`` (a view)."""
    arr = np.asarray(array)
    if tuple(arr.shape[-3:]) != tuple(box.full_shape):
        raise ShapeMismatchError(
            f"Cannot crop an array of spatial shape {tuple(arr.shape[-3:])} with a box made "
            f"for shape {box.full_shape}."
        )
    return arr[(..., *box.slices)]


def uncrop(array: np.ndarray, box: CropBox, fill: float = 0) -> np.ndarray:
    """Place a cropped (..., x, y, z) array back into the full grid, ``fill`` elsewhere."""
    arr = np.asarray(array)
    if tuple(arr.shape[-3:]) != box.shape:
        raise ShapeMismatchError(
            f"Cannot uncrop an array of spatial shape {tuple(arr.shape[-3:])}: the crop box "
            f"has shape {box.shape}."
        )
    out = np.full((*arr.shape[:-3], *box.full_shape), fill, dtype=arr.dtype)
    out[(..., *box.slices)] = arr
    return out


def zscore(images: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Per-modality (x - mean) / std over ``mask``; 0 outside the mask (float32)."""
    imgs = np.asarray(images)
    m = np.asarray(mask, dtype=bool)
    if imgs.shape[1:] != m.shape:
        raise ShapeMismatchError(
            f"zscore: images have spatial shape {imgs.shape[1:]}, mask has shape {m.shape}."
        )
    out = np.zeros(imgs.shape, dtype=np.float32)
    if not m.any():
        return out
    for c in range(imgs.shape[0]):
        vals = imgs[c][m].astype(np.float64)
        mean, std = vals.mean(), vals.std()
        scale = 1.0 / std if std > 1e-8 else 1.0
        out[c][m] = ((vals - mean) * scale).astype(np.float32)
    return out


@dataclass
class Preprocessed:
    """Cropped, normalised model input and how to map results back to the full grid."""

    images: np.ndarray  # float32 (4, x, y, z), z-scored inside the brain
    mask: np.ndarray  # bool (x, y, z) brain mask of the crop
    box: CropBox


def preprocess(case: Case, margin: int = 2) -> Preprocessed:
    """Crop ``case`` to its brain (plus ``margin`` voxels) and z-score each modality."""
    mask = brain_mask(case.images)
    box = bounding_box(mask, margin)
    cropped_mask = crop(mask, box)
    return Preprocessed(zscore(crop(case.images, box), cropped_mask), cropped_mask, box)


def restore(pred_cropped: np.ndarray, prep: Preprocessed, fill: float = 0) -> np.ndarray:
    """Put a prediction (..., x, y, z) on the crop back on the full case grid."""
    return uncrop(pred_cropped, prep.box, fill)
