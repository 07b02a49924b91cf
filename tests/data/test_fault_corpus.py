"""The data layer's verdict on every kind of bad input in the fault corpus (tests/faults.py).

Each kind is built by code from a valid tiny case; the loader must refuse it with the named
error and a message that says what is wrong, or load it (with the listed warnings).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

from medbrain.data import load_case, make_synthetic_case, scan_cases
from medbrain.errors import FileAccessError, InvalidGeometryError, MedBrainError

from ..faults import CASE_ID, CORPUS, TINY_SHAPE, edit_header, image_file, rewrite, unprivileged, world_readable_copy


@pytest.fixture(scope="module")
def tiny_template(tmp_path_factory) -> Path:
    return make_synthetic_case(tmp_path_factory.mktemp("tiny"), seed=4, case_id=CASE_ID, shape=TINY_SHAPE)


@pytest.fixture
def tiny(tmp_path: Path, tiny_template: Path) -> Path:
    dst = tmp_path / "data" / CASE_ID
    shutil.copytree(tiny_template, dst)
    return dst


@pytest.mark.parametrize("kind", CORPUS, ids=[k.name for k in CORPUS])
def test_corpus_verdict(kind, tiny: Path):
    case = kind.build(tiny)
    if kind.error is None:
        loaded = load_case(case)
        text = " ".join(loaded.warnings)
        for word in kind.words:
            assert word in text, text
        if not kind.words:
            assert loaded.warnings == []
        return
    with pytest.raises(kind.error) as info:
        load_case(case)
    msg = str(info.value)
    for word in kind.words:
        assert word in msg, msg
    assert "Fix" in msg or "All four" in msg or "tolerance" in msg or "shape" in msg, msg


def test_the_corpus_has_at_least_thirty_distinct_kinds():
    assert len({k.name for k in CORPUS}) == len(CORPUS) >= 30
    assert len({k.build for k in CORPUS}) == len(CORPUS), "each kind is built by its own code"


def test_huge_header_is_refused_before_any_allocation(tiny: Path, monkeypatch):
    from medbrain.data import nifti

    def no_read(*args, **kwargs):
        raise AssertionError("voxel data was read")

    monkeypatch.setattr(nifti, "read_data", no_read)
    CORPUS[[k.name for k in CORPUS].index("huge_declared_size")].build(tiny)
    with pytest.raises(MedBrainError, match="4000 x 4000 x 4000"):
        load_case(tiny)


def test_zero_voxel_size_is_seen_although_nibabel_hides_it(tiny: Path):
    f = edit_header(image_file(tiny, "t1"), pixdim=[1, 1, 0, 1, 0, 0, 0, 0], sform_code=0, qform_code=1)
    assert nib.load(str(f)).header.get_zooms()[1] == 1.0  # what nibabel reports
    with pytest.raises(InvalidGeometryError, match=r"voxel size \(1.0, 0.0, 1.0\)"):
        load_case(tiny)


def test_small_rotation_is_not_shear(tiny: Path):
    angle = np.deg2rad(10)
    rot = np.array([[np.cos(angle), -np.sin(angle), 0, 0], [np.sin(angle), np.cos(angle), 0, 0],
                    [0, 0, 1.0, 0], [0, 0, 0, 1]]) @ np.diag([1.0, 1.0, 2.0, 1.0])
    for m in ("t1", "t1ce", "t2", "flair", "seg"):
        rewrite(image_file(tiny, m), affine=rot)
    case = load_case(tiny)
    assert case.voxel_volume_ml == pytest.approx(0.002)
    assert case.spacing == pytest.approx((1.0, 1.0, 2.0))


def test_voxel_volume_is_the_determinant(tiny: Path):
    aff = np.diag([-1.2, -0.9, 2.5, 1.0])
    for m in ("t1", "t1ce", "t2", "flair", "seg"):
        rewrite(image_file(tiny, m), affine=aff)
    assert load_case(tiny).voxel_volume_ml == pytest.approx(1.2 * 0.9 * 2.5 / 1000)


def test_header_text_is_not_kept(tiny: Path):
    for m in ("t1", "t1ce", "t2", "flair"):
        img = nib.load(str(image_file(tiny, m)))
        img.header["descrip"] = b"Jane Doe DOB 1950-01-02"
        img.header["aux_file"] = b"MRN-778899"
        img.header["intent_name"] = b"JaneDoe"
        img.header["db_name"] = b"St Elsewhere"
        img.header.extensions.append(nib.nifti1.Nifti1Extension("comment", b"patient Jane Doe"))
        nib.save(img, str(image_file(tiny, m)))
    hdr = load_case(tiny).header
    blob = hdr.binaryblock
    for secret in (b"Jane", b"MRN", b"Elsewhere"):
        assert secret not in blob
    assert len(hdr.extensions) == 0


def test_permission_denied_is_named(tiny: Path):
    with tempfile.TemporaryDirectory(dir="/tmp") as d:
        case = world_readable_copy(tiny, Path(d))
        image_file(case, "t2").chmod(0)
        with unprivileged(), pytest.raises(FileAccessError, match="permission denied"):
            load_case(case)


def test_unreadable_case_folder_is_named(tiny: Path):
    with tempfile.TemporaryDirectory(dir="/tmp") as d:
        case = world_readable_copy(tiny, Path(d))
        case.chmod(0)
        try:
            with unprivileged(), pytest.raises(FileAccessError, match="permission denied"):
                load_case(case)
            with unprivileged():
                cases, problems = scan_cases(Path(d))
            assert cases == [] and len(problems) == 1 and "permission denied" in str(problems[0].error)
        finally:
            case.chmod(0o755)


def test_scan_cases_reports_every_unusable_folder(tiny: Path):
    root = tiny.parent
    shutil.copytree(tiny, root / "Other")
    for f in (root / "Other").iterdir():
        f.rename(f.with_name(f.name.replace(CASE_ID, "Other")))
    (root / "Other" / "Other_flair.nii.gz").unlink()
    cases, problems = scan_cases(root)
    assert [c.case_id for c in cases] == [CASE_ID]
    assert [p.folder.name for p in problems] == ["Other"]
    assert "missing modality flair" in str(problems[0].error)


def test_a_folder_holding_only_a_bad_case_names_its_problem(tiny: Path):
    from medbrain.data import find_cases

    image_file(tiny, "t2").unlink()
    with pytest.raises(MedBrainError, match="missing modality t2"):
        find_cases(tiny.parent, strict=False)


@pytest.mark.parametrize("name", ["already_zscored", "zscored_negative_background"])
def test_normalised_input_gives_the_model_the_same_input_as_the_raw_case(name: str, tiny: Path,
                                                                          tiny_template: Path):
    from medbrain.data import preprocess

    raw = preprocess(load_case(tiny_template))
    normalised = preprocess(load_case(next(k for k in CORPUS if k.name == name).build(tiny)))
    np.testing.assert_array_equal(normalised.mask, raw.mask)
    np.testing.assert_allclose(normalised.images, raw.images, atol=1e-4)
