"""A lock per case output, so two medbrain processes never work on the same case.

``fcntl.flock`` on a lock file: the kernel releases it when the holder exits, however it
exits (SIGKILL included), so a lock file left by a killed run never blocks the next one.
The holder's pid is written into the file, only to name it in messages. Where ``fcntl``
is missing (Windows) the file is created exclusively and a pid that is no longer alive
marks it stale.
"""

from __future__ import annotations

import os
from pathlib import Path
from types import TracebackType

from medbrain.errors import CaseBusyError

try:
    import fcntl
except ImportError:  # pragma: no cover - non-POSIX
    fcntl = None  # type: ignore[assignment]


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class CaseLock:
    """Non-blocking exclusive lock on ``path``; ``with CaseLock(p):`` raises CaseBusyError."""

    def __init__(self, path: str | Path, what: str = "this case"):
        self.path = Path(path)
        self.what = what
        self._fd: int | None = None

    def holder(self) -> int | None:
        """The pid written by the current (or last) holder, if any."""
        try:
            text = self.path.read_text().strip()
        except OSError:
            return None
        return int(text) if text.isdigit() else None

    def acquire(self) -> bool:
        """Take the lock if free; False if another process holds it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if fcntl is None:  # pragma: no cover - non-POSIX fallback
            return self._acquire_pidfile()
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return True

    def _acquire_pidfile(self) -> bool:  # pragma: no cover - non-POSIX fallback
        for _ in range(2):
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                pid = self.holder()
                if pid is not None and pid != os.getpid() and _pid_alive(pid):
                    return False
                self.path.unlink(missing_ok=True)  # stale: its holder is gone
                continue
            os.write(fd, f"{os.getpid()}\n".encode())
            self._fd = fd
            return True
        return False

    def release(self) -> None:
        """Release the lock (idempotent); the pid is cleared."""
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            os.ftruncate(fd, 0)
        finally:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
            if fcntl is None:  # pragma: no cover
                self.path.unlink(missing_ok=True)

    @property
    def held(self) -> bool:
        return self._fd is not None

    def busy_error(self) -> CaseBusyError:
        pid = self.holder()
        who = f"process {pid}" if pid else "another process"
        return CaseBusyError(f"Another medbrain run ({who}) is writing {self.what} right now; it was "
                             "left to that run. Fix: wait for it to finish, then rerun to pick up "
                             "whatever it did not finish.")

    def __enter__(self) -> "CaseLock":
        if not self.acquire():
            raise self.busy_error()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()
