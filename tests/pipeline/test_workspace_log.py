"""The workspace's tool log belongs to the case held: a new case starts a new log."""

from __future__ import annotations

from pathlib import Path

import pytest

from medbrain.errors import MedBrainError
from medbrain.model.checkpoint import load_checkpoint
from medbrain.pipeline.workspace import CaseWorkspace

from ..cli_helpers import make_tiny_checkpoint, tiny_case


def _loads(ws: CaseWorkspace) -> list[str]:
    return [e["arguments"]["path"] for e in ws.log.entries if e["tool"] == "load"]


def test_loading_another_case_starts_its_own_log_and_a_failed_load_changes_nothing(tmp_path: Path):
    ws = CaseWorkspace(load_checkpoint(make_tiny_checkpoint(tmp_path / "ckpt")), tta=False)
    a, b = tiny_case(tmp_path / "data", "LogA", seed=1), tiny_case(tmp_path / "data", "LogB", seed=2)
    ws.load(a)
    ws.segment()
    ws.load(b)
    assert _loads(ws) == [str(b)] and [e["tool"] for e in ws.log.entries] == ["load"]
    ws.load(b)  # the case already held: no new call, the log is kept
    assert len(ws.log.entries) == 1
    held = ws.log
    with pytest.raises(MedBrainError):
        ws.load(tmp_path / "data" / "missing")
    assert ws.log is held and ws.case.case_id == "LogB" and ws.facts["case"]["case_id"] == "LogB"


def test_listener_hears_each_tool_start_and_the_segmentation_slices(tmp_path: Path):
    heard: list[tuple[str, int | None, int | None]] = []
    ws = CaseWorkspace(load_checkpoint(make_tiny_checkpoint(tmp_path / "ckpt")), tta=False)
    ws.log.listener = lambda tool, done, total: heard.append((tool, done, total))
    ws.load(tiny_case(tmp_path / "data", "Listen", seed=3))
    ws.segment()
    ws.measure()
    starts = [tool for tool, done, total in heard if done is None]
    assert starts == ["load", "segment", "measure"]
    slices = [(done, total) for tool, done, total in heard if tool == "segment" and done is not None]
    assert slices, "segmentation reported no slice progress"
    assert all(0 < done <= total for done, total in slices)
    assert [d for d, _ in slices] == sorted(d for d, _ in slices)  # progress only moves forward
    assert slices[-1][0] == slices[-1][1]  # and ends complete


def test_a_failing_listener_never_breaks_the_analysis(tmp_path: Path):
    def broken(tool, done, total):
        raise RuntimeError("display gone")

    ws = CaseWorkspace(load_checkpoint(make_tiny_checkpoint(tmp_path / "ckpt")), tta=False)
    ws.log.listener = broken
    ws.load(tiny_case(tmp_path / "data", "Broken", seed=4))
    ws.segment()
    assert [e["tool"] for e in ws.log.entries] == ["load", "segment"] and all(e["ok"] for e in ws.log.entries)
