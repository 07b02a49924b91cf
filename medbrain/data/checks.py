"""Checks on a NIfTI header and affine made before any voxel is read.

Every check names the file and the problem and says how to fix it. They guard against
headers that would make numpy allocate absurd amounts of memory, geometry that would make
volumes or sides wrong, and data types the pipeline cannot represent.
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import nibabel as nib
import numpy as np

from medbrain.errors import CorruptFileError, ImageTooLargeError, InvalidGeometryError, InvalidImageError

MAX_VOXELS = 512**3  # per 3-D volume; BraTS is 240 x 240 x 155 (8.9 M)
MIN_SIDE = 16  # voxels along every spatial axis; smaller is not a brain MRI at any resolution
SHEAR_TOLERANCE = 1e-3  # relative: |det| vs the product of the voxel sizes
DEFLATE_MAX_RATIO = 1032  # zlib cannot expand data by more than this


def max_voxels() -> int:
    """The largest 3-D volume read (``$MEDBRAIN_MAX_VOXELS`` overrides the default 512^3)."""
    value = os.environ.get("MEDBRAIN_MAX_VOXELS")
    return int(value) if value and value.isdigit() else MAX_VOXELS


def raw_header(path: Path, img: nib.Nifti1Image) -> nib.Nifti1Header:
    """The header exactly as stored (nibabel's loader silently replaces a zero voxel size by 1)."""
    cls = type(img.header)
    size = cls.template_dtype.itemsize
    opener = gzip.open if str(path).lower().endswith(".gz") else open
    try:
        with opener(path, "rb") as fh:
            block = fh.read(size)
        return cls(block, check=False)
    except (OSError, EOFError, ValueError) as exc:
        raise CorruptFileError(f"Cannot read the header of {path} ({exc}).") from exc


def check_dtype(img: nib.Nifti1Image, path: Path, what: str) -> None:
    """Refuse complex, RGB and other non-real voxel types (their values would be dropped)."""
    dtype = img.get_data_dtype()
    if dtype.kind == "c":
        raise InvalidImageError(
            f"The {what} {path} holds complex-valued voxels ({dtype}); converting them to real "
            "numbers would silently drop the imaginary part. Fix: export the magnitude image "
            "(e.g. np.abs of the data) as a real-valued NIfTI.")
    if dtype.fields is not None or dtype.kind not in "biuf":
        raise InvalidImageError(
            f"The {what} {path} has voxel type {dtype} (e.g. RGB); an MRI sequence must hold one "
            "real number per voxel. Fix: export it as a scalar (grey-scale) image.")


def check_declared_size(img: nib.Nifti1Image, path: Path, what: str) -> None:
    """Refuse a header whose declared size is insane or cannot fit in the file (nothing is read)."""
    shape = tuple(int(s) for s in img.shape)
    spatial = int(np.prod(shape[:3], dtype=np.int64)) if shape else 0
    limit = max_voxels()
    if spatial > limit:
        raise ImageTooLargeError(
            f"The {what} {path} declares {' x '.join(map(str, shape))} voxels ({spatial:,} per "
            f"volume), more than the {limit:,} medbrain reads; the header is damaged or this is not "
            "a brain MRI. Fix: re-export the image (or set MEDBRAIN_MAX_VOXELS for genuinely "
            "larger scans).")
    needed = int(np.prod(shape, dtype=np.int64)) * img.get_data_dtype().itemsize
    needed += int(img.header.get_data_offset())
    on_disk = path.stat().st_size
    compressed = str(path).lower().endswith(".gz")
    possible = on_disk * DEFLATE_MAX_RATIO if compressed else on_disk
    if needed > possible:
        raise CorruptFileError(
            f"Cannot read {path}: the file is truncated or its header is wrong (the header of the "
            f"{what} declares {' x '.join(map(str, shape))} voxels, {needed:,} bytes, but the file "
            f"holds only {on_disk:,} bytes{' compressed' if compressed else ''}). Nothing was read. "
            "Fix: re-export or re-download the image.")


def check_voxel_size(raw: nib.Nifti1Header, path: Path, what: str) -> None:
    """Refuse a zero, negative-zero or non-finite stored voxel size (pixdim[1:4])."""
    ndim = min(int(raw["dim"][0]), 3) if 1 <= int(raw["dim"][0]) <= 7 else 3
    pixdim = np.asarray(raw["pixdim"][1:1 + ndim], dtype=np.float64)
    bad = ~np.isfinite(pixdim) | (pixdim == 0)
    if bad.any():
        raise InvalidGeometryError(
            f"The {what} {path} stores voxel size {tuple(float(v) for v in pixdim)} mm: a zero or "
            "non-finite voxel size (nibabel would silently assume 1 mm, making every volume "
            "wrong). Fix: write the true voxel size into the header (pixdim), e.g. "
            "img.header.set_zooms(...) in nibabel, or re-export from the scanner data.")


def check_affine(affine: np.ndarray, path: Path, what: str) -> None:
    """Refuse a non-finite, singular or sheared voxel-to-world affine."""
    a = np.asarray(affine, dtype=np.float64)
    shown = np.array2string(a, precision=4, suppress_small=True)
    if a.shape != (4, 4) or not np.isfinite(a).all():
        raise InvalidGeometryError(
            f"The {what} {path} has a non-finite affine:\n{shown}\nFix: repair the qform/sform of the "
            "header (re-export the image).")
    m = a[:3, :3]
    norms = np.linalg.norm(m, axis=0)
    det = abs(float(np.linalg.det(m)))
    if norms.min() <= 1e-6 or det <= 1e-9 * float(np.prod(norms)) or det == 0:
        raise InvalidGeometryError(
            f"The {what} {path} has a singular affine (a zero row or column, or axes that are "
            f"parallel), so its voxels have no size or position:\n{shown}\nFix: repair the "
            "qform/sform of the header (re-export or re-register the image).")
    product = float(np.prod(norms))
    shear = 1.0 - det / product
    if shear > SHEAR_TOLERANCE:
        raise InvalidGeometryError(
            f"The {what} {path} has a sheared affine (its voxel axes are not perpendicular: the "
            f"true voxel volume |det| = {det:.4g} mm^3 is {shear:.1%} smaller than the product of "
            f"the voxel sizes {product:.4g} mm^3):\n{shown}\nmedbrain measures on orthogonal grids "
            "only. Fix: resample the case onto an orthogonal grid (e.g. register it to SRI24 as "
            "BraTS does, or nibabel.processing.resample_to_output).")


def check_spatial_size(shape: tuple[int, ...], path: Path, what: str) -> None:
    """Refuse volumes too small to be a brain MRI (e.g. 8 x 8 x 8)."""
    if min(shape[:3]) < MIN_SIDE:
        raise InvalidImageError(
            f"The {what} {path} has only {' x '.join(map(str, shape[:3]))} voxels; a brain MRI "
            f"needs at least {MIN_SIDE} voxels along every axis (BraTS: 240 x 240 x 155). Fix: pass "
            "the full-resolution volume, not a thumbnail, crop or test array.")


def check_image_header(img: nib.Nifti1Image, path: Path, what: str) -> None:
    """Every header check that needs no voxel data: type, declared size, voxel size, affine."""
    check_dtype(img, path, what)
    check_declared_size(img, path, what)
    check_voxel_size(raw_header(path, img), path, what)
    check_affine(img.affine, path, what)
