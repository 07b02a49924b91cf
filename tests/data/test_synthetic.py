"""The synthetic BraTS-like phantom: deterministic, realistic enough, loadable."""

from __future__ import annotations

import time
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

from medbrain.data import (
    MODALITIES,
    brain_mask,
    load_case,
    make_synthetic_case,
    region_masks,
    synthetic_case_in_memory,
)
from medbrain.data.synthetic import CSF, GM, TISSUE_INTENSITY, WM, brats_affine
from medbrain.errors import ConfigError

SHAPE = (64, 64, 48)
T1, T1CE, T2, FLAIR = range(4)


@pytest.fixture(scope="module")
def case0():
    return synthetic_case_in_memory(seed=0, shape=SHAPE)


def test_deterministic_per_seed(case0):
    images, label, affine = case0
    images2, label2, affine2 = synthetic_case_in_memory(seed=0, shape=SHAPE)
    np.testing.assert_array_equal(images, images2)
    np.testing.assert_array_equal(label, label2)
    np.testing.assert_array_equal(affine, affine2)
    other, other_label, _ = synthetic_case_in_memory(seed=5, shape=SHAPE)
    assert not np.array_equal(label, other_label) and not np.array_equal(images, other)


def test_types_and_geometry(case0):
    images, label, affine = case0
    assert images.dtype == np.float32 and images.shape == (4, *SHAPE)
    assert label.dtype == np.uint8 and label.shape == SHAPE
    assert nib.aff2axcodes(affine) == ("L", "P", "S")
    np.testing.assert_array_equal(np.abs(np.diag(affine)[:3]), [1, 1, 1])
    assert (images == np.rint(images)).all()  # int16-like raw values
    brain = brain_mask(images)
    assert not images[:, ~brain].any()  # zero background
    assert (images[:, brain] > 0).all()
    assert not label[~brain].any()  # tumour only inside the brain


@pytest.mark.parametrize("seed", range(4))
def test_labels_contain_all_subregions(seed):
    _, label, _ = synthetic_case_in_memory(seed=seed, shape=SHAPE)
    assert set(np.unique(label).tolist()) == {0, 1, 2, 4}


def _world_x(affine: np.ndarray, mask: np.ndarray) -> float:
    centroid = np.argwhere(mask).mean(axis=0)
    return float((affine @ np.append(centroid, 1.0))[0])


@pytest.mark.parametrize("side", ["left", "right"])
def test_tumour_on_intended_hemisphere(side):
    images, label, affine = synthetic_case_in_memory(seed=3, shape=SHAPE, side=side)
    tumour_x = _world_x(affine, label > 0)
    brain_x = _world_x(affine, brain_mask(images))
    # RAS world: patient left has smaller x than the midline
    assert (tumour_x < brain_x) if side == "left" else (tumour_x > brain_x)
    mid = (SHAPE[0] - 1) / 2
    xs = np.argwhere(label > 0)[:, 0]
    assert ((xs > mid).all() if side == "left" else (xs < mid).all())  # LPS: +i is left


def test_default_side_follows_seed_parity():
    for seed, side in [(0, "left"), (1, "right")]:
        _, default, _ = synthetic_case_in_memory(seed=seed, shape=SHAPE)
        _, explicit, _ = synthetic_case_in_memory(seed=seed, shape=SHAPE, side=side)
        np.testing.assert_array_equal(default, explicit)


def test_tissue_contrast_table():
    t = TISSUE_INTENSITY
    assert t[WM, T1] > t[GM, T1] > t[CSF, T1]
    assert t[WM, T1CE] > t[GM, T1CE] > t[CSF, T1CE]
    assert t[CSF, T2] > t[GM, T2] > t[WM, T2]
    assert t[GM, FLAIR] > t[WM, FLAIR] > t[CSF, FLAIR]


def test_tumour_appearance(case0):
    images, label, _ = case0
    normal = brain_mask(images) & (label == 0)
    med = {name: np.median(images[:, sel], axis=1) for name, sel in
           [("normal", normal), ("NCR", label == 1), ("ED", label == 2), ("ET", label == 4)]}
    assert med["NCR"][T1CE] < med["normal"][T1CE] and med["NCR"][T1] < med["normal"][T1]
    assert med["NCR"][T2] > med["normal"][T2]
    assert med["ET"][T1CE] > 1.5 * med["normal"][T1CE]  # enhancing on T1ce ...
    assert med["ET"][T1] < 1.1 * med["normal"][T1]  # ... but not on T1
    assert med["ED"][T2] > med["normal"][T2] and med["ED"][FLAIR] > 1.3 * med["normal"][FLAIR]
    assert med["ED"][T1] < med["normal"][T1]


@pytest.mark.parametrize("layout", ["brats2018", "brats2023", "msd"])
def test_written_case_loads_back(tmp_path: Path, layout: str, case0):
    images, label, affine = case0
    path = make_synthetic_case(tmp_path, seed=0, case_id="Synth_01", shape=SHAPE, layout=layout)
    case = load_case(path)
    assert case.files.layout == layout and case.case_id == "Synth_01"
    np.testing.assert_array_equal(case.images, images)
    np.testing.assert_array_equal(case.label, label)
    np.testing.assert_array_equal(case.affine, affine)
    raw = np.asarray(nib.load(str(case.files.label)).dataobj)
    et_on_disk = {"brats2018": 4, "brats2023": 3, "msd": 3}[layout]
    np.testing.assert_array_equal(raw == et_on_disk, region_masks(label)["ET"])


def test_bad_arguments(tmp_path: Path):
    with pytest.raises(ConfigError, match="layout"):
        make_synthetic_case(tmp_path, shape=SHAPE, layout="nifti")
    with pytest.raises(ConfigError, match="side"):
        synthetic_case_in_memory(shape=SHAPE, side="middle")
    with pytest.raises(ConfigError, match="shape"):
        synthetic_case_in_memory(shape=(8, 8, 8))


def test_full_size_case(tmp_path: Path):
    start = time.perf_counter()
    folder = make_synthetic_case(tmp_path)
    elapsed = time.perf_counter() - start
    assert folder == tmp_path / "Synthetic_0001"
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        f"Synthetic_0001_{m}.nii.gz" for m in (*MODALITIES, "seg"))
    case = load_case(folder)
    assert case.shape == (240, 240, 155) and case.spacing == (1.0, 1.0, 1.0)
    np.testing.assert_array_equal(case.affine, brats_affine((240, 240, 155)))
    assert nib.load(str(case.files.images["t1"])).get_data_dtype() == np.int16
    brain = brain_mask(case.images)
    extent = [int(np.ptp(np.flatnonzero(brain.any(axis=tuple(a for a in range(3) if a != ax)))))
              + 1 for ax in range(3)]
    for got, want in zip(extent, (140, 170, 130)):
        assert abs(got - want) <= 15, extent
    assert 800 < case.images.max() < 3000
    for m in range(4):
        assert 100 < np.median(case.images[m][brain]) < 1500
    assert set(np.unique(case.label).tolist()) == {0, 1, 2, 4}
    assert case.label.astype(bool).sum() * case.voxel_volume_ml > 5  # a few mL of tumour
    assert elapsed < 20  # ~2-4 s alone; generous for a shared 2-core machine


@pytest.mark.realdata
def test_affine_matches_real_brats(real_case):
    np.testing.assert_array_equal(brats_affine(real_case.shape), real_case.affine)
