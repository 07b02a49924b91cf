"""Fixtures for the data-layer tests: cached real and synthetic cases."""

from __future__ import annotations

import shutil
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

from medbrain.data import (
    MODALITIES,
    Case,
    LabelConvention,
    from_internal,
    load_case,
    make_synthetic_case,
)
from medbrain.data.discovery import MSD_CHANNELS

SMALL_SHAPE = (40, 40, 28)
_NAMES_2023 = {"t1": "t1n", "t1ce": "t1c", "t2": "t2w", "flair": "t2f"}


@pytest.fixture(scope="session")
def real_case(real_case_dir: Path) -> Case:
    """The real BraTS 2018 case, loaded once per session (read-only by convention)."""
    return load_case(real_case_dir)


@pytest.fixture(scope="session")
def real_case_2023_dir(real_case_dir: Path, real_case: Case, tmp_path_factory) -> Path:
    """The real case re-filed in BraTS 2023 naming (ET relabelled 4 -> 3)."""
    case_id = "BraTS-GLI-99999-000"
    folder = tmp_path_factory.mktemp("brats2023") / case_id
    folder.mkdir()
    for m in MODALITIES:
        shutil.copy(real_case.files.images[m], folder / f"{case_id}-{_NAMES_2023[m]}.nii.gz")
    seg = nib.load(str(real_case.files.label))
    label = from_internal(real_case.label, LabelConvention.BRATS2023)
    nib.save(nib.Nifti1Image(label, seg.affine, seg.header), str(folder / f"{case_id}-seg.nii"))
    return folder


@pytest.fixture(scope="session")
def real_case_msd_path(real_case: Case, tmp_path_factory) -> Path:
    """The real case as an MSD Task01 4-D image (FLAIR, T1w, T1gd, T2w) plus MSD labels."""
    root = tmp_path_factory.mktemp("Task01_BrainTumour")
    (root / "imagesTr").mkdir()
    (root / "labelsTr").mkdir()
    ref = nib.load(str(real_case.files.images["t1"]))
    order = sorted(MODALITIES, key=MSD_CHANNELS.__getitem__)
    stacked = np.stack([real_case.modality(m) for m in order], axis=-1).astype(np.int16)
    hdr = ref.header.copy()
    hdr.set_data_shape(stacked.shape)
    image = root / "imagesTr" / "BRATS_999.nii.gz"
    nib.save(nib.Nifti1Image(stacked, ref.affine, hdr), str(image))
    label = from_internal(real_case.label, LabelConvention.MSD)
    nib.save(nib.Nifti1Image(label, ref.affine), str(root / "labelsTr" / "BRATS_999.nii.gz"))
    return image


@pytest.fixture(scope="session")
def small_case_template(tmp_path_factory) -> Path:
    """A small synthetic BraTS 2018 case written once per session (do not modify)."""
    root = tmp_path_factory.mktemp("synthetic_small")
    return make_synthetic_case(root, seed=1, case_id="Small_0001", shape=SMALL_SHAPE)


@pytest.fixture
def small_case(tmp_path: Path, small_case_template: Path) -> Path:
    """A private, modifiable copy of the small synthetic case folder."""
    dst = tmp_path / small_case_template.name
    shutil.copytree(small_case_template, dst)
    return dst
