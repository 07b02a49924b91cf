"""Case locks: exclusive across processes, released by the kernel when the holder dies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from medbrain.errors import CaseBusyError
from medbrain.pipeline.locks import CaseLock

HOLDER = ("import fcntl, os, sys, time; fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT); "
          "fcntl.flock(fd, fcntl.LOCK_EX); os.ftruncate(fd, 0); os.write(fd, b'%d' % os.getpid()); "
          "print('locked', flush=True); time.sleep(120)")


def test_second_holder_is_refused_and_named(tmp_path):
    path = tmp_path / "case.lock"
    with CaseLock(path, what="case X"):
        other = CaseLock(path, what="case X")
        assert not other.acquire()
        with pytest.raises(CaseBusyError, match=rf"process {os.getpid()}.*case X"):
            with other:
                pass
    assert CaseLock(path).acquire(), "released on exit"
    assert path.read_text() != ""


def test_lock_of_a_killed_process_does_not_block(tmp_path):
    path = tmp_path / "case.lock"
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "locked"
        lock = CaseLock(path)
        assert not lock.acquire(), "held by a live process"
        assert lock.holder() == proc.pid
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        assert lock.holder() == proc.pid, "the dead holder's pid is still in the file"
        assert lock.acquire(), "a stale lock file must not block"
        assert lock.holder() == os.getpid()
        lock.release()
    finally:
        proc.kill()
        proc.wait()
