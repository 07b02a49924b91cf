"""Builders for the bad-input and fault corpus: tiny synthetic NIfTI cases, broken by code.

Every builder takes a fresh copy of a valid tiny BraTS 2018 case folder (id ``Tiny_0001``,
32 x 32 x 20 voxels) and breaks it in one way. ``CORPUS`` lists each kind with its verdict:
the error class and words its message must hold, or ``None`` for inputs that load (with
the listed warning words, if any).
"""

from __future__ import annotations

import gzip
import os
import shutil
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import nibabel as nib
import numpy as np

from medbrain.errors import (
    CaseNotFoundError,
    CorruptFileError,
    FileAccessError,
    GeometryMismatchError,
    ImageTooLargeError,
    InvalidGeometryError,
    InvalidImageError,
    MedBrainError,
    MissingModalityError,
    ShapeMismatchError,
)

CASE_ID = "Tiny_0001"
TINY_SHAPE = (32, 32, 20)
MODS = ("t1", "t1ce", "t2", "flair")


def image_file(case: Path, mod: str) -> Path:
    return case / f"{CASE_ID}_{mod}.nii.gz"


# --------------------------------------------------------------------------- raw header edits
def read_block(path: Path) -> tuple[nib.Nifti1Header, bytes]:
    """The stored header (no nibabel fixes) and the bytes after it."""
    raw = gzip.decompress(path.read_bytes()) if path.name.endswith(".gz") else path.read_bytes()
    return nib.Nifti1Header(raw[:348], check=False), raw[348:]


def write_block(path: Path, hdr: nib.Nifti1Header, rest: bytes) -> None:
    blob = hdr.binaryblock + rest
    path.write_bytes(gzip.compress(blob, 1) if path.name.endswith(".gz") else blob)


def edit_header(path: Path, **fields) -> Path:
    """Set raw header fields (``pixdim``, ``srow_x``, ``dim``, ``descrip`` ...) byte-exactly."""
    hdr, rest = read_block(path)
    for key, value in fields.items():
        hdr[key] = value
    write_block(path, hdr, rest)
    return path


def rewrite(path: Path, data: np.ndarray | None = None, affine: np.ndarray | None = None) -> Path:
    """Rewrite an image with new data and/or affine through nibabel (sform and qform)."""
    img = nib.load(str(path))
    arr = np.asarray(img.dataobj) if data is None else np.asarray(data)
    aff = img.affine if affine is None else affine
    out = nib.Nifti1Image(arr, aff)
    out.header.set_data_dtype(arr.dtype)
    out.set_sform(aff, code=1)
    out.set_qform(aff, code=1)
    nib.save(out, str(path))
    return path


def data_of(path: Path) -> np.ndarray:
    return np.asarray(nib.load(str(path)).dataobj)


# --------------------------------------------------------------------------- privileges
@contextmanager
def unprivileged() -> Iterator[None]:
    """Run the block as user ``nobody`` when we are root (root ignores file permissions)."""
    if os.geteuid() != 0:
        yield
        return
    os.setegid(65534)
    os.seteuid(65534)
    try:
        yield
    finally:
        os.seteuid(0)
        os.setegid(0)


def world_readable_copy(case: Path, root: Path) -> Path:
    """Copy ``case`` under ``root`` (made 0755 up to /tmp) so that ``nobody`` can reach it."""
    dst = root / case.name
    shutil.copytree(case, dst)
    for p in [root, dst, *dst.iterdir()]:
        p.chmod(0o755 if p.is_dir() else 0o644)
    return dst


# --------------------------------------------------------------------------- builders
def _missing_modality(case: Path) -> Path:
    image_file(case, "t1ce").unlink()
    return case


def _complex(case: Path) -> Path:
    f = image_file(case, "t1")
    rewrite(f, data_of(f).astype(np.complex64) * (1 + 1j))
    return case


def _huge_header(case: Path) -> Path:
    edit_header(image_file(case, "t2"), dim=[3, 4000, 4000, 4000, 1, 1, 1, 1])
    return case


def _declared_exceeds_file(case: Path) -> Path:
    edit_header(image_file(case, "t2"), dim=[3, 400, 400, 400, 1, 1, 1, 1])
    return case


def _singular_affine(case: Path) -> Path:
    for m in MODS:
        edit_header(image_file(case, m), srow_y=[0, 0, 0, 0], qform_code=0, sform_code=1)
    return case


def _nonfinite_affine(case: Path) -> Path:
    for m in MODS:
        edit_header(image_file(case, m), srow_x=[np.nan, 0, 0, 0], qform_code=0, sform_code=1)
    return case


