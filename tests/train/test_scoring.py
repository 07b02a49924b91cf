"""Tests for medbrain.train.scoring: score prediction files against a tiny truth root."""

from __future__ import annotations

import csv
import json
import zlib
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
from rich.console import Console

from medbrain.errors import CaseNotFoundError, ShapeMismatchError, UnknownLabelError
from medbrain.metrics import HD95_EMPTY, LESION_KEYS, SCORE_KEYS
from medbrain.train.scoring import (
    CSV_NAME,
    JSON_NAME,
    ScoreResult,
    find_predictions,
    score_directories,
    scores_table,
    write_scores,
)

SHAPE = (32, 32, 32)
SPACING = (1.0, 1.0, 2.0)


def save(path: Path, data: np.ndarray, spacing: tuple[float, ...] = SPACING) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nib.save(nib.Nifti1Image(data, np.diag([*spacing, 1.0])), str(path))
    return path


def tumour(offset: int = 0) -> np.ndarray:
    """Internal label map: oedema shell, necrotic core, enhancing rim inside it."""
    lab = np.zeros(SHAPE, np.uint8)
    lab[8:24, 8:24, 8:24] = 2
    lab[12:20, 12:20, 12:20] = 1
    lab[12:20, 12:20, 12:14] = 4
    return np.roll(lab, offset, axis=0)


def brats2018_case(root: Path, case_id: str, label: np.ndarray | None) -> Path:
    folder = root / case_id
    rng = np.random.default_rng(zlib.crc32(case_id.encode()))
    for mod in ("t1", "t1ce", "t2", "flair"):
        save(folder / f"{case_id}_{mod}.nii.gz", rng.uniform(1, 100, SHAPE).astype(np.float32))
    if label is not None:
        save(folder / f"{case_id}_seg.nii.gz", label)
    return folder


@pytest.fixture()
def dataset(tmp_path: Path) -> tuple[Path, Path]:
    truth = tmp_path / "truth"
    preds = tmp_path / "preds"
    brats2018_case(truth, "X_1", tumour())
    brats2018_case(truth, "X_2", tumour())
    brats2018_case(truth, "X_3", tumour())  # no prediction
    brats2018_case(truth, "X_4", None)  # no truth label
    save(preds / "X_1.nii.gz", tumour())  # perfect
    save(preds / "X_2_pred.nii.gz", tumour(offset=2))  # shifted 2 voxels along x (1 mm)
    save(preds / "Y_9_seg.nii.gz", tumour())  # no truth
    return preds, truth


def test_score_directories_rows_and_unmatched(dataset):
    preds, truth = dataset
    result = score_directories(preds, truth)
    assert isinstance(result, ScoreResult)
    assert [r["case_id"] for r in result] == ["X_1", "X_2"]
    assert result.missing_predictions == ["X_3"]
    assert result.unmatched_predictions == ["Y_9"]
    assert result.unlabelled_truth == ["X_4"]
    perfect, shifted = result.rows
    assert set(perfect) == {"case_id", *SCORE_KEYS, *(k for keys in LESION_KEYS.values() for k in keys)}
    assert perfect["lw_dice_WT"] == 1.0 and perfect["missed_WT"] == 0 and perfect["spurious_WT"] == 0
    assert all(perfect[f"dice_{r}"] == 1.0 and perfect[f"hd95_{r}"] == 0.0 for r in ("WT", "TC", "ET"))
    # shift of 2 voxels along axis 0 (1 mm spacing) -> HD95 2 mm; WT dice 2*14/32
    assert shifted["hd95_WT"] == pytest.approx(2.0)
    assert shifted["dice_WT"] == pytest.approx(14 / 16)
    assert result.mean["dice_WT"] == pytest.approx((1 + 14 / 16) / 2)


def test_spacing_comes_from_truth_header(tmp_path):
    truth = tmp_path / "truth"
    preds = tmp_path / "preds"
    brats2018_case(truth, "X_1", tumour())
    # shift along z where the truth spacing is 2 mm; the prediction header says 1 mm (ignored)
    save(preds / "X_1.nii.gz", np.roll(tumour(), 1, axis=2), spacing=(1.0, 1.0, 1.0))
    (row,) = score_directories(preds, truth).rows
    assert row["hd95_WT"] == pytest.approx(2.0)


def test_flat_label_folders_and_conventions(tmp_path):
    truth = tmp_path / "labels"
    preds = tmp_path / "preds"
    internal = tumour()
    as2023 = np.where(internal == 4, 3, internal).astype(np.uint8)
    save(truth / "A_1_seg.nii.gz", internal)  # BraTS 2018 naming -> 0/1/2/4
    save(truth / "BraTS-GLI-00001-000-seg.nii.gz", as2023)  # 2023 naming -> 0/1/2/3
    save(preds / "A_1" / "A_1_pred.nii.gz", internal)  # case-folder prediction
    save(preds / "BraTS-GLI-00001-000.nii.gz", as2023)  # read in the truth's convention
    result = score_directories(preds, truth)
    assert [r["case_id"] for r in result] == ["A_1", "BraTS-GLI-00001-000"]
    assert all(r["dice_ET"] == 1.0 and r["dice_TC"] == 1.0 for r in result)


