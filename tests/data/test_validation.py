"""Every bad input gets its own exception type and a message that names the problem."""

from __future__ import annotations

from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

from medbrain.data import load_case, make_synthetic_case
from medbrain.errors import (
    CaseNotFoundError,
    CorruptFileError,
    GeometryMismatchError,
    InvalidImageError,
    MedBrainError,
    MissingModalityError,
    ShapeMismatchError,
    UnknownLabelError,
)

from ._helpers import read_raw, rewrite
from .conftest import SMALL_SHAPE


def _file(case: Path, suffix: str) -> Path:
    return case / f"Small_0001_{suffix}.nii.gz"


def test_valid_small_case_loads(small_case: Path):
    case = load_case(small_case)
    assert case.shape == SMALL_SHAPE


def test_missing_modality(small_case: Path):
    _file(small_case, "t1ce").unlink()
    with pytest.raises(MissingModalityError, match="missing modality t1ce"):
        load_case(small_case)


def test_shape_mismatch_between_modalities(small_case: Path):
    t2 = _file(small_case, "t2")
    rewrite(t2, read_raw(t2)[:, :, :-1])
    with pytest.raises(ShapeMismatchError) as info:
        load_case(small_case)
    msg = str(info.value)
    assert "Shape mismatch" in msg and t2.name in msg
    assert "(40, 40, 27)" in msg and "(40, 40, 28)" in msg


def test_shape_mismatch_between_image_and_label(small_case: Path):
    seg = _file(small_case, "seg")
    rewrite(seg, np.pad(read_raw(seg), ((0, 2), (0, 0), (0, 0))))
    with pytest.raises(ShapeMismatchError, match=r"label .*seg\.nii\.gz has shape \(42, 40, 28\)"
                       r".*\(40, 40, 28\)"):
        load_case(small_case)
    assert load_case(small_case, with_label=False).label is None


def test_affine_mismatch(small_case: Path):
    flair = _file(small_case, "flair")
    affine = np.array(load_case(small_case).affine)
    affine[0, 3] += 0.5
    rewrite(flair, affine=affine)
    with pytest.raises(GeometryMismatchError) as info:
        load_case(small_case)
    msg = str(info.value)
    assert "Affine mismatch" in msg and flair.name in msg and "0.5" in msg


def test_affine_within_tolerance_is_accepted(small_case: Path):
    affine = np.array(load_case(small_case).affine)
    affine[1, 3] += 2e-4
    rewrite(_file(small_case, "t2"), affine=affine)
    load_case(small_case)


def test_label_affine_mismatch(small_case: Path):
    affine = np.array(load_case(small_case).affine)
    affine[2, 2] = 2.0
    rewrite(_file(small_case, "seg"), affine=affine)
    with pytest.raises(GeometryMismatchError, match=r"label .*seg\.nii\.gz"):
        load_case(small_case)


@pytest.mark.parametrize("make_bad,ndim", [
    (lambda a: np.stack([a, a], axis=-1), 4),
    (lambda a: a[:, :, 10], 2),
])
def test_image_not_3d(small_case: Path, make_bad, ndim):
    t1 = _file(small_case, "t1")
    rewrite(t1, make_bad(read_raw(t1)))
    with pytest.raises(InvalidImageError, match=rf"t1 image .*t1\.nii\.gz is {ndim}-D"):
        load_case(small_case)


def test_trailing_singleton_axis_is_accepted(small_case: Path):
    t1 = _file(small_case, "t1")
    rewrite(t1, read_raw(t1)[..., None])
    assert load_case(small_case).shape == SMALL_SHAPE


def test_msd_image_needs_four_channels(tmp_path: Path):
    image = make_synthetic_case(tmp_path, case_id="BRATS_001", shape=SMALL_SHAPE, layout="msd")
    rewrite(image, read_raw(image)[..., :3])
    with pytest.raises(InvalidImageError, match="4-D with 4 channels"):
        load_case(image)


@pytest.mark.parametrize("value,word", [(np.nan, "NaN"), (np.inf, "Inf"), (-np.inf, "Inf")])
def test_non_finite_values(small_case: Path, value, word):
    t1ce = _file(small_case, "t1ce")
    data = read_raw(t1ce).astype(np.float32)
    data[20, 20, 14] = value
    rewrite(t1ce, data, dtype=np.float32)
    with pytest.raises(InvalidImageError) as info:
        load_case(small_case)
    msg = str(info.value)
    assert f"1 {word} voxel(s)" in msg and t1ce.name in msg and "t1ce" in msg


def test_all_zero_volume(small_case: Path):
    flair = _file(small_case, "flair")
    rewrite(flair, np.zeros_like(read_raw(flair)))
    with pytest.raises(InvalidImageError, match=r"flair image .*flair\.nii\.gz is all zero"):
        load_case(small_case)


def test_unknown_label_values(small_case: Path):
    seg = _file(small_case, "seg")
    data = read_raw(seg).copy()
    data[0, 0, :2] = 3
    data[0, 1, 0] = 9
    rewrite(seg, data)
    with pytest.raises(UnknownLabelError) as info:
        load_case(small_case)
    msg = str(info.value)
    assert "Label values 3, 9 " in msg and seg.name in msg and "brats2018" in msg


@pytest.mark.parametrize("cut", [lambda n: n // 2, lambda n: 30, lambda n: 0],
                         ids=["data", "header", "empty"])
def test_truncated_gzip(small_case: Path, cut):
    t2 = _file(small_case, "t2")
    blob = t2.read_bytes()
    t2.write_bytes(blob[: cut(len(blob))])
    with pytest.raises(CorruptFileError) as info:
        load_case(small_case)
    msg = str(info.value)
    assert t2.name in msg and "truncated" in msg


def test_truncated_uncompressed_nifti(small_case: Path):
    t1 = _file(small_case, "t1")
    img = nib.load(str(t1))
    plain = small_case / "Small_0001_t1.nii"
    nib.save(nib.Nifti1Image(np.asarray(img.dataobj), img.affine, img.header), str(plain))
    t1.unlink()
    plain.write_bytes(plain.read_bytes()[:-1000])
    with pytest.raises(CorruptFileError, match=r"t1\.nii: the file is truncated"):
        load_case(small_case)


def test_garbage_file(small_case: Path):
    t1 = _file(small_case, "t1")
    t1.write_bytes(np.random.default_rng(0).bytes(5000))
    with pytest.raises(CorruptFileError, match=r"Cannot read .*t1\.nii\.gz"):
        load_case(small_case)


def test_garbage_uncompressed_nifti(small_case: Path):
    _file(small_case, "flair").unlink()
    fake = small_case / "Small_0001_flair.nii"
    fake.write_text("this is not an image\n" * 50)
    with pytest.raises(CorruptFileError, match=r"flair\.nii"):
        load_case(small_case)


def test_path_that_is_not_a_case(tmp_path: Path):
    (tmp_path / "readme.md").write_text("nothing here")
    with pytest.raises(CaseNotFoundError, match="not a case folder"):
        load_case(tmp_path)
    with pytest.raises(CaseNotFoundError, match="does not exist"):
        load_case(tmp_path / "missing_case")
    (tmp_path / "sub").mkdir()
    with pytest.raises(CaseNotFoundError, match="data root"):
        load_case(tmp_path)


def test_errors_share_one_family():
    for exc in (CaseNotFoundError, CorruptFileError, GeometryMismatchError, InvalidImageError,
                MissingModalityError, ShapeMismatchError, UnknownLabelError):
        assert issubclass(exc, MedBrainError)
