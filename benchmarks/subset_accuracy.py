"""Expected Dice per sequence subset, from the stored cross-validation rows; optionally into the weights JSON.

The rows come from ``benchmarks/cv_folds.py`` (held-out fold models, a missing sequence
blanked to 0 after z-scoring, as inference does). Per subset and region: the mean over folds
of each fold's mean Dice, the standard deviation over folds, the per-fold means and the
number of cases. ``--write-weights`` stores the table as ``validation.by_sequences`` in the
shipped model's JSON, which is where ``segment``, ``explain`` and ``report`` read the
expected accuracy of a case with missing sequences from.

    python benchmarks/subset_accuracy.py [--steps 2400|800] [--write-weights medbrain/weights/medbrain-hybrid-default.json]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from medbrain.data.discovery import MODALITIES, subset_name
from medbrain.io import atomic_write_json
from medbrain.labels import REGIONS

RESULTS = Path(__file__).parent / "results"
ALL_SUBSETS = ("all", "flair+t1ce", "flair", "t1ce", "t1+t1ce+t2", "t2+flair")
#: Per training budget (steps per fold model): (rows file, subsets taken from it). At 800 steps
#: the all-four row is the original fold models' and the T2 + FLAIR rows come from folds
#: retrained later with the same command and seed; at 2,400 one run measured every subset.
SOURCES: dict[int, list[tuple[str, tuple[str, ...]]]] = {
    2400: [("cv_folds_2400.json", ALL_SUBSETS)],
    800: [("cv_folds.json", ("all", "flair+t1ce", "flair")),
          ("cv_folds_subsets_partial.json", ("t1ce", "t1+t1ce+t2")),
          ("cv_folds_t2flair_folds01.json", ("t2+flair",)),
          ("cv_folds_t2flair_fold2.json", ("t2+flair",))],
}


def subset_key(subset: str) -> str:
    """Canonical name of a cv_folds.py subset ('all', 'flair+t1ce', ...)."""
    return subset_name(MODALITIES if subset == "all" else subset.split("+"))


def load_rows(results: Path = RESULTS, steps: int = 2400) -> list[dict]:
    """The stored held-out rows of the fold models trained for ``steps`` steps."""
    rows: list[dict] = []
    for name, subsets in SOURCES[steps]:
        path = results / name
        if path.is_file():
            rows += [r for r in json.loads(path.read_text()) if r["subset"] in subsets]
    return rows


def subset_table(rows: list[dict]) -> dict[str, dict]:
    """{subset: {"cases", "folds", region: {"mean", "sd", "fold_means"}}} over the rows."""
    table: dict[str, dict] = {}
    for key in sorted({subset_key(r["subset"]) for r in rows}, key=lambda k: (k != "all", -len(k.split("+")), k)):
        sub = [r for r in rows if subset_key(r["subset"]) == key]
        folds = sorted({int(r["fold"]) for r in sub})
        entry: dict = {"cases": len(sub), "folds": folds}
        for region in REGIONS:
            means = [float(np.mean([r[f"dice_{region}"] for r in sub if r["fold"] == f])) for f in folds]
            entry[region] = {"mean": round(float(np.mean(means)), 3), "sd": round(float(np.std(means)), 3),
                             "fold_means": [round(m, 3) for m in means]}
        table[key] = entry
    return table


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--results", type=Path, default=RESULTS)
    ap.add_argument("--steps", type=int, choices=sorted(SOURCES), default=2400,
                    help="Training budget of the fold models whose rows to read (default: 2,400 steps).")
    ap.add_argument("--write-weights", type=Path, default=None, help="Weights JSON to store the table in.")
    args = ap.parse_args()
    table = subset_table(load_rows(args.results, args.steps))
    shown = Table(title=f"Expected Dice by sequences present (held-out fold models, {args.steps} steps; mean ± sd over folds)")
    for col in ("sequences", "cases", "folds", *(f"Dice {r}" for r in REGIONS)):
        shown.add_column(col, justify="right")
    for key, entry in table.items():
        shown.add_row(key, str(entry["cases"]), ",".join(map(str, entry["folds"])),
                      *(f"{entry[r]['mean']:.3f} ± {entry[r]['sd']:.3f}" for r in REGIONS))
    Console().print(shown)
    if args.write_weights:
        meta = json.loads(args.write_weights.read_text())
        meta.setdefault("validation", {})["by_sequences"] = {
            "method": ("3-fold cross-validation over the 27 shared cases (fold models: the shipped recipe at "
                       f"{args.steps} steps); a missing sequence is blanked after z-scoring, as inference does"),
            "command": f"python benchmarks/subset_accuracy.py --steps {args.steps}",
            "subsets": table}
        atomic_write_json(args.write_weights, meta)
        print(f"Wrote validation.by_sequences into {args.write_weights}")


if __name__ == "__main__":
    main()
