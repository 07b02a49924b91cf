"""The training CLI lives in medbrain.train.cli: mounted as `medbrain train`, runnable alone."""

from __future__ import annotations

import os
import subprocess
import sys

from medbrain.cli import app
from medbrain.train.cli import app as train_app


def test_medbrain_cli_mounts_the_train_app():
    groups = {g.name: g.typer_instance for g in app.registered_groups}
    assert groups["train"] is train_app
    assert {c.name for c in train_app.registered_commands} == {"prepare", "run", "export"}


def test_python_m_medbrain_train_does_not_import_the_top_level_cli(tmp_path):
    code = ("import runpy, sys\n"
            "sys.argv = ['medbrain.train', '--help']\n"
            "try:\n    runpy.run_module('medbrain.train', run_name='__main__')\n"
            "except SystemExit as exc:\n    assert exc.code == 0, exc.code\n"
            "assert 'medbrain.cli' not in sys.modules\n"
            "print('OK')\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "--cache" in proc.stdout and proc.stdout.rstrip().endswith("OK")


def test_python_m_medbrain_train_errors_are_clean(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "medbrain.train", "--cache", str(tmp_path / "no-cache"),
                           "--out", str(tmp_path / "run")], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "COLUMNS": "240"})
    err = " ".join(proc.stderr.split())
    assert proc.returncode != 0
    assert err.startswith("Error:") and "is not a training cache" in err and "Traceback" not in err
