"""Case output folders under one ``--out``: unique per input, locked, committed atomically.

- **Unique names.** A case's folder is its sanitised id. Two inputs that map to one name
  ("Case A" and "Case_A", or one id in two sub-folders) never share it: each name is
  owned by one input (a fingerprint of its resolved path, kept in ``OUT/.medbrain/``), and
  the other input gets ``NAME-<8 hex digits of its fingerprint>``, the same on every run.
- **Locks.** Working on a case holds ``OUT/.medbrain/NAME.lock`` (see :mod:`locks`).
- **Staged commit.** A run writes into ``OUT/.medbrain/staging/...``; only a finished run
  is moved into the case folder, file by file with ``os.replace``, ``report.json`` last
  (the old one is removed first), so a killed or failed run changes nothing that was
  written before and a folder with ``report.json`` is always a complete report.
- **No stale outputs.** Before the new files go in, whatever an earlier run wrote that
  this run does not write (an old ``report.html`` after ``--format md,json``, figures of
  another slice) is removed: the files listed in ``OUT/.medbrain/NAME.files.json``, and the
  known report outputs (:data:`KNOWN_OUTPUTS`) of folders written before that list existed.
  Other files (a user's notes) are left alone.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import tempfile
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from medbrain.errors import OutputError
from medbrain.io import atomic_write_json, ensure_output_dir
from medbrain.pipeline.locks import CaseLock

STATE_DIR = ".medbrain"
DONE_MARKER = "report.json"
STAGING_SKIP = (".work",)
# What a report run writes into a case folder (glob patterns relative to it).
KNOWN_OUTPUTS = ("report.md", "report.html", "report.json", "tool_calls.jsonl", "*_pred.nii.gz", "figures/*")


def safe_name(case_id: str) -> str:
    """A file-system-safe folder name for a case id (letters, digits, ``._-``; at most 80)."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", case_id).strip("._")[:80]
    return name or "case"


def input_key(path: str | Path) -> str:
    """Fingerprint of an input: SHA-256 of its resolved path (the path itself is not stored)."""
    return hashlib.sha256(str(Path(path).expanduser().resolve()).encode()).hexdigest()


def _inside(rel: str) -> bool:
    """A relative path that stays inside its folder (no '..', not absolute)."""
    parts = Path(rel).parts
    return bool(parts) and not Path(rel).is_absolute() and ".." not in parts


def _remove(folder: Path, rel: str) -> None:
    """Remove ``folder/rel`` (a symlink itself, not its target), then its emptied parents."""
    path = folder / rel
    if path.is_dir() and not path.is_symlink():
        return  # only files are listed; a folder here is not ours to remove
    path.unlink(missing_ok=True)
    for parent in path.parents:
        if parent == folder or folder not in parent.parents:
            break
        try:
            parent.rmdir()
        except OSError:
            break


@dataclass
class CaseOutput:
    """One case's claimed, locked output folder."""

    name: str
    folder: Path
    lock: CaseLock
    renamed: bool  # the plain name belonged to another input

    @property
    def done(self) -> bool:
        """A finished report is in the folder (``report.json`` is written last)."""
        return (self.folder / DONE_MARKER).is_file()


