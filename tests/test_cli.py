"""The command line: real subprocesses, clear errors, exit codes, no tracebacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
import torch

import medbrain
from medbrain.model.checkpoint import save_checkpoint
from medbrain.model.config import ModelConfig
from medbrain.model.hybrid import HybridUNetPlusPlus


def run_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "medbrain.cli", *args], capture_output=True, text=True,
                          env={**os.environ, "COLUMNS": "200", **(env or {})}, timeout=600)


@pytest.fixture(scope="module")
def tiny_checkpoint(tmp_path_factory):
    torch.manual_seed(0)
    model = HybridUNetPlusPlus(ModelConfig(decoder_channels=(16, 16, 16, 16, 16), context=1, transformer=None))
    return save_checkpoint(model, tmp_path_factory.mktemp("ckpt") / "tiny")


def assert_clean_failure(proc: subprocess.CompletedProcess, *needles: str) -> None:
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr + proc.stdout
    text = " ".join((proc.stderr + proc.stdout).split())
    for needle in needles:
        assert needle in text, text


def test_doctor_reports_versions_and_device():
    proc = run_cli("doctor")
    assert proc.returncode == 0, proc.stderr
    for needle in ("torch", "segmentation-models-pytorch", "device", "transformer weights", "default model"):
        assert needle in proc.stdout


def test_segment_writes_label_map_in_input_geometry(tmp_path, real_case_dir, tiny_checkpoint):
    proc = run_cli("segment", str(real_case_dir), "--out", str(tmp_path), "--checkpoint", str(tiny_checkpoint), "--no-tta")
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / "Brats18_2013_11_1_pred.nii.gz"
    ref = nib.load(str(real_case_dir / "Brats18_2013_11_1_flair.nii.gz"))
    img = nib.load(str(out))
    assert img.shape == ref.shape
    np.testing.assert_allclose(img.affine, ref.affine)
    assert set(np.unique(np.asarray(img.dataobj))) <= {0, 1, 2, 4}
    for region in ("NCR", "ED", "ET", "TC", "WT"):
        assert region in proc.stdout


def _case_without(tmp_path, real_case_dir, *missing: str):
    case = tmp_path / "Brats18_2013_11_1"
    case.mkdir()
    for m in ("t1", "t1ce", "t2", "flair"):
        if m not in missing:
            os.symlink((real_case_dir / f"Brats18_2013_11_1_{m}.nii.gz").resolve(), case / f"Brats18_2013_11_1_{m}.nii.gz")
    return case


def test_segment_with_require_all_refuses_a_missing_modality_and_names_it(tmp_path, real_case_dir, tiny_checkpoint):
    case = _case_without(tmp_path, real_case_dir, "t1ce")
    proc = run_cli("segment", str(case), "--checkpoint", str(tiny_checkpoint), "--out", str(tmp_path / "o"),
                   "--require-all")
    assert_clean_failure(proc, "missing modality t1ce", "Brats18_2013_11_1_t1ce.nii.gz", "--require-all")
    assert not (tmp_path / "o").exists() or not any((tmp_path / "o").iterdir())


def test_segment_without_some_sequences_warns_and_states_the_expected_accuracy(tmp_path, real_case_dir):
    case = _case_without(tmp_path, real_case_dir, "t1", "t2")  # FLAIR + T1ce, as some clinics send
    proc = run_cli("segment", str(case), "--out", str(tmp_path / "o"))  # the shipped model: it has the table
    assert proc.returncode == 0, proc.stderr
    text = " ".join(proc.stderr.split())
    assert "has no t1, t2 image" in text and "segmented from t1ce, flair only" in text
    shipped = json.loads((Path(medbrain.__file__).parent / "weights" / "medbrain-hybrid-default.json").read_text())
    wt = shipped["validation"]["by_sequences"]["subsets"]["t1ce+flair"]["WT"]["mean"]  # the table the model ships with
    assert f"Expected Dice with t1ce+flair (cross-validation, 27 held-out cases): WT {wt:.2f}" in text
    pred = np.asarray(nib.load(str(tmp_path / "o" / "Brats18_2013_11_1_pred.nii.gz")).dataobj)
    truth = np.asarray(nib.load(str(real_case_dir / "Brats18_2013_11_1_seg.nii.gz")).dataobj)
    inter = ((pred > 0) & (truth > 0)).sum()
    assert 2 * inter / ((pred > 0).sum() + (truth > 0).sum()) > 0.6  # a real segmentation, not an empty map


def test_segment_errors_are_clean(tmp_path, tiny_checkpoint, real_case_dir):
    assert_clean_failure(run_cli("segment", str(tmp_path / "nope"), "--checkpoint", str(tiny_checkpoint)), "nope")
    pickled = tmp_path / "model.pth"
    pickled.write_bytes(b"\x80\x04K\x01.")
    assert_clean_failure(run_cli("segment", str(real_case_dir), "--checkpoint", str(pickled)), "pickle")


def test_segment_uses_medbrain_checkpoint_and_names_a_missing_one(real_case_dir, tmp_path):
    missing = tmp_path / "mine.safetensors"
    proc = run_cli("segment", str(real_case_dir), env={"MEDBRAIN_CHECKPOINT": str(missing)})
    assert_clean_failure(proc, "Checkpoint file missing", "mine.safetensors")
