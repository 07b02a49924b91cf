"""Allowed roots: every file actually opened is checked; outputs stay below the output root."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from medbrain.data import make_synthetic_case
from medbrain.errors import OutputError, PathNotAllowedError
from medbrain.tools.paths import AllowedRoots, OutputRoot


@pytest.fixture
def layout(tmp_path: Path):
    root = tmp_path / "allowed"
    outside = make_synthetic_case(tmp_path / "elsewhere", seed=0, case_id="Leak_0001", shape=(24, 24, 16))
    case = root / "Leak_0001"
    case.mkdir(parents=True)
    for f in outside.iterdir():
        os.symlink(f, case / f.name)
    return root, case, outside


def test_folder_inside_root_with_files_linked_outside_is_refused(layout):
    root, case, outside = layout
    with pytest.raises(PathNotAllowedError, match=r"t1 file .*Leak_0001_t1\.nii\.gz.*resolves to .*elsewhere"):
        AllowedRoots.of(root).check(case)
    with pytest.raises(PathNotAllowedError):
        AllowedRoots.of(root).check(case / "Leak_0001_flair.nii.gz")
    assert AllowedRoots.of(root, outside.parent).check(case) == case.resolve()


def test_real_files_inside_the_root_are_allowed(layout, tmp_path):
    root, case, outside = layout
    shutil.rmtree(case)
    shutil.copytree(outside, case)
    assert AllowedRoots.of(root).check(case) == case.resolve()
    with pytest.raises(PathNotAllowedError, match="outside the allowed data roots"):
        AllowedRoots.of(root).check(outside)


def test_output_root_confines_report_folders(tmp_path):
    out = OutputRoot.of(tmp_path / "reports")
    assert out.inside(None) == (tmp_path / "reports").resolve()
    assert out.inside("sub/dir") == (tmp_path / "reports" / "sub" / "dir").resolve()
    for escape in ("../elsewhere", str(tmp_path / "elsewhere"), "/etc", "sub/../../x"):
        with pytest.raises(OutputError, match="outside the output root"):
            out.inside(escape)
    (tmp_path / "reports").mkdir()
    os.symlink(tmp_path, tmp_path / "reports" / "link")
    with pytest.raises(OutputError):
        out.inside("link/x")
