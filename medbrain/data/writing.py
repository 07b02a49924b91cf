"""Write results back in the case's own geometry and label convention, atomically."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import nibabel as nib
import numpy as np

from medbrain.data.loading import Case
from medbrain.errors import ConfigError, ShapeMismatchError
from medbrain.labels import from_internal

_SUFFIXES = (".nii.gz", ".nii")


def _nifti_suffix(path: Path) -> str:
    name = path.name.lower()
    for suffix in _SUFFIXES:
        if name.endswith(suffix):
            return suffix
    raise ConfigError(f"Output path {path} must end in .nii.gz or .nii.")


def atomic_write_nifti(img: nib.Nifti1Image, path: str | Path) -> Path:
    """Save ``img`` to ``path`` via a temp file in the same folder and ``os.replace``.

    A reader never sees a half-written file at ``path``; the parent folder is created.
    """
    target = Path(path)
    suffix = _nifti_suffix(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp{suffix}")
    try:
        nib.save(img, str(tmp))
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()
    return target


def output_header(case: Case, dtype: type | np.dtype, channels: int = 0) -> nib.Nifti1Header:
    """A clean 3-D header for writing ``dtype`` data: geometry and data type only.

    Built from scratch (never copied from the input), so free-text fields such as
    ``descrip``, ``aux_file``, ``intent_name`` and ``db_name``, and header extensions, which
    may hold patient data, never reach an output. No intensity scaling.
    """
    src = case.header
    hdr = nib.Nifti1Header()
    hdr.set_data_shape(case.shape + ((channels,) if channels else ()))
    hdr.set_data_dtype(dtype)
    hdr.set_xyzt_units("mm")
    hdr.set_slope_inter(np.nan, np.nan)
    sform_code = int(src["sform_code"]) or 2
    qform_code = int(src["qform_code"]) or sform_code
    hdr.set_sform(case.affine, code=sform_code)
    hdr.set_qform(case.affine, code=qform_code)
    return hdr


def _image(array: np.ndarray, case: Case, dtype: type | np.dtype) -> nib.Nifti1Image:
    """A 3-D map, or a 4-D stack of maps (last axis = channel), on the case's grid."""
    if tuple(array.shape[:3]) != case.shape or array.ndim not in (3, 4):
        raise ShapeMismatchError(
            f"Cannot write a volume of shape {tuple(array.shape)} for case {case.case_id}, "
            f"whose grid is {case.shape}. Fix: restore/uncrop the result to the full case grid."
        )
    hdr = output_header(case, dtype, channels=array.shape[3] if array.ndim == 4 else 0)
    img = nib.Nifti1Image(np.asarray(array, dtype=dtype), case.affine, hdr)
    img.set_sform(case.affine, code=int(hdr["sform_code"]))
    img.set_qform(case.affine, code=int(hdr["qform_code"]))
    return img


def save_label_map(label_internal: np.ndarray, case: Case, path: str | Path) -> Path:
    """Write an internal label map in the case's own convention and geometry (uint8)."""
    converted = from_internal(np.asarray(label_internal), case.files.convention)
    return atomic_write_nifti(_image(converted, case, np.uint8), path)


def save_volume(array: np.ndarray, case: Case, path: str | Path,
                dtype: type | np.dtype = np.float32) -> Path:
    """Write an (X, Y, Z) map or an (X, Y, Z, C) stack (probabilities...) in the case's geometry."""
    return atomic_write_nifti(_image(np.asarray(array), case, dtype), path)