@contextmanager
def signals_deferred() -> Iterator[None]:
    """Hold SIGINT/SIGTERM back for a few file renames; one that arrives is raised right after.

    The Python handlers are swapped for one that only notes the signal. (Blocking the signal
    with ``pthread_sigmask`` is not enough: it blocks the calling thread only, and any other
    thread, torch's included, would take the signal at once.) Main thread only; nestable.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending: list[int] = []

    def note(signum: int, frame: object) -> None:
        pending.append(signum)

    old = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        if signal.getsignal(sig) is not None:  # None: a handler not set from Python; leave it
            old[sig] = signal.signal(sig, note)
    try:
        yield
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)
        if pending:
            signal.raise_signal(pending[0])


class OutputTree:
    """The case folders under one output root."""

    def __init__(self, out: str | Path):
        self.out = ensure_output_dir(out)
        self.state = self.out / STATE_DIR
        self.state.mkdir(exist_ok=True)

    # ------------------------------------------------------------------ names
    @staticmethod
    def plan(items: list[tuple[str, Path]]) -> list[str]:
        """Preferred folder names for (case id, input path) pairs, unique within the batch
        (compared case-insensitively, for case-insensitive file systems)."""
        used: set[str] = set()
        names = []
        for case_id, path in items:
            base = safe_name(case_id)
            name = base if base.casefold() not in used else f"{base}-{input_key(path)[:8]}"
            used.add(name.casefold())
            names.append(name)
        return names

    def _owner_file(self, name: str) -> Path:
        return self.state / f"{name}.owner.json"

    def _owner(self, name: str, case_id: str) -> str | None:
        """The input key owning ``name``; legacy folders (no owner file) by their report's id."""
        try:
            return json.loads(self._owner_file(name).read_text())["input_sha256"]
        except (OSError, ValueError, KeyError, TypeError):
            pass
        report = self.out / name / DONE_MARKER
        try:
            legacy_id = json.loads(report.read_text()).get("case_id")
        except (OSError, ValueError, AttributeError):
            return None
        return None if legacy_id == case_id else f"legacy:{legacy_id}"

    def claim(self, case_id: str, path: str | Path, preferred: str | None = None) -> CaseOutput:
        """Lock and claim an output folder for this input (CaseBusyError if another run holds it)."""
        key = input_key(path)
        base = safe_name(case_id)
        candidates = [preferred or base, base, f"{base}-{key[:8]}", f"{base}-{key[:16]}"]
        seen: list[str] = []
        for name in candidates:
            if name in seen:
                continue
            seen.append(name)
            lock = CaseLock(self.state / f"{name}.lock", what=f"the output {self.out / name}")
            lock.__enter__()  # raises CaseBusyError
            owner = self._owner(name, case_id)
            if owner in (None, key):
                if owner is None:
                    atomic_write_json(self._owner_file(name), {"input_sha256": key, "case_id": case_id})
                self._clean_staging(name)
                return CaseOutput(name, self.out / name, lock, renamed=name != base)
            lock.release()
        raise OutputError(f"No free output folder for case {case_id} under {self.out} "
                          f"(tried {', '.join(seen)}). Fix: use another --out.")

    # ------------------------------------------------------------------ staging
    def _staging_root(self) -> Path:
        root = self.state / "staging"
        root.mkdir(exist_ok=True)
        return root

    def _clean_staging(self, name: str) -> None:
        """Remove staging folders a killed run left for ``name`` (we hold its lock)."""
        for old in self._staging_root().glob(f"{name}.*"):
            shutil.rmtree(old, ignore_errors=True)

    def staging(self, case: CaseOutput) -> Path:
        """A new, empty staging folder for one run on ``case``."""
        return Path(tempfile.mkdtemp(dir=self._staging_root(), prefix=f"{case.name}.{os.getpid()}."))

    def _manifest(self, name: str) -> Path:
        return self.state / f"{name}.files.json"

    def _earlier_outputs(self, case: CaseOutput) -> set[str]:
        """Relative paths of the files earlier runs wrote into the case folder (still there)."""
        try:
            listed = [str(r) for r in json.loads(self._manifest(case.name).read_text())]
        except (OSError, ValueError, TypeError):
            listed = []
        known = {str(p.relative_to(case.folder)) for pattern in KNOWN_OUTPUTS for p in case.folder.glob(pattern)}
        return {rel for rel in {*listed, *known} if _inside(rel) and os.path.lexists(case.folder / rel)}

    def commit(self, case: CaseOutput, staging: Path) -> None:
        """Move a finished run's files into the case folder, ``report.json`` last, after
        removing what earlier runs wrote there that this run does not write."""
        files = sorted((p for p in staging.rglob("*") if p.is_file()
                        and not any(part in STAGING_SKIP for part in p.relative_to(staging).parts)),
                       key=lambda p: (p.name == DONE_MARKER, str(p)))
        new = {str(p.relative_to(staging)) for p in files}
        with signals_deferred():
            case.folder.mkdir(parents=True, exist_ok=True)
            (case.folder / DONE_MARKER).unlink(missing_ok=True)
            stale = self._earlier_outputs(case) - new
            # listed before anything moves: a run killed from here on leaves nothing unlisted
            atomic_write_json(self._manifest(case.name), sorted(stale | new))
            for rel in sorted(stale, reverse=True):
                _remove(case.folder, rel)
            for src in files:
                dest = case.folder / src.relative_to(staging)
                dest.parent.mkdir(parents=True, exist_ok=True)
                os.replace(src, dest)
        shutil.rmtree(staging, ignore_errors=True)

    @staticmethod
    def discard(staging: Path) -> None:
        shutil.rmtree(staging, ignore_errors=True)
