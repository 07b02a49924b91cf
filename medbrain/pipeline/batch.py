"""Run one piece of work per case into its own output folder; report every case's status.

Every input appears in the result: cases that could not even be resolved (a sequence
missing, outside the data roots) are "failed" with their error, a case another process is
writing is "busy", a finished one is "done" (skipped unless ``force``). SIGINT and SIGTERM
stop the batch between file operations: the case in progress is discarded (nothing of it
is written), the rest are "not started", and the result says so, so the caller can print
what finished and how to resume.
"""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from medbrain.data.discovery import CaseFiles
from medbrain.errors import CaseBusyError, MedBrainError
from medbrain.pipeline.outputs import OutputTree, signals_deferred

OK, DONE, FAILED, BUSY, INTERRUPTED, NOT_STARTED = "ok", "done", "failed", "busy", "interrupted", "not started"


class Terminated(KeyboardInterrupt):
    """SIGTERM, handled like Ctrl-C."""


@dataclass
class BatchItem:
    """One input of a batch: a resolved case (``case_id``) or the error that stopped it."""

    label: str
    path: Path
    case_id: str | None = None
    error: MedBrainError | None = None
    files: CaseFiles | None = None  # the case as discovered, so later steps do not discover it again


@dataclass
class CaseResult:
    item: BatchItem
    status: str
    folder: Path | None = None
    renamed: bool = False
    message: str = ""
    outcome: Any = None

    @property
    def label(self) -> str:
        return self.item.case_id or self.item.label


@dataclass
class BatchResult:
    results: list[CaseResult] = field(default_factory=list)
    interrupted: str | None = None  # "SIGINT" / "SIGTERM" when the batch was stopped

    def count(self, *statuses: str) -> int:
        return sum(r.status in statuses for r in self.results)

    @property
    def exit_code(self) -> int:
        if self.interrupted:
            return 143 if self.interrupted == "SIGTERM" else 130
        return 1 if self.count(FAILED, BUSY) else 0


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """Turn SIGTERM into :class:`Terminated` while the batch runs (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        raise Terminated()

    old = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


def _run_one(tree: OutputTree, item: BatchItem, name: str, work: Callable[[BatchItem, Path], Any],
             force: bool, progress: dict[str, Any]) -> CaseResult:
    try:
        case = tree.claim(item.case_id or item.label, item.path, name)
    except CaseBusyError as exc:
        return CaseResult(item, BUSY, message=str(exc))
    progress["case"] = case
    try:
        if case.done and not force:
            return CaseResult(item, DONE, case.folder, case.renamed)
        staging = tree.staging(case)
        try:
            outcome = work(item, staging)
            with signals_deferred():  # a signal during the commit lands after it is recorded
                tree.commit(case, staging)
                progress["committed"] = outcome
        finally:
            tree.discard(staging)
        return CaseResult(item, OK, case.folder, case.renamed, outcome=outcome)
    finally:
        case.lock.release()


def _stopped(rest: list[BatchItem], progress: dict[str, Any]) -> list[CaseResult]:
    """Results of the items a signal stopped: the one in progress (finished just before the
    signal, or discarded) and the rest "not started"."""
    case, current = progress.get("case"), progress.get("item") is rest[0]
    if current and "committed" in progress and case is not None:  # it finished just before the signal
        first = CaseResult(rest[0], OK, case.folder, case.renamed, outcome=progress["committed"])
    elif current and rest[0].error is None:
        first = CaseResult(rest[0], INTERRUPTED, message="stopped while running; nothing of it was written")
    else:  # the signal came between two cases
        first = CaseResult(rest[0], FAILED if rest[0].error else NOT_STARTED,
                           message=str(rest[0].error or ""))
    return [first, *(CaseResult(it, NOT_STARTED) for it in rest[1:])]


def run_batch(items: list[BatchItem], tree: OutputTree, work: Callable[[BatchItem, Path], Any], *,
              force: bool = False, on_start: Callable[[BatchItem], None] | None = None,
              on_done: Callable[[CaseResult], None] | None = None) -> BatchResult:
    """Run ``work(item, staging_folder)`` for each resolved item; never raises for one case.

    ``work`` writes its files into the staging folder; they are committed into the case's
    own folder only when it returns. Any exception of one case is that case's failure.
    """
    result = BatchResult()
    resolved = [it for it in items if it.error is None and it.case_id is not None]
    names = dict(zip(map(id, resolved), OutputTree.plan([(it.case_id, it.path) for it in resolved])))
    progress: dict[str, Any] = {}
    with _sigterm_as_interrupt():
        try:
            for item in items:
                progress.clear()
                progress["item"] = item
                if item.error is not None or item.case_id is None:
                    res = CaseResult(item, FAILED, message=str(item.error or "unresolved case"))
                else:
                    if on_start:
                        on_start(item)
                    try:
                        res = _run_one(tree, item, names[id(item)], work, force, progress)
                    except KeyboardInterrupt:
                        raise
                    except MedBrainError as exc:
                        res = CaseResult(item, FAILED, message=str(exc))
                    except Exception as exc:  # one bad case must not stop the batch
                        res = CaseResult(item, FAILED, message=f"unexpected {type(exc).__name__}: {exc}")
                result.results.append(res)
                if on_done:
                    on_done(res)
        except KeyboardInterrupt as exc:
            result.interrupted = "SIGTERM" if isinstance(exc, Terminated) else "SIGINT"
            rest = items[len(result.results):]
            if rest:
                result.results += _stopped(rest, progress)
    return result


def run_single(tree: OutputTree, case_id: str, path: str | Path, work: Callable[[Path], Any]) -> tuple[Path, Any]:
    """One case into ``tree`` outside a batch (e.g. chat's /report): locked, staged, committed.

    Raises CaseBusyError when another process is writing it. Returns (folder, outcome).
    """
    case = tree.claim(case_id, Path(path))
    try:
        staging = tree.staging(case)
        try:
            outcome = work(staging)
            tree.commit(case, staging)
        finally:
            tree.discard(staging)
        return case.folder, outcome
    finally:
        case.lock.release()
