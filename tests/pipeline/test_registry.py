"""The LangChain tools over one workspace: what the model sees when it loads a case."""

from __future__ import annotations

import json
from pathlib import Path

from medbrain.model.checkpoint import load_checkpoint
from medbrain.pipeline.registry import build_tools
from medbrain.pipeline.workspace import CaseWorkspace
from medbrain.tools.paths import AllowedRoots
from tests.cli_helpers import make_tiny_checkpoint, tiny_case


def test_load_case_tool_reports_missing_sequences_and_what_they_cost(tmp_path: Path):
    case = tiny_case(tmp_path / "data", "Partial_0001")
    (case / "Partial_0001_t2.nii.gz").unlink()
    ws = CaseWorkspace(load_checkpoint(make_tiny_checkpoint(tmp_path / "ckpt")))
    tools = {t.name: t for t in build_tools(ws, AllowedRoots.of(tmp_path / "data"))}
    out = json.loads(tools["load_case"].invoke({"path": str(case)}))  # tools answer the model in JSON
    assert out["sequences"] == ["t1", "t1ce", "flair"] and out["sequences_missing"] == ["t2"]
    assert out["expected_accuracy"] == {"sequences": "t1+t1ce+flair", "measured": False}
    assert any("has no t2 image" in w for w in out["warnings"])
    assert any("No cross-validated accuracy exists for t1+t1ce+flair" in w for w in out["warnings"])
    assert "warnings" not in ws.facts["case"]  # the facts themselves stay as the tools wrote them


def test_strict_roots_refuse_the_same_case(tmp_path: Path):
    case = tiny_case(tmp_path / "data", "Partial_0002")
    (case / "Partial_0002_t2.nii.gz").unlink()
    ws = CaseWorkspace(load_checkpoint(make_tiny_checkpoint(tmp_path / "ckpt")), require_all=True)
    tools = {t.name: t for t in build_tools(ws, AllowedRoots.of(tmp_path / "data", require_all=True))}
    result = tools["load_case"].invoke({"path": str(case)})
    assert result.startswith("error:") and "missing modality t2" in result
