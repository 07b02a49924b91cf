"""Case discovery: the three layouts, missing files, and not-a-case paths."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from medbrain.data import MODALITIES, CaseFiles, LabelConvention, find_cases, resolve_case
from medbrain.data.synthetic import make_synthetic_case
from medbrain.errors import CaseNotFoundError, MissingModalityError

from .conftest import SMALL_SHAPE


def test_modalities_order():
    assert MODALITIES == ("t1", "t1ce", "t2", "flair")


def test_resolve_brats2018_folder(small_case: Path):
    files = resolve_case(small_case)
    assert isinstance(files, CaseFiles)
    assert files.case_id == "Small_0001" and files.layout == "brats2018"
    assert files.convention is LabelConvention.BRATS2018
    assert list(files.images) == list(MODALITIES)
    assert files.images["t1ce"].name == "Small_0001_t1ce.nii.gz"
    assert files.images["t1"].name == "Small_0001_t1.nii.gz"
    assert files.label is not None and files.label.name == "Small_0001_seg.nii.gz"
    assert hash(files) == hash(resolve_case(str(small_case)))


def test_resolve_brats2023_folder(tmp_path: Path):
    folder = make_synthetic_case(tmp_path, case_id="BraTS-GLI-00002-000", shape=SMALL_SHAPE,
                                 layout="brats2023")
    files = resolve_case(folder)
    assert files.layout == "brats2023" and files.convention is LabelConvention.BRATS2023
    names = {m: p.name for m, p in files.images.items()}
    assert names == {"t1": "BraTS-GLI-00002-000-t1n.nii.gz",
                     "t1ce": "BraTS-GLI-00002-000-t1c.nii.gz",
                     "t2": "BraTS-GLI-00002-000-t2w.nii.gz",
                     "flair": "BraTS-GLI-00002-000-t2f.nii.gz"}
    assert files.label.name == "BraTS-GLI-00002-000-seg.nii.gz"


def test_resolve_msd_image(tmp_path: Path):
    image = make_synthetic_case(tmp_path, case_id="BRATS_007", shape=SMALL_SHAPE, layout="msd")
    assert image == tmp_path / "imagesTr" / "BRATS_007.nii.gz"
    files = resolve_case(image)
    assert files.layout == "msd" and files.convention is LabelConvention.MSD
    assert files.case_id == "BRATS_007"
    assert set(files.images.values()) == {image}
    assert files.label == tmp_path / "labelsTr" / "BRATS_007.nii.gz"
    (tmp_path / "labelsTr" / "BRATS_007.nii.gz").unlink()
    assert resolve_case(image).label is None


def test_unlabelled_folder_has_no_label(small_case: Path):
    (small_case / "Small_0001_seg.nii.gz").unlink()
    assert resolve_case(small_case).label is None


def test_modality_file_resolves_to_its_case(small_case: Path):
    assert resolve_case(small_case / "Small_0001_flair.nii.gz").case_id == "Small_0001"


@pytest.mark.parametrize("modality", MODALITIES)
def test_missing_modality_is_named(small_case: Path, modality: str):
    (small_case / f"Small_0001_{modality}.nii.gz").unlink()
    with pytest.raises(MissingModalityError) as info:
        resolve_case(small_case)
    msg = str(info.value)
    assert f"missing modality {modality} " in msg
    assert str(small_case) in msg


def test_missing_brats2023_modality_uses_internal_name(tmp_path: Path):
    folder = make_synthetic_case(tmp_path, case_id="BraTS-GLI-00003-000", shape=SMALL_SHAPE,
                                 layout="brats2023")
    (folder / "BraTS-GLI-00003-000-t1c.nii.gz").unlink()
    with pytest.raises(MissingModalityError, match=r"missing modality t1ce .*-t1c\.nii\.gz"):
        resolve_case(folder)


def test_nonexistent_path(tmp_path: Path):
    with pytest.raises(CaseNotFoundError, match="does not exist.*Expected one of"):
        resolve_case(tmp_path / "nope")


def test_folder_without_images_is_not_a_case(tmp_path: Path):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(CaseNotFoundError, match="not a case folder.*BraTS 2023"):
        resolve_case(tmp_path)


def test_stray_file_is_not_a_case(tmp_path: Path):
    stray = tmp_path / "brain.nii.gz"
    stray.write_bytes(b"x")
    with pytest.raises(CaseNotFoundError, match="not a case.*MSD"):
        resolve_case(stray)


def test_two_cases_in_one_folder(small_case: Path):
    shutil.copy(small_case / "Small_0001_t1.nii.gz", small_case / "Other_t1.nii.gz")
    (small_case.parent / "mixed").mkdir()
    for p in small_case.iterdir():
        shutil.move(p, small_case.parent / "mixed" / p.name)
    with pytest.raises(CaseNotFoundError, match="several cases"):
        resolve_case(small_case.parent / "mixed")


def test_find_cases_mixed_layouts(tmp_path: Path):
    make_synthetic_case(tmp_path / "b18", case_id="Case_B", shape=SMALL_SHAPE)
    make_synthetic_case(tmp_path / "b23", case_id="Case-A", shape=SMALL_SHAPE,
                        layout="brats2023")
    make_synthetic_case(tmp_path / "msd", case_id="BRATS_001", shape=SMALL_SHAPE, layout="msd")
    (tmp_path / "msd" / "imagesTr" / "._BRATS_001.nii.gz").write_bytes(b"macOS junk")
    cases = find_cases(tmp_path)
    assert [c.case_id for c in cases] == ["BRATS_001", "Case-A", "Case_B"]
    assert [c.layout for c in cases] == ["msd", "brats2023", "brats2018"]


def test_find_cases_strict_and_lenient(tmp_path: Path):
    make_synthetic_case(tmp_path, case_id="Good", shape=SMALL_SHAPE)
    broken = make_synthetic_case(tmp_path, case_id="Broken", shape=SMALL_SHAPE)
    (broken / "Broken_t2.nii.gz").unlink()
    with pytest.raises(MissingModalityError, match="t2"):
        find_cases(tmp_path)
    assert [c.case_id for c in find_cases(tmp_path, strict=False)] == ["Good"]


def test_find_cases_empty_root(tmp_path: Path):
    with pytest.raises(CaseNotFoundError, match="No cases found"):
        find_cases(tmp_path)
    with pytest.raises(CaseNotFoundError, match="does not exist"):
        find_cases(tmp_path / "missing")


@pytest.mark.realdata
def test_find_cases_on_real_data(data_root: Path):
    cases = find_cases(data_root)
    ids = [c.case_id for c in cases]
    assert ids == sorted(ids) and len(ids) >= 16
    assert "Brats18_2013_11_1" in ids
    by_id = {c.case_id: c for c in cases}
    unlabelled = by_id["BraTS-GLI-00001-000"]
    assert unlabelled.layout == "brats2023" and unlabelled.label is None
    assert sum(c.layout == "brats2018" and c.label is not None for c in cases) >= 15


def test_symlinked_case_folders_are_followed_once_each(tmp_path: Path):
    from medbrain.data import scan_cases

    data = tmp_path / "data"
    make_synthetic_case(tmp_path / "elsewhere", case_id="Linked", shape=SMALL_SHAPE)
    make_synthetic_case(data, case_id="Real", shape=SMALL_SHAPE)
    (data / "Linked").symlink_to(tmp_path / "elsewhere" / "Linked")  # a case folder that is a symlink
    (data / "again").symlink_to(data / "Real")  # a second way to one folder
    (data / "loop").symlink_to(data)  # a loop back to the root
    cases, problems = scan_cases(data)
    assert [(c.case_id, c.images["t1"].parent) for c in cases] == [("Linked", data / "Linked"),
                                                                   ("Real", data / "Real")]
    assert problems == []


def test_links_that_lead_nowhere_or_out_of_the_root_are_named(tmp_path: Path):
    from medbrain.data import scan_cases

    data = tmp_path / "data"
    make_synthetic_case(data, case_id="Real", shape=SMALL_SHAPE)
    (data / "gone").symlink_to(tmp_path / "missing")
    (data / "self").symlink_to("self")
    (tmp_path / "other" / "deep").mkdir(parents=True)
    (data / "out").symlink_to(tmp_path / "other")  # not a case; its sub-folders are not searched
    cases, problems = scan_cases(data)
    assert [c.case_id for c in cases] == ["Real"]
    why = {p.folder.name: str(p.error) for p in problems}
    assert set(why) == {"gone", "self", "out"}
    assert "broken symlink" in why["gone"] and "symlink loop" in why["self"]
    assert "outside the data folder" in why["out"]


def test_folder_of_unrecognised_nifti_names_is_reported_not_skipped(tmp_path: Path):
    from medbrain.data import scan_cases

    odd = tmp_path / "Odd"
    odd.mkdir()
    for name in ("t1.nii.gz", "flair.nii.gz"):
        (odd / name).write_bytes(b"x")
    make_synthetic_case(tmp_path, case_id="Good", shape=SMALL_SHAPE)
    cases, problems = scan_cases(tmp_path)
    assert [c.case_id for c in cases] == ["Good"]
    assert [p.folder.name for p in problems] == ["Odd"]
    assert "match no known layout (flair.nii.gz, t1.nii.gz)" in str(problems[0].error)
    with pytest.raises(CaseNotFoundError, match="match no known layout"):
        find_cases(odd)


def test_an_output_folder_inside_the_data_folder_is_not_searched(tmp_path: Path):
    from medbrain.data import scan_cases

    data = tmp_path / "data"
    make_synthetic_case(data, case_id="Real", shape=SMALL_SHAPE)
    out_case = data / "outputs" / "Real"
    out_case.mkdir(parents=True)
    (data / "outputs" / ".medbrain").mkdir()  # what `medbrain report --out data/outputs` leaves
    (out_case / "Real_pred.nii.gz").write_bytes((data / "Real" / "Real_t1.nii.gz").read_bytes())
    cases, problems = scan_cases(data)
    assert [c.case_id for c in cases] == ["Real"] and problems == []
    (data / "outputs" / ".medbrain").rmdir()
    assert [p.folder for p in scan_cases(data)[1]] == [out_case], "without the marker it is reported"


def test_a_case_with_some_sequences_is_found_when_missing_ones_are_allowed(small_case: Path):
    (small_case / "Small_0001_t1.nii.gz").unlink()
    (small_case / "Small_0001_t2.nii.gz").unlink()
    files = resolve_case(small_case, allow_missing=True)
    assert files.sequences == ("t1ce", "flair") and files.missing == ("t1", "t2")
    assert files.first_image.name == "Small_0001_t1ce.nii.gz"
    with pytest.raises(MissingModalityError, match=r"missing modality t1, t2 .*--require-all"):
        files.require_all()
    cases, problems = scan_cases_of(small_case.parent, allow_missing=True)
    assert [c.case_id for c in cases] == ["Small_0001"] and problems == []
    cases, problems = scan_cases_of(small_case.parent, allow_missing=False)
    assert cases == [] and "missing modality t1, t2" in str(problems[0].error)


def test_a_folder_with_only_a_label_is_not_a_case_even_when_sequences_may_be_missing(small_case: Path):
    for m in MODALITIES:
        (small_case / f"Small_0001_{m}.nii.gz").unlink()
    (small_case / "Small_0001_seg.nii.gz").write_bytes(b"")
    with pytest.raises(MissingModalityError, match="has no image"):
        resolve_case(small_case, allow_missing=True)


def scan_cases_of(root: Path, *, allow_missing: bool):
    from medbrain.data import scan_cases

    return scan_cases(root, allow_missing=allow_missing)
