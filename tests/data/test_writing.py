"""Writing back in the input's geometry and convention, atomically."""

from __future__ import annotations

from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

from medbrain.data import (
    Case,
    atomic_write_nifti,
    from_internal,
    load_case,
    save_label_map,
    save_volume,
    to_internal,
)
from medbrain.errors import ConfigError, ShapeMismatchError


def _check_round_trip(case: Case, path: Path, expected_disk_values: set[int]) -> None:
    out = save_label_map(case.label, case, path)
    assert out == path and path.is_file()
    img = nib.load(str(path))
    assert img.shape == case.shape
    assert img.get_data_dtype() == np.uint8
    np.testing.assert_array_equal(img.affine, case.affine)
    assert img.header.get_zooms()[:3] == case.header.get_zooms()[:3]
    raw = np.asarray(img.dataobj)
    assert set(np.unique(raw).tolist()) == expected_disk_values
    np.testing.assert_array_equal(raw, from_internal(case.label, case.files.convention))
    np.testing.assert_array_equal(to_internal(raw, case.files.convention), case.label)
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp files left


@pytest.mark.realdata
def test_round_trip_brats2018(real_case: Case, tmp_path: Path):
    _check_round_trip(real_case, tmp_path / "pred_seg.nii.gz", {0, 1, 2, 4})
    # and loading the written map as the case label gives the same labels back
    assert nib.aff2axcodes(nib.load(str(tmp_path / "pred_seg.nii.gz")).affine) == ("L", "P", "S")


@pytest.mark.realdata
def test_round_trip_brats2023(real_case_2023_dir: Path, tmp_path: Path):
    case = load_case(real_case_2023_dir)
    _check_round_trip(case, tmp_path / "pred-seg.nii.gz", {0, 1, 2, 3})


@pytest.mark.realdata
def test_round_trip_msd(real_case_msd_path: Path, tmp_path: Path):
    case = load_case(real_case_msd_path)
    _check_round_trip(case, tmp_path / "BRATS_999.nii.gz", {0, 1, 2, 3})
    assert nib.load(str(tmp_path / "BRATS_999.nii.gz")).header["dim"][0] == 3


def test_written_label_reloads_as_case_label(small_case: Path, tmp_path: Path):
    case = load_case(small_case)
    seg = small_case / "Small_0001_seg.nii.gz"
    save_label_map(case.label, case, seg)  # overwrite in place
    again = load_case(small_case)
    np.testing.assert_array_equal(again.label, case.label)
    np.testing.assert_array_equal(again.images, case.images)


def test_label_shape_must_match_case(small_case: Path, tmp_path: Path):
    case = load_case(small_case)
    with pytest.raises(ShapeMismatchError, match=r"\(40, 40, 27\).*\(40, 40, 28\)"):
        save_label_map(case.label[:, :, :-1], case, tmp_path / "x.nii.gz")


def test_save_volume_float(small_case: Path, tmp_path: Path):
    case = load_case(small_case)
    probs = np.random.default_rng(0).random(case.shape).astype(np.float32)
    path = save_volume(probs, case, tmp_path / "prob.nii")
    img = nib.load(str(path))
    assert img.get_data_dtype() == np.float32
    np.testing.assert_array_equal(np.asarray(img.dataobj), probs)
    np.testing.assert_array_equal(img.affine, case.affine)


def _tiny_image(value: int = 1) -> nib.Nifti1Image:
    return nib.Nifti1Image(np.full((3, 3, 3), value, dtype=np.uint8), np.eye(4))


def test_atomic_write_keeps_gzip_and_creates_folders(tmp_path: Path):
    path = atomic_write_nifti(_tiny_image(), tmp_path / "a" / "b" / "x.nii.gz")
    assert path.read_bytes()[:2] == b"\x1f\x8b"  # gzip magic
    assert np.asarray(nib.load(str(path)).dataobj).sum() == 27
    assert [p.name for p in path.parent.iterdir()] == ["x.nii.gz"]


def test_atomic_write_failure_leaves_old_file(tmp_path: Path, monkeypatch):
    path = atomic_write_nifti(_tiny_image(1), tmp_path / "x.nii.gz")
    before = path.read_bytes()

    def broken_save(img, filename):
        Path(filename).write_bytes(b"half")
        raise OSError("disk full")

    monkeypatch.setattr(nib, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        atomic_write_nifti(_tiny_image(2), path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["x.nii.gz"]


def test_atomic_write_rejects_non_nifti_suffix(tmp_path: Path):
    with pytest.raises(ConfigError, match=r"\.nii\.gz or \.nii"):
        atomic_write_nifti(_tiny_image(), tmp_path / "x.png")
