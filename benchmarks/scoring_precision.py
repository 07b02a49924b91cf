"""bf16 vs fp32 scoring of the no-gradient explanation passes (SLICE, deletion/insertion curves),
side by side on real cases: what changes in the maps, the scores and the verdicts, and the time.

For each case the shipped model segments it (no TTA), the WT target is fixed on the largest
tumour slice, Grad-CAM, IG and attention are computed once (float32, gradients), and then SLICE
(fast-budget settings) and the faithfulness curves of all four maps run twice: in fp32 and in
bf16 (what the workspace picks on a CPU with native bf16). Both SLICE maps are scored by the
same curves, so the comparison isolates the scoring precision.

    python benchmarks/scoring_precision.py --data ../shared/data/brats2018 --threads 2 --limit 6
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
from scipy.stats import spearmanr

from medbrain.data.discovery import find_cases
from medbrain.model.checkpoint import load_checkpoint
from medbrain.model.default import resolve_checkpoint
from medbrain.pipeline.workspace import CaseWorkspace
from medbrain.tools.budget import budget_settings
from medbrain.tools.evaluation import run_method
from medbrain.tools.faithfulness import IMPUTATIONS, faithfulness

PRECISIONS = ("fp32", "bf16")
GRADIENT_METHODS = ("gradcam", "integrated_gradients", "attention")


def one_case(ws: CaseWorkspace, files) -> dict:
    """SLICE and curves in both precisions on the case's largest WT slice."""
    ws.load(next(iter(files.images.values())).parent, files)
    ws.segment()
    z = ws.crop_z(ws.default_slice("WT"))
    inp, target = ws.target("WT", z)
    mask = inp.unpad(target.mask.cpu().numpy())
    fast = budget_settings("fast")
    maps = {m: run_method(ws.model, inp, "WT", m, fast[m], mask).map for m in GRADIENT_METHODS}
    row: dict = {"case": files.case_id, "slice": ws.full_z(z)}
    slices, faiths = {}, {}
    for p in PRECISIONS:
        start = time.perf_counter()
        slices[p] = run_method(ws.model, inp, "WT", "slice", {**fast["slice"], "seed": 0, "precision": p}, mask)
        row[f"slice_s_{p}"] = time.perf_counter() - start
    for p in PRECISIONS:
        start = time.perf_counter()
        faiths[p] = faithfulness(target, inp, {**maps, "slice": slices["fp32"].map}, seed=0,
                                 **{**fast["faithfulness"], "precision": p})
        row[f"curves_s_{p}"] = time.perf_counter() - start
    a, b = slices["fp32"], slices["bf16"]
    row["slice_map_spearman"] = float(spearmanr(a.map.ravel(), b.map.ravel()).statistic)
    row["slice_same_retained"] = bool(np.array_equal(a.retained, b.retained))
    row["slice_same_signs"] = bool(np.array_equal(np.sign(a.coefficients), np.sign(b.coefficients)))
    row["slice_same_sigma"] = bool(a.sigma == b.sigma)
    f32, f16 = faiths["fp32"], faiths["bf16"]
    diffs, same = [], True
    for m in f32.maps:
        for imp in IMPUTATIONS:
            if imp in f32.maps[m] and imp in f16.maps[m]:
                diffs.append(abs(f32.maps[m][imp].score - f16.maps[m][imp].score))
                same &= f32.beats_random(m, imp) == f16.beats_random(m, imp)
    row["curve_score_max_abs_diff"] = float(max(diffs)) if diffs else None
    row["same_beats_random"] = bool(same)
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True, type=Path)
    ap.add_argument("--checkpoint", type=Path, default=None)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--limit", type=int, default=6)
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/scoring_precision.json"))
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    ws = CaseWorkspace(load_checkpoint(resolve_checkpoint(args.checkpoint)), tta=False)
    cases = find_cases(args.data)[: args.limit or None]
    rows = [one_case(ws.fresh(), files) for files in cases]
    table = Table(title=f"Scoring precision, {len(rows)} cases, WT, fast settings, CPU {args.threads} threads")
    for col in ("case", "SLICE s fp32 / bf16", "curves s fp32 / bf16", "SLICE map Spearman",
                "same superpixels / signs / blur", "max |score diff|", "same beats-random"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["case"], f"{r['slice_s_fp32']:.1f} / {r['slice_s_bf16']:.1f}",
                      f"{r['curves_s_fp32']:.1f} / {r['curves_s_bf16']:.1f}", f"{r['slice_map_spearman']:.4f}",
                      f"{r['slice_same_retained']} / {r['slice_same_signs']} / {r['slice_same_sigma']}",
                      f"{r['curve_score_max_abs_diff']:.4f}", str(r["same_beats_random"]))
    med = {k: float(np.median([r[k] for r in rows])) for k in ("slice_s_fp32", "slice_s_bf16", "curves_s_fp32",
                                                                "curves_s_bf16")}
    table.add_row("median", f"{med['slice_s_fp32']:.1f} / {med['slice_s_bf16']:.1f}",
                  f"{med['curves_s_fp32']:.1f} / {med['curves_s_bf16']:.1f}",
                  f"min {min(r['slice_map_spearman'] for r in rows):.4f}", "",
                  f"max {max(r['curve_score_max_abs_diff'] for r in rows):.4f}",
                  f"{sum(r['same_beats_random'] for r in rows)}/{len(rows)}")
    Console(width=170).print(table)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"threads": args.threads, "cases": rows, "median_seconds": med}, indent=1))


if __name__ == "__main__":
    main()
