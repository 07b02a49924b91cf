"""Validation accuracy of checkpoints side by side: Dice and HD95 per region.

Predicts each case once per (checkpoint, TTA setting) and then varies the post-processing
(the small-ET relabelling threshold) on the same probabilities, so the settings are chosen
on the validation split only. Prints one table and writes JSON.

    python benchmarks/accuracy.py --data ../shared/data/brats2018 \
        --cases Brats18_2013_3_1,Brats18_CBICA_ABM_1,Brats18_TCIA02_370_1 \
        --checkpoint hybrid=runs/hybrid/best_dice.safetensors \
        --checkpoint ablation=runs/ablation/best_dice.safetensors --tta both --min-et 0,100,300
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

from medbrain.data.discovery import resolve_case
from medbrain.data.loading import load_case
from medbrain.data.preprocessing import preprocess, uncrop
from medbrain.metrics import mean_scores, score_labels
from medbrain.model.checkpoint import load_checkpoint
from medbrain.model.inference import PostProcessing, predict_slices, probs_to_label

REGIONS = ("WT", "TC", "ET")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True, type=Path)
    ap.add_argument("--cases", required=True, help="Comma-separated case ids (the validation split).")
    ap.add_argument("--checkpoint", action="append", required=True, help="NAME=PATH (repeat).")
    ap.add_argument("--tta", choices=("off", "on", "both"), default="both")
    ap.add_argument("--min-et", default="0", help="Comma-separated small-ET relabelling thresholds (voxels).")
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/accuracy.json"))
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    ttas = {"off": [False], "on": [True], "both": [False, True]}[args.tta]
    min_ets = [int(v) for v in args.min_et.split(",")]
    cases = [load_case(resolve_case(args.data / c)) for c in args.cases.split(",")]
    preps = [preprocess(c) for c in cases]
    rows = []
    for spec in args.checkpoint:
        name, path = spec.split("=", 1)
        ckpt = load_checkpoint(path)
        for tta in ttas:
            start = time.perf_counter()
            probs = [predict_slices(ckpt.model, p.images, tta=tta) * p.mask[None] for p in preps]
            seconds = (time.perf_counter() - start) / len(cases)
            for min_et in min_ets:
                post = PostProcessing(min_et_voxels=min_et)
                scores = []
                for case, prep, pr in zip(cases, preps, probs):
                    label = uncrop(probs_to_label(pr, post), prep.box).astype(np.uint8)
                    scores.append({"case_id": case.case_id, **score_labels(label, case.label, case.spacing)})
                mean = mean_scores(scores)
                rows.append({"checkpoint": name, "tta": tta, "min_et_voxels": min_et, "seconds_per_case": seconds,
                             "parameters": ckpt.metadata.get("parameters"), "mean": mean, "cases": scores})
    table = Table(title=f"Validation accuracy on {len(cases)} cases (mean)")
    for col in ("checkpoint", "TTA", "min ET", *(f"Dice {r}" for r in REGIONS), *(f"HD95 {r}" for r in REGIONS), "s/case"):
        table.add_column(col, justify="right")
    for r in rows:
        m = r["mean"]
        table.add_row(r["checkpoint"], "on" if r["tta"] else "off", str(r["min_et_voxels"]),
                      *(f"{m[f'dice_{g}']:.3f}" for g in REGIONS), *(f"{m[f'hd95_{g}']:.1f}" for g in REGIONS),
                      f"{r['seconds_per_case']:.1f}")
    Console().print(table)
    per_case = Table(title="Per case Dice (WT/TC/ET)")
    per_case.add_column("setting")
    for case in cases:
        per_case.add_column(case.case_id)
    for r in rows:
        per_case.add_row(f"{r['checkpoint']} tta={'on' if r['tta'] else 'off'} minET={r['min_et_voxels']}",
                         *(" / ".join(f"{s[f'dice_{g}']:.2f}" for g in REGIONS) for s in r["cases"]))
    Console().print(per_case)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(rows, indent=1, default=str))


if __name__ == "__main__":
    main()