def test_pred_convention_override(tmp_path):
    truth = tmp_path / "truth"
    preds = tmp_path / "preds"
    brats2018_case(truth, "X_1", tumour())
    internal = tumour()
    msd = np.select([internal == 2, internal == 1, internal == 4], [1, 2, 3], 0).astype(np.uint8)
    save(preds / "X_1.nii.gz", msd)
    (row,) = score_directories(preds, truth, pred_convention="msd").rows
    assert row["dice_NCR"] == 1.0 and row["dice_ED"] == 1.0 and row["dice_ET"] == 1.0
    # read in the truth's convention (brats2018) the value 3 is invalid, and the error names the case
    with pytest.raises(UnknownLabelError, match="X_1"):
        score_directories(preds, truth)


def test_empty_prediction_region_gets_brats_constants(tmp_path):
    truth = tmp_path / "truth"
    preds = tmp_path / "preds"
    brats2018_case(truth, "X_1", tumour())
    pred = tumour()
    pred[pred == 4] = 1
    save(preds / "X_1.nii.gz", pred)
    (row,) = score_directories(preds, truth).rows
    assert row["dice_ET"] == 0.0 and row["hd95_ET"] == HD95_EMPTY
    assert row["dice_TC"] == 1.0


def test_shape_mismatch_names_case(tmp_path):
    truth = tmp_path / "truth"
    preds = tmp_path / "preds"
    brats2018_case(truth, "X_1", tumour())
    save(preds / "X_1.nii.gz", np.zeros((32, 32, 30), np.uint8))
    with pytest.raises(ShapeMismatchError, match="X_1"):
        score_directories(preds, truth)


def test_no_match_raises_clear_error(tmp_path):
    truth = tmp_path / "truth"
    preds = tmp_path / "preds"
    brats2018_case(truth, "X_1", tumour())
    save(preds / "Z_5.nii.gz", tumour())
    with pytest.raises(CaseNotFoundError, match=r"Z_5.*X_1"):
        score_directories(preds, truth)
    with pytest.raises(CaseNotFoundError):
        score_directories(tmp_path / "nope", truth)


def test_duplicate_predictions_rejected(tmp_path):
    save(tmp_path / "X_1.nii.gz", tumour())
    save(tmp_path / "X_1_pred.nii.gz", tumour())
    with pytest.raises(CaseNotFoundError, match="Two predictions for case X_1"):
        find_predictions(tmp_path)


def test_write_scores_csv_and_json(dataset, tmp_path):
    preds, truth = dataset
    result = score_directories(preds, truth)
    out = tmp_path / "out" / "nested"
    csv_path, json_path = write_scores(result, out)
    assert (csv_path.name, json_path.name) == (CSV_NAME, JSON_NAME)
    assert sorted(p.name for p in out.iterdir()) == sorted([CSV_NAME, JSON_NAME])  # no temp files left

    with csv_path.open(newline="") as fh:
        table = list(csv.DictReader(fh))
    assert [r["case_id"] for r in table] == ["X_1", "X_2", "mean"]
    assert list(table[0])[:4] == ["case_id", "dice_WT", "dice_TC", "dice_ET"]
    assert float(table[2]["dice_WT"]) == pytest.approx((1 + 14 / 16) / 2)
    assert float(table[1]["hd95_WT"]) == pytest.approx(2.0)

    payload = json.loads(json_path.read_text())
    assert payload["n_cases"] == 2
    assert [c["case_id"] for c in payload["cases"]] == ["X_1", "X_2"]
    assert payload["mean"]["dice_WT"] == pytest.approx((1 + 14 / 16) / 2)
    assert "case_id" not in payload["mean"]
    assert payload["missing_predictions"] == ["X_3"]
    assert payload["unmatched_predictions"] == ["Y_9"]
    assert payload["unlabelled_truth"] == ["X_4"]

    # plain row lists work too, and a rewrite replaces the files
    write_scores(result.rows[:1], out, missing_predictions=["X_2"])
    payload = json.loads(json_path.read_text())
    assert payload["n_cases"] == 1 and payload["missing_predictions"] == ["X_2"]


def test_scores_table_has_cases_and_bold_mean(dataset):
    preds, truth = dataset
    result = score_directories(preds, truth)
    table = scores_table(result)
    headers = [str(c.header) for c in table.columns]
    assert headers == ["Case", "Dice WT", "Dice TC", "Dice ET", "HD95 WT (mm)", "HD95 TC (mm)", "HD95 ET (mm)",
                       "LW Dice WT", "LW Dice TC", "LW Dice ET", "missed / spurious ET"]
    assert table.row_count == 3
    assert table.rows[-1].style == "bold"
    console = Console(record=True, width=200)
    console.print(table)
    text = console.export_text()
    assert "X_1" in text and "X_2" in text and "mean (n=2)" in text
    assert "0.875" in text and "2.00" in text
