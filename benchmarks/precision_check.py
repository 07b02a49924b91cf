"""bf16 vs fp32 inference on the CPU: Dice against the truth, agreement, and time per case, side by side.

The same model segments each case twice in one process, once in fp32 and once under bf16
autocast with channels-last tensors (what ``--precision auto`` picks on CPUs with native
bf16). Prints per-region Dice of both, the largest per-case change, the Dice between the two
label maps, and the median inference time of each.

    python benchmarks/precision_check.py --data ../shared/data/brats2018 --threads 2 [--limit 9]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
from rich.console import Console
from rich.table import Table

from medbrain.data.discovery import find_cases
from medbrain.data.loading import load_case
from medbrain.data.preprocessing import preprocess
from medbrain.labels import REGIONS, region_masks
from medbrain.metrics import dice
from medbrain.model.checkpoint import load_checkpoint
from medbrain.model.default import resolve_checkpoint
from medbrain.model.inference import PostProcessing, segment_preprocessed

MODES = ("fp32", "bf16")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True, type=Path)
    ap.add_argument("--checkpoint", type=Path, default=None, help="Default: the shipped model.")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--limit", type=int, default=0, help="First N cases only (0: all).")
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/precision_check.json"))
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    ckpt = load_checkpoint(resolve_checkpoint(args.checkpoint))
    post = PostProcessing(**ckpt.metadata.get("postprocessing", {}))
    cases = find_cases(args.data)
    cases = cases[: args.limit] if args.limit else cases
    rows = []
    for files in cases:
        case = load_case(files)
        prep = preprocess(case)
        truth = region_masks(case.label)
        row: dict = {"case_id": case.case_id}
        labels = {}
        for mode in MODES:
            start = time.perf_counter()
            pred = segment_preprocessed(ckpt.model, prep, post=post, precision=mode)
            row[f"seconds_{mode}"] = time.perf_counter() - start
            labels[mode] = region_masks(pred.label)
            for r in REGIONS:
                row[f"dice_{r}_{mode}"] = dice(labels[mode][r], truth[r])
        for r in REGIONS:
            row[f"agreement_{r}"] = dice(labels["fp32"][r], labels["bf16"][r])
        rows.append(row)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(rows, indent=1))
    table = Table(title=f"fp32 vs bf16 autocast + channels-last, {len(rows)} cases, {args.threads} threads")
    for col in ("region", "Dice fp32 (mean)", "Dice bf16 (mean)", "mean change", "largest |change| on a case",
                "fp32-vs-bf16 Dice (min)"):
        table.add_column(col, justify="right")
    for r in REGIONS:
        a = np.array([x[f"dice_{r}_fp32"] for x in rows])
        b = np.array([x[f"dice_{r}_bf16"] for x in rows])
        agree = np.array([x[f"agreement_{r}"] for x in rows])
        table.add_row(r, f"{a.mean():.4f}", f"{b.mean():.4f}", f"{(b - a).mean():+.4f}", f"{np.abs(b - a).max():.4f}",
                      f"{agree.min():.4f}")
    console = Console()
    console.print(table)
    speed = Table(title="Inference time per case (preprocessed input, no TTA)")
    for col in ("precision", "median (s)", "min (s)", "max (s)"):
        speed.add_column(col, justify="right")
    for mode in MODES:
        t = np.array([x[f"seconds_{mode}"] for x in rows])
        speed.add_row(mode, f"{np.median(t):.2f}", f"{t.min():.2f}", f"{t.max():.2f}")
    console.print(speed)


if __name__ == "__main__":
    main()
