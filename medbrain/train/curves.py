"""Learning-curve PNG from the JSONL metrics log."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def plot_curves(log_path: str | Path, out_path: str | Path) -> Path:
    """Plot train/val loss and validation Dice per region against epochs."""
    rows = [json.loads(line) for line in Path(log_path).read_text().splitlines() if line.strip()]
    epochs = [r["epoch"] for r in rows]
    val = [r for r in rows if "val_loss" in r]  # validation runs every `val_every` epochs
    val_epochs = [r["epoch"] for r in val]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    ax1.plot(epochs, [r["train_loss"] for r in rows], label="train loss")
    ax1.plot(val_epochs, [r["val_loss"] for r in val], "o-", label="validation loss")
    ax1.set_xlabel("epoch")
    ax1.set_ylabel("loss")
    ax1.legend()
    for region in ("WT", "TC", "ET"):
        ax2.plot(val_epochs, [r[f"val_dice_{region}"] for r in val], "o-", label=f"Dice {region}")
    ax2.plot(val_epochs, [r["val_dice_mean"] for r in val], "k--", label="mean")
    ax2.set_xlabel("epoch")
    ax2.set_ylabel("validation Dice")
    ax2.set_ylim(0, 1)
    ax2.legend()
    fig.tight_layout()
    out_path = Path(out_path)
    fig.savefig(out_path, dpi=100)
    plt.close(fig)
    return out_path
