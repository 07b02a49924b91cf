"""Loading real cases in every layout into the same in-memory Case."""

from __future__ import annotations

from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

from medbrain.data import MODALITIES, Case, load_case, resolve_case
from medbrain.labels import LabelConvention

pytestmark = pytest.mark.realdata


def test_real_brats2018_case(real_case: Case, real_case_dir: Path):
    c = real_case
    assert c.case_id == "Brats18_2013_11_1"
    assert c.images.dtype == np.float32 and c.images.shape == (4, 240, 240, 155)
    assert c.shape == (240, 240, 155)
    assert c.label is not None and c.label.dtype == np.uint8 and c.label.shape == c.shape
    assert set(np.unique(c.label).tolist()) == {0, 1, 2, 4}
    assert c.affine.dtype == np.float64 and c.affine.shape == (4, 4)
    assert nib.aff2axcodes(c.affine) == ("L", "P", "S")
    assert c.spacing == (1.0, 1.0, 1.0)
    assert c.voxel_volume_ml == pytest.approx(0.001)
    assert isinstance(c.header, nib.Nifti1Header)
    assert tuple(c.header.get_data_shape()) == c.shape
    assert c.files.layout == "brats2018"
    # arrays are exactly as stored: no reorientation, no rescaling
    for i, m in enumerate(MODALITIES):
        raw = np.asarray(nib.load(str(real_case_dir / f"Brats18_2013_11_1_{m}.nii.gz")).dataobj)
        np.testing.assert_array_equal(c.images[i], raw.astype(np.float32))
    assert np.array_equal(c.modality("flair"), c.images[3])
    assert "Brats18_2013_11_1" in repr(c) and len(repr(c)) < 2000


def test_load_without_label(real_case_dir: Path):
    c = load_case(resolve_case(real_case_dir), with_label=False)
    assert c.label is None and c.images.shape == (4, 240, 240, 155)


def test_brats2023_layout_equals_2018(real_case: Case, real_case_2023_dir: Path):
    c = load_case(real_case_2023_dir)
    assert c.files.layout == "brats2023"
    assert c.files.convention is LabelConvention.BRATS2023
    np.testing.assert_array_equal(c.images, real_case.images)
    np.testing.assert_array_equal(c.label, real_case.label)  # 3 on disk -> 4 internally
    np.testing.assert_array_equal(c.affine, real_case.affine)


def test_msd_layout_equals_2018(real_case: Case, real_case_msd_path: Path):
    c = load_case(real_case_msd_path)
    assert c.case_id == "BRATS_999" and c.files.layout == "msd"
    assert c.images.shape == real_case.images.shape
    np.testing.assert_array_equal(c.images, real_case.images)  # channels reordered
    np.testing.assert_array_equal(c.label, real_case.label)  # MSD labels converted
    np.testing.assert_array_equal(c.affine, real_case.affine)
    assert tuple(c.header.get_data_shape()) == c.shape  # 3-D spatial header
    assert c.spacing == (1.0, 1.0, 1.0)


def test_brats2023_unlabelled_case(data_root: Path):
    c = load_case(data_root / "brats2023-unlabelled" / "BraTS-GLI-00001-000")
    assert c.label is None
    assert c.files.layout == "brats2023"
    assert c.images.shape == (4, 240, 240, 155) and c.images.dtype == np.float32
    assert all(c.images[i].any() for i in range(4))


def test_real_case_without_t1_and_t2_loads_with_zeros_and_a_warning(real_case_dir: Path, tmp_path: Path):
    case = tmp_path / real_case_dir.name
    case.mkdir()
    for m in ("t1ce", "flair", "seg"):
        name = f"{real_case_dir.name}_{m}.nii.gz"
        (case / name).symlink_to((real_case_dir / name).resolve())
    c = load_case(resolve_case(case, allow_missing=True))
    assert c.sequences == ("t1ce", "flair")
    assert not c.images[0].any() and not c.images[2].any() and c.images[1].any() and c.images[3].any()
    assert c.label is not None and "has no t1, t2 image" in c.warnings[0]
    with pytest.raises(Exception, match="missing modality t1, t2"):
        load_case(case)  # the library default stays strict
