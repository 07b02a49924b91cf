"""Post-processing chosen by cross-validation: small-component clean-up of the fold models' held-out predictions.

Reads the probabilities ``benchmarks/cv_folds.py --save-probs DIR`` kept (each case predicted by
the fold model that never saw it) and scores every setting of :class:`PostProcessing` in a grid
on every case: volume-wise Dice and BraTS-2023 lesion-wise Dice per region. The choice is
honest in two ways: the table shows each setting's mean ± sd over folds, and a nested
estimate picks the best setting on two folds and scores it on the third (so the number
quoted for the chosen setting was not used to choose it). Objective: the mean over WT/TC/ET
of volume-wise and lesion-wise Dice.

    python benchmarks/postprocessing_cv.py --probs runs/cv_probs --threads 2
"""

from __future__ import annotations

import argparse
import itertools
import json
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from medbrain.labels import REGIONS, region_masks
from medbrain.metrics import TruthLesions, dice, lesionwise, truth_lesions
from medbrain.model.inference import PostProcessing, probs_to_label

GRID = {  # one axis at a time around "off", plus the combinations of the useful values
    "min_et_component_voxels": (0, 10, 25, 50, 100, 200),
    "min_wt_component_voxels": (0, 50, 200, 1000),
    "min_et_voxels": (0, 300),
}


def settings_grid() -> list[PostProcessing]:
    """Every combination of the grid's values."""
    keys = list(GRID)
    return [PostProcessing(**dict(zip(keys, values))) for values in itertools.product(*GRID.values())]


def score_case(probs: np.ndarray, truth: dict[str, TruthLesions], spacing: tuple[float, ...],
               post: PostProcessing) -> dict[str, float]:
    """Volume-wise and lesion-wise Dice per region of one post-processed prediction."""
    pred = region_masks(probs_to_label(probs, post))
    out: dict[str, float] = {}
    for r in REGIONS:
        out[f"dice_{r}"] = dice(pred[r], truth[r].truth)
        out[f"lw_dice_{r}"] = lesionwise(pred[r], truth[r], spacing, with_hd95=False)["lw_dice"]
    return out


def objective(row: dict[str, float]) -> float:
    """Mean of volume-wise and lesion-wise Dice over the three regions."""
    return float(np.mean([row[f"{k}_{r}"] for k in ("dice", "lw_dice") for r in REGIONS]))


SHORT = {"min_et_component_voxels": "ET comp", "min_wt_component_voxels": "WT comp", "min_et_voxels": "ET total"}


def name(post: PostProcessing) -> str:
    """E.g. 'ET comp≥25, WT comp≥200'; 'none' when nothing is cleaned."""
    parts = [f"{SHORT[k]}≥{v}" for k, v in post.to_dict().items() if k in SHORT and v]
    return ", ".join(parts) or "none"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--probs", required=True, type=Path, help="Folder written by cv_folds.py --save-probs.")
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/postprocessing_cv.json"))
    args = ap.parse_args()
    files = sorted(args.probs.glob("*.npz"))
    if not files:
        raise SystemExit(f"No .npz files in {args.probs}: run benchmarks/cv_folds.py --save-probs {args.probs} first.")
    console = Console(width=200)
    grid = settings_grid()
    rows: list[dict] = []
    for f in files:
        z = np.load(f)
        if int(z["truth_outside_crop"]):
            raise SystemExit(f"{f.name}: truth extends outside the brain crop; the cropped scores would be wrong.")
        probs = z["probs"].astype(np.float32) / 255
        spacing = tuple(float(v) for v in z["spacing"])
        truth = {r: truth_lesions(m) for r, m in region_masks(z["truth"]).items()}
        for post in grid:
            rows.append({"case_id": f.stem, "fold": int(z["fold"]), "setting": name(post), **post.to_dict(),
                         **score_case(probs, truth, spacing, post)})
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(rows, indent=1))
    folds = sorted({r["fold"] for r in rows})
    names = [name(p) for p in grid]

    def fold_means(setting: str, key: str, fold_set: list[int]) -> list[float]:
        return [float(np.mean([r[key] if key != "objective" else objective(r) for r in rows
                               if r["setting"] == setting and r["fold"] == f])) for f in fold_set]

    table = Table(title=f"Post-processing on held-out predictions ({len(files)} cases, {len(folds)} folds; mean ± sd over folds)")
    for col in ("setting", *(f"Dice {r}" for r in REGIONS), *(f"lesion-wise {r}" for r in REGIONS), "objective"):
        table.add_column(col, justify="right")
    ranked = sorted(names, key=lambda s: -np.mean(fold_means(s, "objective", folds)))  # stable: mildest first on ties
    for s in [*ranked[:8], *(["none"] if "none" not in ranked[:8] else [])]:
        cells = []
        for key in (*(f"dice_{r}" for r in REGIONS), *(f"lw_dice_{r}" for r in REGIONS), "objective"):
            v = fold_means(s, key, folds)
            cells.append(f"{np.mean(v):.3f}±{np.std(v):.3f}")
        table.add_row(s, *cells)
    console.print(table)
    nested = Table(title="Nested choice: pick on the other folds, score on this one")
    for col in ("held-out fold", "chosen", "objective chosen", "objective none"):
        nested.add_column(col, justify="right")
    for f in folds:
        others = [g for g in folds if g != f]
        chosen = max(names, key=lambda s: np.mean(fold_means(s, "objective", others)))
        nested.add_row(str(f), chosen, f"{fold_means(chosen, 'objective', [f])[0]:.4f}",
                       f"{fold_means('none', 'objective', [f])[0]:.4f}")
    console.print(nested)


if __name__ == "__main__":
    main()
