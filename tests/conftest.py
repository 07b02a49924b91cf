"""Shared fixtures: where the real BraTS sample data lives (``$MEDBRAIN_DATA``)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def data_root() -> Path:
    """The real-data root from ``$MEDBRAIN_DATA``; skips the test when it is unset."""
    value = os.environ.get("MEDBRAIN_DATA")
    if not value and os.environ.get("MEDBRAIN_REQUIRE_DATA") == "1":
        pytest.fail("MEDBRAIN_REQUIRE_DATA=1 (CI) but MEDBRAIN_DATA is unset: real-data tests must not skip")
    if not value:
        pytest.skip("MEDBRAIN_DATA is not set; export MEDBRAIN_DATA=<shared data folder> "
                    "(e.g. ../shared/data) to run the tests on real BraTS cases")
    root = Path(value).expanduser()
    if not root.is_dir():
        pytest.fail(f"MEDBRAIN_DATA={value!r} is set but is not a folder")
    return root


@pytest.fixture(scope="session")
def real_case_dir(data_root: Path) -> Path:
    """Folder of the real labelled BraTS 2018 case Brats18_2013_11_1."""
    case = data_root / "brats2018" / "Brats18_2013_11_1"
    if not case.is_dir():
        pytest.fail(f"{case} is missing from MEDBRAIN_DATA={data_root}")
    return case
