"""Atomic writes and small file helpers, shared by every layer (imports only errors).

Atomic: data goes to a temporary file in the target's folder, is flushed and fsync'd, then
``os.replace``-d over the target, so a reader (or a later run after a crash) sees either
the old file or the complete new one, never half a file.
"""

from __future__ import annotations

import errno
import json
import os
import stat
import tempfile
from pathlib import Path
from typing import Any

from medbrain.errors import FileAccessError, OutputError


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (temp file in the same folder + os.replace)."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return path


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write UTF-8 text atomically."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | Path, obj: Any, *, indent: int | None = 2) -> Path:
    """Write ``obj`` as JSON atomically (non-JSON values via ``str``)."""
    return atomic_write_text(path, json.dumps(obj, indent=indent, default=str) + "\n")


def atomic_write_lines(path: str | Path, records: list[dict[str, Any]]) -> Path:
    """Write one JSON object per line (JSONL) atomically."""
    return atomic_write_text(path, "".join(json.dumps(r, default=str) + "\n" for r in records))


def access_problem(path: str | Path) -> str | None:
    """Why ``path`` cannot be opened as a regular file for reading, or None when it can.

    Names the real problem: missing, broken symlink, symlink loop, a directory, a FIFO or
    device, permission denied.
    """
    p = Path(path)
    try:
        os.lstat(p)
    except FileNotFoundError:
        return "does not exist"
    except PermissionError:
        return "cannot be reached: permission denied on one of its folders"
    except OSError as exc:
        return f"cannot be examined ({exc.strerror or exc})"
    try:
        st = os.stat(p)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "is a symlink loop (the link points, directly or indirectly, to itself)"
        if exc.errno == errno.ENOENT:
            return f"is a broken symlink (it points to {os.readlink(p)}, which does not exist)"
        if exc.errno == errno.EACCES:
            return "cannot be reached: permission denied"
        return f"cannot be examined ({exc.strerror or exc})"
    if stat.S_ISDIR(st.st_mode):
        return "is a directory, not a file"
    if not stat.S_ISREG(st.st_mode):
        kind = "a FIFO (named pipe)" if stat.S_ISFIFO(st.st_mode) else "a socket or device"
        return f"is {kind}, not a regular file"
    try:
        with open(p, "rb"):
            pass
    except PermissionError:
        return "cannot be read: permission denied"
    except OSError as exc:
        return f"cannot be opened ({exc.strerror or exc})"
    return None


_ACCESS_FIX = {
    "permission": "Fix: make it readable by this user (e.g. chmod a+r FILE, or check its owner).",
    "symlink": "Fix: point the symlink at the real file (ln -sf TARGET LINK) or replace it by the file.",
    "directory": "Fix: put the image file itself at this path (a folder named like a NIfTI file "
                 "is not an image).",
    "regular": "Fix: copy the image into a regular file.",
}


def access_fix(problem: str) -> str:
    """A one-sentence fix for a problem returned by :func:`access_problem`."""
    for key, fix in _ACCESS_FIX.items():
        if key in problem:
            return fix
    return "Fix: check the path."


def check_readable_file(path: str | Path, what: str = "file") -> Path:
    """``path`` if it is a readable regular file, else FileAccessError naming the problem."""
    problem = access_problem(path)
    if problem:
        raise FileAccessError(f"The {what} {path} {problem}. {access_fix(problem)}")
    return Path(path)


def list_folder(folder: str | Path) -> list[Path]:
    """Sorted entries of ``folder``; FileAccessError (not a bare OSError) when it cannot be listed."""
    try:
        return sorted(Path(folder).iterdir())
    except PermissionError as exc:
        raise FileAccessError(f"Cannot list the folder {folder}: permission denied. Fix: make it "
                              "readable and searchable by this user (chmod a+rx FOLDER).") from exc
    except NotADirectoryError as exc:
        raise FileAccessError(f"{folder} is not a folder.") from exc
    except OSError as exc:
        raise FileAccessError(f"Cannot list the folder {folder} ({exc.strerror or exc}).") from exc


def ensure_output_dir(path: str | Path, what: str = "--out") -> Path:
    """Create the output folder ``path`` if needed and prove it is writable, before any work.

    Raises OutputError when ``path`` (or a parent) is an existing file, when the folder
    cannot be created, or when a file cannot be created in it.
    """
    p = Path(path).expanduser()
    if p.exists() and not p.is_dir():
        raise OutputError(f"{what} {p} is an existing file, not a folder. Fix: choose a folder "
                          "path (it is created when missing), or move the file away.")
    try:
        p.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError) as exc:
        raise OutputError(f"{what} {p} cannot be created: part of the path is an existing file "
                          f"({exc.filename}). Fix: choose another folder.") from exc
    except OSError as exc:
        raise OutputError(f"{what} {p} cannot be created ({exc.strerror or exc}). Fix: choose a "
                          "folder you can write to.") from exc
    try:
        fd, probe = tempfile.mkstemp(dir=p, prefix=".medbrain-write-test-")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise OutputError(f"{what} {p} is not writable ({exc.strerror or exc}). Fix: choose a "
                          "folder you can write to, or fix its permissions.") from exc
    return p


def check_output_file(path: str | Path, what: str = "output file") -> Path:
    """Refuse an output file path that is an existing directory (checked before the work)."""
    p = Path(path)
    if p.is_dir():
        raise OutputError(f"The {what} {p} already exists as a folder, so it cannot be written. "
                          "Fix: remove or rename that folder, or choose another --out.")
    return p
