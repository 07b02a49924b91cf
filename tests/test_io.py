"""medbrain.io: atomic writes and the real reason a path cannot be read or written."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from medbrain.errors import FileAccessError, OutputError
from medbrain.io import (
    access_problem,
    atomic_write_lines,
    atomic_write_text,
    check_output_file,
    check_readable_file,
    ensure_output_dir,
)

from .faults import unprivileged


def test_access_problems_are_named(tmp_path: Path):
    good = tmp_path / "a.nii.gz"
    good.write_bytes(b"x")
    assert access_problem(good) is None
    assert access_problem(tmp_path / "none") == "does not exist"
    (tmp_path / "d.nii.gz").mkdir()
    assert "directory" in access_problem(tmp_path / "d.nii.gz")
    os.symlink("loop.nii.gz", tmp_path / "loop.nii.gz")
    assert "symlink loop" in access_problem(tmp_path / "loop.nii.gz")
    os.symlink(tmp_path / "gone", tmp_path / "broken.nii.gz")
    assert "broken symlink" in access_problem(tmp_path / "broken.nii.gz")
    os.mkfifo(tmp_path / "fifo.nii.gz")
    assert "FIFO" in access_problem(tmp_path / "fifo.nii.gz")
    with pytest.raises(FileAccessError, match="is a directory.*Fix"):
        check_readable_file(tmp_path / "d.nii.gz", "t1 file")


def test_permission_denied_is_named():
    with tempfile.TemporaryDirectory(dir="/tmp") as d:
        Path(d).chmod(0o755)
        f = Path(d) / "secret.nii.gz"
        f.write_bytes(b"x")
        f.chmod(0)
        with unprivileged():
            assert access_problem(f) == "cannot be read: permission denied"


def test_ensure_output_dir(tmp_path: Path):
    assert ensure_output_dir(tmp_path / "a" / "b").is_dir()
    f = tmp_path / "file"
    f.write_text("keep")
    with pytest.raises(OutputError, match="existing file"):
        ensure_output_dir(f)
    with pytest.raises(OutputError, match="part of the path is an existing file"):
        ensure_output_dir(f / "sub")
    assert f.read_text() == "keep"
    (tmp_path / "x.nii.gz").mkdir()
    with pytest.raises(OutputError, match="already exists as a folder"):
        check_output_file(tmp_path / "x.nii.gz")


def test_read_only_output_dir_is_refused_before_work():
    with tempfile.TemporaryDirectory(dir="/tmp") as d:
        Path(d).chmod(0o555)
        try:
            with unprivileged(), pytest.raises(OutputError, match="not writable"):
                ensure_output_dir(d)
        finally:
            Path(d).chmod(0o755)


def test_atomic_writes_leave_no_temp_files(tmp_path: Path):
    atomic_write_text(tmp_path / "a.txt", "one")
    atomic_write_lines(tmp_path / "log.jsonl", [{"tool": "load"}, {"tool": "segment"}])
    atomic_write_lines(tmp_path / "log.jsonl", [{"tool": "load"}])
    assert (tmp_path / "log.jsonl").read_text().count("\n") == 1, "each run replaces the log"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "log.jsonl"]