def _sheared_affine(case: Path) -> Path:
    affine = np.array([[-1.0, 0.3, 0, 0], [0, -1.0, 0, 31], [0, 0, 1.0, 0], [0, 0, 0, 1]])
    for m in MODS:
        rewrite(image_file(case, m), affine=affine)
    return case


def _zero_voxel_size(case: Path) -> Path:
    for m in MODS:
        edit_header(image_file(case, m), pixdim=[1, 0, 1, 1, 0, 0, 0, 0], sform_code=0, qform_code=1)
    return case


def _tiny_volume(case: Path) -> Path:
    for m in MODS:
        f = image_file(case, m)
        rewrite(f, data_of(f)[8:16, 8:16, 6:14])
    image_file(case, "seg").unlink()
    return case


def _constant(case: Path) -> Path:
    f = image_file(case, "t1")
    rewrite(f, np.full(TINY_SHAPE, 500, dtype=np.int16))
    return case


def _mask_as_t1(case: Path) -> Path:
    f = image_file(case, "t1")
    rewrite(f, (data_of(f) > 0).astype(np.uint8))
    return case


def _label_as_flair(case: Path) -> Path:
    shutil.copy(image_file(case, "seg"), image_file(case, "flair"))
    return case


def _all_negative(case: Path) -> Path:
    """Every voxel negative and no constant background: nothing tells the brain from the rest."""
    rng = np.random.default_rng(0)
    for m in MODS:
        f = image_file(case, m)
        d = data_of(f).astype(np.float32)
        rewrite(f, d - 5000.0 - (d == 0) * rng.uniform(1.0, 100.0, d.shape).astype(np.float32))
    return case


def _zscore_each(case: Path, background: Callable[[np.ndarray], float]) -> Path:
    """Every sequence z-scored inside the brain; the rest set to ``background(brain values)``."""
    for m in MODS:
        f = image_file(case, m)
        d = data_of(f).astype(np.float32)
        brain = d != 0
        d[brain] = (d[brain] - d[brain].mean()) / d[brain].std()
        d[~brain] = background(d[brain])
        rewrite(f, d)
    return case


def _already_zscored(case: Path) -> Path:
    return _zscore_each(case, lambda brain: 0.0)


def _zscored_negative_background(case: Path) -> Path:
    """Normalised after skull stripping: the background is one constant below every brain voxel."""
    return _zscore_each(case, lambda brain: float(brain.min()) - 1.0)


def _directory_named_like_file(case: Path) -> Path:
    f = image_file(case, "t2")
    f.unlink()
    f.mkdir()
    return case


def _symlink_loop(case: Path) -> Path:
    f = image_file(case, "t2")
    f.unlink()
    os.symlink(f.name, f)
    return case


def _broken_symlink(case: Path) -> Path:
    f = image_file(case, "t2")
    f.unlink()
    os.symlink(case / "gone.nii.gz", f)
    return case


def _fifo(case: Path) -> Path:
    f = image_file(case, "t2")
    f.unlink()
    os.mkfifo(f)
    return case


def _truncated_gzip(case: Path) -> Path:
    f = image_file(case, "t1")
    f.write_bytes(f.read_bytes()[:200])
    return case


def _garbage(case: Path) -> Path:
    image_file(case, "flair").write_bytes(np.random.default_rng(0).bytes(3000))
    return case


def _non_finite_voxel(case: Path, sequence: str, index: tuple[int, int, int], value: float) -> Path:
    f = image_file(case, sequence)
    d = data_of(f).astype(np.float32)
    d[index] = value
    rewrite(f, d)
    return case


def _nan_voxels(case: Path) -> Path:
    return _non_finite_voxel(case, "t1ce", (10, 10, 10), np.nan)


def _all_zero(case: Path) -> Path:
    f = image_file(case, "flair")
    rewrite(f, np.zeros(TINY_SHAPE, np.int16))
    return case


def _shape_mismatch(case: Path) -> Path:
    f = image_file(case, "t2")
    rewrite(f, data_of(f)[:, :, :-1])
    return case


def _affine_mismatch(case: Path) -> Path:
    f = image_file(case, "flair")
    aff = nib.load(str(f)).affine.copy()
    aff[0, 3] += 3
    rewrite(f, affine=aff)
    return case


def _four_d_modality(case: Path) -> Path:
    f = image_file(case, "t1")
    d = data_of(f)
    rewrite(f, np.stack([d, d], axis=-1))
    return case


def _empty_file(case: Path) -> Path:
    image_file(case, "t2").write_bytes(b"")
    return case


def _inf_voxels(case: Path) -> Path:
    return _non_finite_voxel(case, "t2", (5, 5, 5), np.inf)


def _two_d_modality(case: Path) -> Path:
    f = image_file(case, "t1")
    rewrite(f, data_of(f)[:, :, 10])
    return case


