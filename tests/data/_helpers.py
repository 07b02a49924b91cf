"""Small helpers for the data-layer tests (rewriting NIfTI files in place)."""

from __future__ import annotations

from pathlib import Path

import nibabel as nib
import numpy as np


def read_raw(path: Path) -> np.ndarray:
    """Voxel data of ``path`` as stored (after scaling)."""
    return np.asarray(nib.load(str(path)).dataobj)


def rewrite(path: Path, data: np.ndarray | None = None, affine: np.ndarray | None = None,
            dtype=None) -> Path:
    """Rewrite a NIfTI file with new data and/or affine, keeping the rest of its header."""
    img = nib.load(str(path))
    arr = read_raw(path) if data is None else np.asarray(data)
    aff = img.affine if affine is None else affine
    hdr = img.header.copy()
    hdr.set_data_dtype(dtype or arr.dtype)
    out = nib.Nifti1Image(arr, aff, hdr)
    out.set_sform(aff, code=1)
    out.set_qform(aff, code=1)
    nib.save(out, str(path))
    return path


def modality_file(case_dir: Path, suffix: str) -> Path:
    """The file of ``case_dir`` whose name ends in ``_<suffix>.nii.gz`` / ``-<suffix>...``."""
    matches = [p for p in case_dir.iterdir()
               if p.name.endswith((f"_{suffix}.nii.gz", f"-{suffix}.nii.gz"))]
    assert len(matches) == 1, matches
    return matches[0]
