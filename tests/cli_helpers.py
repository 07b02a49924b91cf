"""Helpers of the CLI fault tests: a tiny checkpoint, tiny cases, snapshots of output trees."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import torch
from typer.testing import CliRunner

from medbrain.cli import app
from medbrain.data import make_synthetic_case
from medbrain.model.checkpoint import save_checkpoint
from medbrain.model.config import ModelConfig
from medbrain.model.hybrid import HybridUNetPlusPlus

CLI_SHAPE = (32, 32, 20)  # ~4 s per report on a busy 2-core CPU
ENV = {"COLUMNS": "240", "MEDBRAIN_LLM": "none", "OMP_NUM_THREADS": "1"}


def make_tiny_checkpoint(folder: Path) -> Path:
    torch.manual_seed(0)
    model = HybridUNetPlusPlus(ModelConfig(decoder_channels=(16,) * 5, context=1, transformer=None))
    return save_checkpoint(model, folder / "tiny")


def tiny_case(root: Path, case_id: str, seed: int = 0) -> Path:
    return make_synthetic_case(root, seed=seed, case_id=case_id, shape=CLI_SHAPE)


def invoke(*args: str | Path, input: str | None = None):
    """Run the real `medbrain` app in-process (same error handling as the console script)."""
    return CliRunner(env=ENV).invoke(app, [str(a) for a in args], input=input)


def text_of(result) -> str:
    return " ".join(result.output.split())


def assert_clean(result, code: int, *needles: str) -> str:
    """Exit code as expected, no traceback or stray exception, every needle in the output."""
    out = text_of(result)
    assert result.exit_code == code, out
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    for needle in needles:
        assert needle in out, out
    return out


def snapshot(root: Path) -> dict[str, str]:
    """relative path -> SHA-256 of every file under ``root`` (symlinks not followed)."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and not p.is_symlink()}


def all_output_bytes(root: Path) -> dict[str, bytes]:
    """Every file under ``root``, gzip files decompressed (NIfTI headers become searchable)."""
    out = {}
    for p in sorted(root.rglob("*")):
        if p.is_file():
            data = p.read_bytes()
            out[str(p.relative_to(root))] = gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
    return out
