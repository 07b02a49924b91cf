"""Cross-validation table of fold models: per-region Dice on each fold's held-out cases, per sequence subset.

Each ``RUN`` folder comes from ``medbrain train run --folds K --fold k`` (its ``split.json``
lists the held-out cases, its ``best_dice.safetensors`` the model). A missing sequence is
blanked to 0 (the z-scored mean) after preprocessing, exactly as inference does for a case
that lacks it. Prints mean and standard deviation over folds and every case's Dice.
``--save-probs DIR`` keeps each held-out case's all-sequence probabilities (uint8, brain crop)
with the cropped truth for ``benchmarks/postprocessing_cv.py``.

    python benchmarks/cv_folds.py --data ../shared/data/brats2018 --runs runs/fold0,runs/fold1,runs/fold2 \
        --subsets all,flair+t1ce,flair,t1ce,t1+t1ce+t2,t2+flair --threads 2
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
from medbrain.metrics import score_labels
from medbrain.model.checkpoint import load_checkpoint
from medbrain.model.inference import PostProcessing, SliceSchedule, predict_slices, probs_to_label

REGIONS = ("WT", "TC", "ET")
SEQUENCES = ("t1", "t1ce", "t2", "flair")


def keep_mask(subset: str) -> list[bool]:
    names = SEQUENCES if subset == "all" else tuple(subset.split("+"))
    return [s in names for s in SEQUENCES]


def run_fold(run: Path, position: int) -> int:
    """The fold a run held out (its train_config.json), else its position in --runs."""
    config = run / "train_config.json"
    return int(json.loads(config.read_text()).get("fold", position)) if config.is_file() else position


def save_probs(path: Path, probs: np.ndarray, truth_crop: np.ndarray, fold: int,
               spacing: tuple[float, ...], truth_voxels: int) -> None:
    """One held-out case's probabilities (uint8, 1/255 steps) and cropped truth, for post-processing CV."""
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, probs=np.round(probs * 255).astype(np.uint8), truth=truth_crop.astype(np.uint8),
                        fold=fold, spacing=np.asarray(spacing, dtype=np.float64),
                        truth_outside_crop=truth_voxels - int((truth_crop > 0).sum()))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True, type=Path)
    ap.add_argument("--runs", required=True, help="Comma-separated fold run folders.")
    ap.add_argument("--subsets", default="all")
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--precision", default="auto", help="auto (bf16 where native, as the CLI), fp32 or bf16.")
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/cv_folds.json"))
    ap.add_argument("--slices", default="all", help="all, or tumour[:STRIDE] (SliceSchedule: sparse pass, then near the tumour).")
    ap.add_argument("--save-probs", type=Path, default=None, help="Folder for the all-sequence probabilities.")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    subsets = args.subsets.split(",")
    mode, _, stride = args.slices.partition(":")
    schedule = SliceSchedule(mode=mode, **({"stride": int(stride)} if stride else {}))
    rows: list[dict] = []
    models = [(run_fold(Path(run), i), load_checkpoint(Path(run) / "best_dice.safetensors"),
               json.loads((Path(run) / "split.json").read_text())["val"]) for i, run in enumerate(args.runs.split(","))]
    for subset in subsets:  # every case with all sequences first, then each subset
        for fold, ckpt, val_cases in models:
            for case_id in val_cases:
                case = load_case(resolve_case(args.data / case_id))
                prep = preprocess(case)
                images = prep.images * np.array(keep_mask(subset), dtype=np.float32)[:, None, None, None]
                start = time.perf_counter()
                probs = predict_slices(ckpt.model, images, precision=args.precision, schedule=schedule) * prep.mask[None]
                if args.save_probs and subset == "all":
                    save_probs(args.save_probs / f"{case_id}.npz", probs, case.label[prep.box.slices], fold,
                               case.spacing, int((case.label > 0).sum()))
                label = uncrop(probs_to_label(probs, PostProcessing()), prep.box).astype(np.uint8)
                s = score_labels(label, case.label, case.spacing)
                rows.append({"fold": fold, "case_id": case_id, "subset": subset, "slices": args.slices, "seconds": time.perf_counter() - start,
                             "et_truth_ml": float((case.label == 4).sum() * np.prod(case.spacing) / 1000),
                             **{f"dice_{r}": s[f"dice_{r}"] for r in REGIONS}})
                args.out.parent.mkdir(parents=True, exist_ok=True)
                args.out.write_text(json.dumps(rows, indent=1))
    table = Table(title=f"{len(args.runs.split(','))}-fold cross-validation (mean ± sd over folds of the fold means)")
    for col in ("sequences", "cases", *(f"Dice {r}" for r in REGIONS)):
        table.add_column(col, justify="right")
    for subset in subsets:
        sub = [r for r in rows if r["subset"] == subset]
        if not sub:
            continue
        cells = []
        for region in REGIONS:
            folds = [np.mean([r[f"dice_{region}"] for r in sub if r["fold"] == f]) for f in sorted({r["fold"] for r in sub})]
            cells.append(f"{np.mean(folds):.3f} ± {np.std(folds):.3f}")
        table.add_row(subset, str(len(sub)), *cells)
    Console().print(table)
    per_case = Table(title="Per case Dice, all sequences (held-out fold model)")
    for col in ("case", "fold", "ET truth (mL)", *REGIONS):
        per_case.add_column(col, justify="right")
    for r in sorted((r for r in rows if r["subset"] == subsets[0]), key=lambda r: r["dice_ET"]):
        per_case.add_row(r["case_id"], str(r["fold"]), f"{r['et_truth_ml']:.1f}", *(f"{r[f'dice_{g}']:.3f}" for g in REGIONS))
    Console().print(per_case)


if __name__ == "__main__":
    main()
