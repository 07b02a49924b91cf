"""Learning curves with validation every few epochs (rows without validation numbers)."""

from __future__ import annotations

import json

from medbrain.train.curves import plot_curves


def test_curves_with_sparse_validation(tmp_path):
    rows = [{"epoch": 1, "train_loss": 0.9},
            {"epoch": 2, "train_loss": 0.8, "val_loss": 0.7, "val_dice_WT": 0.5, "val_dice_TC": 0.4,
             "val_dice_ET": 0.3, "val_dice_mean": 0.4},
            {"epoch": 3, "train_loss": 0.7}]
    log = tmp_path / "metrics.jsonl"
    log.write_text("\n".join(json.dumps(r) for r in rows))
    out = plot_curves(log, tmp_path / "curves.png")
    assert out.stat().st_size > 5000
