"""Safe NIfTI reading: access problems are named, headers are checked before any voxel is
read, and every other low-level failure becomes a CorruptFileError."""

from __future__ import annotations

import zlib
from pathlib import Path

import nibabel as nib
import numpy as np
from nibabel.filebasedimages import ImageFileError
from nibabel.spatialimages import HeaderDataError

from medbrain.data.checks import check_image_header
from medbrain.errors import CorruptFileError
from medbrain.io import check_readable_file

# What nibabel / gzip / numpy raise on truncated, garbage or unreadable files.
READ_ERRORS: tuple[type[BaseException], ...] = (
    EOFError, zlib.error, OSError, ValueError, ImageFileError, HeaderDataError,
    MemoryError, IndexError, TypeError,
)

_FIX = "Fix: re-download or re-export the file (it should be a .nii or .nii.gz NIfTI image)."


def open_nifti(path: Path, what: str = "image", *, check: bool = True) -> nib.Nifti1Image:
    """Open the header of a NIfTI file (the data stays on disk).

    First names access problems (permission denied, a directory, a broken symlink or a
    symlink loop: FileAccessError); with ``check`` then validates the header (voxel type,
    declared size against the file and a sane maximum, voxel size, affine).
    """
    path = Path(path)
    check_readable_file(path, f"{what} file")
    try:
        img = nib.load(str(path))
    except READ_ERRORS as exc:
        raise CorruptFileError(f"Cannot read {path}: the file is empty, truncated or not a "
                               f"NIfTI image ({type(exc).__name__}: {exc}). {_FIX}") from exc
    if not isinstance(img, nib.Nifti1Image):  # Nifti2Image is a subclass
        raise CorruptFileError(f"{path} is a {type(img).__name__}, not a NIfTI image. {_FIX}")
    if check:
        check_image_header(img, path, what)
    return img


def read_data(img: nib.Nifti1Image, path: Path, dtype: type | None = np.float32) -> np.ndarray:
    """Read the voxel data now (nibabel is lazy), scaled and cast to ``dtype`` if given."""
    try:
        return np.asarray(img.dataobj, dtype=dtype)
    except READ_ERRORS as exc:
        raise CorruptFileError(
            f"Cannot read the voxel data of {path}: the file is truncated or damaged "
            f"({type(exc).__name__}: {exc}). {_FIX}"
        ) from exc


def spatial_shape(img: nib.Nifti1Image) -> tuple[int, ...]:
    """Image shape with trailing singleton dimensions beyond the third removed."""
    shape = tuple(int(s) for s in img.shape)
    while len(shape) > 3 and shape[-1] == 1:
        shape = shape[:-1]
    return shape
