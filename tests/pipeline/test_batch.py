"""The batch runner: every input gets a status; interrupts keep what finished, write nothing else."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from medbrain.errors import MissingModalityError
from medbrain.pipeline.batch import BatchItem, run_batch
from medbrain.pipeline.outputs import OutputTree


def _items(tmp_path: Path, *ids: str) -> list[BatchItem]:
    return [BatchItem(i, tmp_path / "in" / i, i) for i in ids]


def _writer(calls: list[str], fail: str | None = None, stop: str | None = None, sig: int | None = None):
    def work(item: BatchItem, staging: Path) -> str:
        calls.append(item.case_id)
        (staging / "report.md").write_text(item.case_id)
        if item.case_id == fail:
            raise RuntimeError("boom")
        if item.case_id == stop:
            if sig is None:
                raise KeyboardInterrupt
            os.kill(os.getpid(), sig)
        (staging / "report.json").write_text("{}")
        return item.case_id

    return work


def test_every_input_has_a_status_and_failures_do_not_stop_the_batch(tmp_path):
    bad = BatchItem("Broken", tmp_path / "Broken", error=MissingModalityError("missing modality t1ce"))
    items = [*_items(tmp_path, "A", "B"), bad, *_items(tmp_path, "C")]
    calls: list[str] = []
    result = run_batch(items, OutputTree(tmp_path / "out"), _writer(calls, fail="B"))
    assert [(r.label, r.status) for r in result.results] == [("A", "ok"), ("B", "failed"), ("Broken", "failed"),
                                                             ("C", "ok")]
    assert "boom" in result.results[1].message and "t1ce" in result.results[2].message
    assert result.exit_code == 1
    assert not (tmp_path / "out" / "B").exists(), "a failed case writes nothing"
    again = run_batch(_items(tmp_path, "A", "C"), OutputTree(tmp_path / "out"), _writer(calls))
    assert [r.status for r in again.results] == ["done", "done"] and again.exit_code == 0
    forced = run_batch(_items(tmp_path, "A"), OutputTree(tmp_path / "out"), _writer(calls), force=True)
    assert forced.results[0].status == "ok"


def test_interrupt_keeps_finished_cases_and_writes_nothing_of_the_running_one(tmp_path):
    out = tmp_path / "out"
    (out / "B").mkdir(parents=True)
    (out / "B" / "report.md").write_text("earlier")  # written by an earlier run
    calls: list[str] = []
    result = run_batch(_items(tmp_path, "A", "B", "C"), OutputTree(out), _writer(calls, stop="B"))
    assert result.interrupted == "SIGINT" and result.exit_code == 130
    assert [r.status for r in result.results] == ["ok", "interrupted", "not started"]
    assert (out / "A" / "report.json").is_file()
    assert (out / "B" / "report.md").read_text() == "earlier" and not (out / "B" / "report.json").exists()
    assert not list((out / ".medbrain" / "staging").iterdir())
    resumed = run_batch(_items(tmp_path, "A", "B", "C"), OutputTree(out), _writer(calls))
    assert [r.status for r in resumed.results] == ["done", "ok", "ok"]


def test_sigterm_is_handled_like_ctrl_c(tmp_path):
    before = signal.getsignal(signal.SIGTERM)
    result = run_batch(_items(tmp_path, "A", "B"), OutputTree(tmp_path / "out"),
                       _writer([], stop="A", sig=signal.SIGTERM))
    assert result.interrupted == "SIGTERM" and result.exit_code == 143
    assert [r.status for r in result.results] == ["interrupted", "not started"]
    assert signal.getsignal(signal.SIGTERM) is before, "the previous handler is restored"


def test_signal_at_the_end_of_a_commit_keeps_the_case_finished(tmp_path, monkeypatch):
    """A real SIGINT that lands while a case is being committed: the case is reported ok
    (its report is complete), not "interrupted"."""
    tree = OutputTree(tmp_path / "out")
    real_commit = tree.commit

    def commit_then_signal(case, staging):
        real_commit(case, staging)
        os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(tree, "commit", commit_then_signal)
    result = run_batch(_items(tmp_path, "A", "B"), tree, _writer([]))
    assert result.interrupted == "SIGINT"
    assert [r.status for r in result.results] == ["ok", "not started"]
    assert result.results[0].folder == tmp_path / "out" / "A"


def test_signal_between_two_cases_does_not_credit_the_next_one(tmp_path):
    """Ctrl-C after A finished but before B started: B is "not started", not "ok" with A's folder."""

    def on_done(res):
        if res.label == "A":
            raise KeyboardInterrupt

    result = run_batch(_items(tmp_path, "A", "B", "C"), OutputTree(tmp_path / "out"), _writer([]), on_done=on_done)
    assert [r.status for r in result.results] == ["ok", "not started", "not started"]
    assert result.results[1].folder is None and not (tmp_path / "out" / "B").exists()
