"""Post-processing chosen by cross-validation: small-component clean-up of the fold models' held-out predictions.

Reads the probabilities ``benchmarks/cv_folds.py --save-probs DIR`` kept (each case predicted by
the fold model that never saw it) and scores every setting of :class:`PostProcessing` in a grid
on every case: volume-wise Dice and BraTS-2023 lesion-wise Dice per region. The choice is
honest in two ways: the table shows each setting's mean ± sd over folds, and a nested
estimate picks the best setting on two folds and scores it on the third (so the number
quoted for the chosen setting was not used to choose it). Objective: the mean over WT/TC/ET
of volume-wise and lesion-wise Dice.

    python benchmarks/postprocessing_cv.py --probs runs/cv_probs
    python benchmarks/postprocessing_cv.py --rows benchmarks/results/postprocessing_cv.json  # tables only
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

GRID = {  # every combination; the first run (0-200 / 0-1000) chose its largest values, so the grid reaches further
    "min_et_component_voxels": (0, 50, 100, 200, 400, 800),
    "min_wt_component_voxels": (0, 200, 1000, 3000, 10000),
    "min_et_voxels": (0,),  # 300 changed no case once components are cleaned (first run)
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


def score_grid(probs_dir: Path) -> list[dict]:
    """One row per (case, setting): the case's held-out probabilities post-processed and scored."""
    files = sorted(probs_dir.glob("*.npz"))
    if not files:
        raise SystemExit(f"No .npz files in {probs_dir}: run benchmarks/cv_folds.py --save-probs {probs_dir} first.")
    rows: list[dict] = []
    for f in files:
        z = np.load(f)
        if int(z["truth_outside_crop"]):
            raise SystemExit(f"{f.name}: truth extends outside the brain crop; the cropped scores would be wrong.")
        probs = z["probs"].astype(np.float32) / 255
        spacing = tuple(float(v) for v in z["spacing"])
        truth = {r: truth_lesions(m) for r, m in region_masks(z["truth"]).items()}
        for post in settings_grid():
            rows.append({"case_id": f.stem, "fold": int(z["fold"]), "setting": name(post), **post.to_dict(),
                         **score_case(probs, truth, spacing, post)})
    return rows


def fold_means(rows: list[dict], setting: str, key: str, fold_set: list[int]) -> list[float]:
    """Per fold in ``fold_set``: the mean of ``key`` (or the objective) over that fold's cases."""
    return [float(np.mean([r[key] if key != "objective" else objective(r) for r in rows
                           if r["setting"] == setting and r["fold"] == f])) for f in fold_set]


def nested_choice(rows: list[dict]) -> list[tuple[int, str]]:
    """Per held-out fold: the setting with the best mean objective on the other folds."""
    folds = sorted({r["fold"] for r in rows})
    names = list(dict.fromkeys(r["setting"] for r in rows))
    return [(f, max(names, key=lambda s: np.mean(fold_means(rows, s, "objective", [g for g in folds if g != f]))))
            for f in folds]


def print_tables(rows: list[dict], console: Console) -> None:
    """The grid's best settings (mean ± sd over folds) and the nested choice per held-out fold."""
    folds = sorted({r["fold"] for r in rows})
    names = list(dict.fromkeys(r["setting"] for r in rows))
    n_cases = len({r["case_id"] for r in rows})
    table = Table(title=f"Post-processing on held-out predictions ({n_cases} cases, {len(folds)} folds; mean ± sd over folds)")
    for col in ("setting", *(f"Dice {r}" for r in REGIONS), *(f"lesion-wise {r}" for r in REGIONS), "objective"):
        table.add_column(col, justify="right")
    ranked = sorted(names, key=lambda s: -np.mean(fold_means(rows, s, "objective", folds)))  # stable: mildest first on ties
    for s in [*ranked[:8], *(["none"] if "none" not in ranked[:8] else [])]:
        cells = []
        for key in (*(f"dice_{r}" for r in REGIONS), *(f"lw_dice_{r}" for r in REGIONS), "objective"):
            v = fold_means(rows, s, key, folds)
            cells.append(f"{np.mean(v):.3f}±{np.std(v):.3f}")
        table.add_row(s, *cells)
    console.print(table)
    nested = Table(title="Nested choice: pick on the other folds, score on this one")
    for col in ("held-out fold", "chosen", "objective chosen", "objective none"):
        nested.add_column(col, justify="right")
    for f, chosen in nested_choice(rows):
        nested.add_row(str(f), chosen, f"{fold_means(rows, chosen, 'objective', [f])[0]:.4f}",
                       f"{fold_means(rows, 'none', 'objective', [f])[0]:.4f}")
    console.print(nested)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--probs", type=Path, help="Folder written by cv_folds.py --save-probs.")
    src.add_argument("--rows", type=Path, help="Rows a previous run wrote: print its tables only.")
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/postprocessing_cv.json"))
    args = ap.parse_args()
    if args.rows is not None:
        rows = json.loads(args.rows.read_text())
    else:
        rows = score_grid(args.probs)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(rows, indent=1))
    print_tables(rows, Console(width=200))


if __name__ == "__main__":
    main()
