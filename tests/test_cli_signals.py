"""Signals and concurrency with real `medbrain report` processes on tiny synthetic cases.

A real SIGINT after the first case, a SIGKILL in the middle of a case and a rerun, and two
processes on one ``--out``. Each process is the installed console script, started through a
small wrapper that resets SIGINT to its default: a background child of a non-interactive
shell inherits SIGINT ignored, and Python keeps an inherited SIG_IGN.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

import pytest

from .cli_helpers import ENV, make_tiny_checkpoint, snapshot, tiny_case

CASES = ("C0", "C1", "C2")
WAIT_S = 150  # generous: the machine may be busy; a normal run takes well under a minute
_RESET_SIGINT = ("import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
                 "os.execvp(sys.argv[1], sys.argv[1:])")


def _medbrain() -> list[str]:
    script = Path(sys.executable).with_name("medbrain")
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-c", "from medbrain.cli import main; main()"]


@pytest.fixture(scope="module")
def setup(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("signals")
    for i, case_id in enumerate(CASES):
        tiny_case(root / "data", case_id, seed=i)
    return {"data": root / "data", "ckpt": make_tiny_checkpoint(root / "ckpt")}


class Run:
    """One `medbrain report --data-dir DATA --out OUT` process; its output goes to a file."""

    def __init__(self, setup: dict[str, Path], out: Path, log: Path):
        self.out, self.log = out, log
        args = ["report", "--data-dir", str(setup["data"]), "--out", str(out), "--checkpoint", str(setup["ckpt"]),
                "--fast", "--no-tta"]
        with open(log, "w") as fh:
            self.proc = subprocess.Popen([sys.executable, "-c", _RESET_SIGINT, *_medbrain(), *args],
                                         stdout=fh, stderr=subprocess.STDOUT, env={**os.environ, **ENV})

    def wait_until(self, condition: Callable[[], bool]) -> None:
        deadline = time.monotonic() + WAIT_S
        while not condition():
            assert self.proc.poll() is None, f"exited early ({self.proc.returncode}): {self.text()}"
            assert time.monotonic() < deadline, f"timed out: {self.text()}"
            time.sleep(0.05)

    def finish(self) -> int:
        return self.proc.wait(timeout=WAIT_S)

    def text(self) -> str:
        return self.log.read_text()

    def flat(self) -> str:
        return " ".join(self.text().split())

    def statuses(self) -> dict[str, str]:
        """case -> status cell, from the summary table (continuation rows have no case)."""
        rows = {}
        for line in self.text().splitlines():
            cells = [c.strip() for c in line.split("│")[1:-1]]
            if len(cells) > 2 and cells[0] and cells[0] != "case":
                rows[cells[0]] = cells[1]
        return rows


def _running(out: Path, case_id: str) -> bool:
    """The case is being worked on: its staging folder exists."""
    return any((out / ".medbrain" / "staging").glob(f"{case_id}.*"))


def _done(out: Path, case_id: str) -> bool:
    return (out / case_id / "report.json").is_file()


def _staging_empty(out: Path) -> bool:
    return not list((out / ".medbrain" / "staging").iterdir())


def _tools(out: Path, case_id: str) -> list[str]:
    return [json.loads(line)["tool"] for line in (out / case_id / "tool_calls.jsonl").read_text().splitlines()]


def _assert_complete(out: Path, case_id: str) -> None:
    doc = json.loads((out / case_id / "report.json").read_text())
    assert doc["case_id"] == case_id
    assert (out / case_id / "report.md").is_file() and (out / case_id / f"{case_id}_pred.nii.gz").is_file()
    tools = _tools(out, case_id)
    assert tools.count("load") == 1 and tools.count("segment") == 1, tools


def test_sigint_after_the_first_case_says_what_finished_and_how_to_resume(setup, tmp_path):
    out = tmp_path / "out"
    run = Run(setup, out, tmp_path / "sigint.log")
    run.wait_until(lambda: _done(out, "C0") and _running(out, "C1"))
    run.proc.send_signal(signal.SIGINT)
    assert run.finish() == 130, run.text()
    text = run.flat()
    assert "Traceback" not in run.text()
    assert "Interrupted (SIGINT). Finished: 1 of 3 (C0)." in text, text
    assert "Stopped while running: C1; nothing of it was written" in text
    assert "Not started: C2." in text
    assert "To resume, run the same command again" in text
    states = run.statuses()
    assert states["C0"] == "ok" and states["C1"].startswith("interrupted") and states["C2"] == "not started", states
    _assert_complete(out, "C0")
    assert not (out / "C1").exists() and not (out / "C2").exists()
    assert _staging_empty(out)


def test_sigkill_mid_case_then_a_rerun_completes_every_case_and_loses_nothing(setup, tmp_path):
    out = tmp_path / "out"
    run = Run(setup, out, tmp_path / "killed.log")
    run.wait_until(lambda: _done(out, "C0") and _running(out, "C1"))
    run.proc.kill()
    assert run.finish() == -signal.SIGKILL
    finished = snapshot(out / "C0")
    assert not _done(out, "C1"), "a killed case must not look complete"
    rerun = Run(setup, out, tmp_path / "rerun.log")
    assert rerun.finish() == 0, rerun.text()
    assert "Traceback" not in rerun.text()
    assert rerun.statuses() == {"C0": "skipped (done; --force to redo)", "C1": "ok", "C2": "ok"}, rerun.statuses()
    for case_id in CASES:
        _assert_complete(out, case_id)
    assert snapshot(out / "C0") == finished, "the case finished before the kill was changed"
    assert _staging_empty(out)


def test_two_processes_on_one_out_never_work_on_the_same_case(setup, tmp_path):
    out = tmp_path / "out"
    runs = [Run(setup, out, tmp_path / f"run{i}.log") for i in (1, 2)]
    codes = [run.finish() for run in runs]
    for run, code in zip(runs, codes):
        assert code in (0, 1), run.text()
        assert "Traceback" not in run.text()
        assert set(run.statuses()) == set(CASES), run.text()
    for case_id in CASES:
        states = [run.statuses()[case_id] for run in runs]
        assert states.count("ok") == 1, f"{case_id} was worked on {states.count('ok')} times: {states}"
        other = next(s for s in states if s != "ok")
        assert other.startswith(("busy", "skipped (done")), other
        _assert_complete(out, case_id)
    for run, code in zip(runs, codes):
        busy = any(s.startswith("busy") for s in run.statuses().values())
        assert code == (1 if busy else 0)
        if busy:
            assert "were being written by another medbrain run" in run.flat()
    assert _staging_empty(out)