def _gz_name_plain_data(case: Path) -> Path:
    f = image_file(case, "t1")
    f.write_bytes(gzip.decompress(f.read_bytes()))
    return case


def _unrecognised_names(case: Path) -> Path:
    for f in list(case.iterdir()):
        f.rename(case / f.name.replace(f"{CASE_ID}_", ""))  # t1.nii.gz, flair.nii.gz, ...
    return case


def _duplicate_modality(case: Path) -> Path:
    f = image_file(case, "t1")
    (case / f"{CASE_ID}_t1.nii").write_bytes(gzip.decompress(f.read_bytes()))
    return case


def _two_cases_in_one_folder(case: Path) -> Path:
    for f in list(case.iterdir()):
        shutil.copy(f, case / f.name.replace(CASE_ID, "Other_0002"))
        f.rename(case / f.name.replace(CASE_ID, "Some_0003"))
    return case


@dataclass(frozen=True)
class Kind:
    name: str
    build: Callable[[Path], Path]
    error: type[MedBrainError] | None  # None: loads
    words: tuple[str, ...]  # in the error message, or in the warnings when it loads


CORPUS: tuple[Kind, ...] = (
    Kind("missing_modality", _missing_modality, MissingModalityError, ("missing modality t1ce",)),
    Kind("complex_data", _complex, InvalidImageError, ("complex-valued", "t1")),
    Kind("huge_declared_size", _huge_header, ImageTooLargeError, ("4000 x 4000 x 4000", "t2")),
    Kind("declared_size_exceeds_file", _declared_exceeds_file, CorruptFileError, ("truncated or its header is wrong",)),
    Kind("singular_affine", _singular_affine, InvalidGeometryError, ("singular affine",)),
    Kind("nonfinite_affine", _nonfinite_affine, InvalidGeometryError, ("non-finite affine",)),
    Kind("sheared_affine", _sheared_affine, InvalidGeometryError, ("sheared affine", "resample")),
    Kind("zero_voxel_size", _zero_voxel_size, InvalidGeometryError, ("voxel size", "zero")),
    Kind("volume_8x8x8", _tiny_volume, InvalidImageError, ("8 x 8 x 8", "at least 16")),
    Kind("constant_volume", _constant, InvalidImageError, ("constant", "500")),
    Kind("mask_given_as_t1", _mask_as_t1, InvalidImageError, ("2 distinct values", "mask")),
    Kind("label_given_as_flair", _label_as_flair, InvalidImageError, ("label map", "flair")),
    Kind("directory_named_like_file", _directory_named_like_file, FileAccessError, ("is a directory",)),
    Kind("symlink_loop", _symlink_loop, FileAccessError, ("symlink loop",)),
    Kind("broken_symlink", _broken_symlink, FileAccessError, ("broken symlink", "gone.nii.gz")),
    Kind("fifo_named_like_file", _fifo, FileAccessError, ("FIFO",)),
    Kind("truncated_gzip", _truncated_gzip, CorruptFileError, ("truncated",)),
    Kind("garbage_file", _garbage, CorruptFileError, ("not a NIfTI image",)),
    Kind("nan_voxels", _nan_voxels, InvalidImageError, ("1 NaN voxel(s)",)),
    Kind("all_zero_volume", _all_zero, InvalidImageError, ("all zero",)),
    Kind("shape_mismatch", _shape_mismatch, ShapeMismatchError, ("(32, 32, 19)",)),
    Kind("affine_mismatch", _affine_mismatch, GeometryMismatchError, ("Affine mismatch",)),
    Kind("four_d_modality", _four_d_modality, InvalidImageError, ("4-D",)),
    Kind("empty_file", _empty_file, CorruptFileError, ("Empty file", "t2")),
    Kind("inf_voxels", _inf_voxels, InvalidImageError, ("1 Inf voxel(s)", "t2")),
    Kind("two_d_modality", _two_d_modality, InvalidImageError, ("2-D", "t1")),
    Kind("gz_name_plain_data", _gz_name_plain_data, CorruptFileError, ("not a gzip file",)),
    Kind("unrecognised_file_names", _unrecognised_names, CaseNotFoundError, ("match no known layout", "t1.nii.gz")),
    Kind("duplicate_modality_file", _duplicate_modality, CaseNotFoundError, ("several files for t1",)),
    Kind("two_cases_in_one_folder", _two_cases_in_one_folder, CaseNotFoundError, ("several cases", "Other_0002")),
    Kind("all_negative_intensities", _all_negative, None, ("no zero background", "Every voxel is negative")),
    Kind("already_zscored", _already_zscored, None, ()),
    Kind("zscored_negative_background", _zscored_negative_background, None, ()),
)
