"""XAI quality over validation cases: faithfulness (deletion/insertion against the random and
probability-map controls, two imputations), localisation against ground truth, cascading
randomisation, SLICE consistency across seeds, the seed-free methods' consistency under a left-right
mirror, and how well the confidence levels rank
cases by their true Dice. Every number with a 95% bootstrap interval over the slices.

Held-out cases (each fold's model on its own validation cases, as in cv_folds.py):

    python benchmarks/xai_quality.py --data ../shared/data/brats2018 \
        --folds runs/fold0,runs/fold1,runs/fold2 --cases-per-fold 1 --slices 2 --threads 2

Or one checkpoint on named cases: ``--checkpoint PATH --cases A,B``; ``--rows JSON`` prints the
tables of a stored run. Methods run with the
workspace's ``fast`` budget (what a report runs) unless ``--budget full``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from rich.console import Console
from rich.table import Table
from scipy.stats import spearmanr

from medbrain.data.loading import load_case
from medbrain.data.preprocessing import crop, preprocess
from medbrain.labels import region_masks
from medbrain.metrics import dice
from medbrain.model.checkpoint import load_checkpoint
from medbrain.model.default import resolve_checkpoint
from medbrain.model.inference import PostProcessing, segment_preprocessed
from medbrain.pipeline.workspace import RANDOMISATION_SETTINGS
from medbrain.tools.base import REGIONS
from medbrain.tools.budget import budget_settings
from medbrain.tools.confidence import LEVELS, assess_confidence
from medbrain.tools.evaluation import common_cells, evaluate_slice, evaluation_slices, run_method
from medbrain.tools.method_ranking import bootstrap_mean, rank_methods
from medbrain.tools.randomisation import cascading_randomisation
from medbrain.tools.slice_input import build_target, make_slice_input
from medbrain.tools.mirror_consistency import SEED_FREE, mirror_consistency
from medbrain.tools.slice_stability import slice_consistency

METHODS = ("gradcam", "integrated_gradients", "slice", "attention")
QUICK = RANDOMISATION_SETTINGS


def jobs(args: argparse.Namespace) -> list[tuple[str, list[str], str]]:
    """(checkpoint path, case ids, label) to evaluate."""
    if args.folds:
        out = []
        for run in args.folds.split(","):
            path = Path(run) / "best_dice.safetensors"
            meta = json.loads(path.with_suffix(".json").read_text())
            val = meta["training"]["split"]["val"][: args.cases_per_fold]
            out.append((str(path), val, f"{Path(run).name} (held out)"))
        return out
    ckpt = resolve_checkpoint(args.checkpoint)
    meta = json.loads(Path(ckpt).with_suffix(".json").read_text())
    val = meta.get("training", {}).get("split", {}).get("val") or []
    cases = args.cases.split(",") if args.cases else val
    if not cases:
        raise SystemExit("The checkpoint has no validation split: pass --cases or --folds.")
    seen = [c for c in cases if c not in val]
    return [(str(ckpt), cases, "checkpoint" + (" (some cases seen in training)" if seen else " (held out)"))]


def ece(probs: np.ndarray, truth: np.ndarray, bins: int = 10) -> float | None:
    """Expected calibration error over voxels with p >= 0.05 or in the truth."""
    keep = (probs >= 0.05) | truth
    if not keep.any():
        return None
    p, t = probs[keep], truth[keep].astype(np.float64)
    idx = np.minimum((p * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        sel = idx == b
        if sel.any():
            total += sel.sum() / p.size * abs(p[sel].mean() - t[sel].mean())
    return float(total)


def evaluate_case(model, case_dir: Path, args, plan, stats: dict[str, Any]) -> list:
    case = load_case(case_dir)
    prep = preprocess(case)
    pred = segment_preprocessed(model, prep, post=PostProcessing(), tta=False)
    probs, label = pred.cropped(pred.region_probs), pred.cropped(pred.label)
    truth_all = region_masks(crop(case.label, prep.box))
    predicted = region_masks(label)
    conf = assess_confidence(probs, label)
    for i, r in enumerate(REGIONS):
        rc = conf.regions[r]
        stats["confidence"].append({
            "case": case.case_id, "region": r, "level": rc.level,
            "dice": dice(predicted[r], truth_all[r]), "mass_ratio": rc.outside.get("mass_ratio"),
            "undersegmented": rc.outside.get("likely_undersegmentation"),
            "ece": ece(probs[i], truth_all[r])})
    methods = {m: dict(plan[m]) for m in METHODS if not (m == "attention" and model.bottleneck is None)}
    methods["slice"]["seed"] = args.seed
    records = []
    for r in args.regions.split(","):
        vol = predicted[r]
        if not vol.any():
            continue
        first = int(np.argmax(vol.sum(axis=(0, 1))))
        for k, z in enumerate(evaluation_slices(vol, first, args.slices)):
            inp = make_slice_input(prep.images, z, model.config.context, prep.mask)
            target = build_target(model, inp, r)
            t0 = time.perf_counter()
            rec, maps, _ = evaluate_slice(model, inp, target, r, methods, truth_all[r][..., z],
                                          plan["faithfulness"], seed=args.seed, z=z)
            stats["seconds"].append(time.perf_counter() - t0)
            records.append(rec)
            if k == 0 and r == "WT":
                mask = inp.unpad(target.mask.numpy())
                cells = common_cells(inp)
                explainers = {m: (lambda mdl, m=m: run_method(mdl, inp, r, m, {**methods[m], **QUICK.get(m, {})}, mask).map)
                              for m in methods}
                rnd = cascading_randomisation(model, explainers, cells, inp.brain, seed=args.seed)
                for m in methods:
                    stats["randomisation"].setdefault(m, []).append(rnd.similarity[m][-1]["spearman_abs"])
                    stats["randomisation_signed"].setdefault(m, []).append(rnd.similarity[m][-1]["spearman_pixels_signed"])
                runs = [run_method(model, inp, r, "slice", {**methods["slice"], "seed": args.seed + s}, mask)
                        for s in range(2)]
                stats["slice_consistency"].append(slice_consistency(runs))
                cells_slice = common_cells(inp, runs[0].segments)
                for m in methods:
                    if m in SEED_FREE:
                        res = mirror_consistency(lambda i, mk, m=m: run_method(model, i, r, m, methods[m], mk).map,
                                                 inp, mask, maps[m], cells_slice)
                        stats["mirror_consistency"].setdefault(m, []).append(res)
            print(f"  {case.case_id} {r} z={z}: {time.perf_counter() - t0:.0f} s", flush=True)
    return records


def fmt(s: dict[str, Any] | None, nd: int = 2) -> str:
    if not s or s.get("mean") is None:
        return "n/a"
    ci = s.get("ci")
    return f"{s['mean']:.{nd}f}" + (f" [{ci[0]:.{nd}f}, {ci[1]:.{nd}f}]" if ci else "")


def confidence_table(rows: list[dict[str, Any]]) -> tuple[Table, dict[str, Any]]:
    table = Table(title="Confidence levels vs true Dice (case x region)")
    for col in ("region", "n", "levels (low/mod/high/n.a.)", "Spearman(level, Dice)",
                "Spearman(-mass ratio, Dice)", "under-seg. flagged: mean Dice", "not flagged", "ECE"):
        table.add_column(col)
    out = {}
    for r in (*REGIONS, "all"):
        sel = [x for x in rows if r == "all" or x["region"] == r]
        graded = [x for x in sel if x["level"] in LEVELS]
        rho = (spearmanr([LEVELS.index(x["level"]) for x in graded], [x["dice"] for x in graded]).statistic
               if len(graded) >= 3 and len({x["level"] for x in graded}) > 1 else None)  # constant: undefined
        mr = [x for x in graded if x["mass_ratio"] is not None]
        rho_m = spearmanr([-x["mass_ratio"] for x in mr], [x["dice"] for x in mr]).statistic if len(mr) >= 3 and len({x["mass_ratio"] for x in mr}) > 1 else None
        flagged = [x["dice"] for x in graded if x["undersegmented"]]
        other = [x["dice"] for x in graded if not x["undersegmented"]]
        eces = [x["ece"] for x in sel if x["ece"] is not None]
        counts = [sum(x["level"] == lv for x in sel) for lv in (*LEVELS, "not applicable")]
        out[r] = {"n": len(sel), "levels": counts, "spearman_level_dice": rho, "spearman_mass_dice": rho_m,
                  "dice_flagged": float(np.mean(flagged)) if flagged else None,
                  "dice_not_flagged": float(np.mean(other)) if other else None,
                  "ece": float(np.mean(eces)) if eces else None}
        f = lambda v: "n/a" if v is None or (isinstance(v, float) and np.isnan(v)) else f"{v:.2f}"  # noqa: E731
        table.add_row(r, str(len(sel)), "/".join(map(str, counts)), f(rho), f(rho_m),
                      f(out[r]["dice_flagged"]) + f" ({len(flagged)})", f(out[r]["dice_not_flagged"]), f(out[r]["ece"]))
    return table, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="../shared/data/brats2018")
    ap.add_argument("--folds", default=None, help="Comma-separated training runs (each with best_dice.*).")
    ap.add_argument("--cases-per-fold", type=int, default=1)
    ap.add_argument("--checkpoint", default=None)
    ap.add_argument("--cases", default=None)
    ap.add_argument("--regions", default="WT,TC,ET")
    ap.add_argument("--slices", type=int, default=2, help="Slices per case and region across the tumour.")
    ap.add_argument("--budget", default="fast", choices=("fast", "full"))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", default="benchmarks/results/xai_quality.json")
    ap.add_argument("--rows", default=None, help="A JSON a previous run wrote: print its tables only.")
    args = ap.parse_args()
    if args.rows:
        print_tables(json.loads(Path(args.rows).read_text()), Console(width=160))
        return
    torch.set_num_threads(args.threads)
    plan = budget_settings(args.budget)
    stats: dict[str, Any] = {"confidence": [], "randomisation": {}, "randomisation_signed": {},
                             "slice_consistency": [], "mirror_consistency": {}, "seconds": []}
    records, labels = [], []
    for ckpt_path, cases, label in jobs(args):
        model = load_checkpoint(ckpt_path).model.eval()
        labels.append(f"{label}: {', '.join(cases)}")
        print(f"{ckpt_path}: {', '.join(cases)}", flush=True)
        for case_id in cases:
            records += evaluate_case(model, Path(args.data) / case_id, args, plan, stats)
    ranking = rank_methods(records, ["baseline", "blur"], seed=args.seed).to_dict()
    rnd_out = {m: {"final_similarity": stats["randomisation"].get(m, []),
                   "final_signed_pixel_similarity": stats["randomisation_signed"].get(m, []),
                   "passes": sum(s < 0.5 for s in stats["randomisation"].get(m, [])),
                   "passes_signed": sum(s < 0.5 for s in stats["randomisation_signed"].get(m, [])),
                   "of": len(stats["randomisation"].get(m, []))} for m in ranking["methods"]}
    _, conf = confidence_table(stats["confidence"])
    doc = {"jobs": labels, "budget": args.budget, "ranking": ranking, "randomisation": rnd_out,
           "slice_consistency": stats["slice_consistency"], "mirror_consistency": stats["mirror_consistency"],
           "confidence": conf,
           "confidence_rows": stats["confidence"], "seconds_per_slice": stats["seconds"]}
    print_tables(doc, Console(width=160))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(doc, indent=1, default=str))


def print_tables(doc: dict[str, Any], console: Console) -> None:
    """The method table, the verdicts, SLICE consistency, confidence vs Dice and time per slice."""
    ranking = doc["ranking"]
    table = Table(title=f"XAI quality over {ranking['n_slices']} slices ({ranking['interval']}); budget {doc['budget']}")
    for col in ("method", "score-random (0)", "score-random (blur)", "beats random", "score-prob. map (0)",
                "score-prob. map (blur)", "rank acc. vs truth", "- chance", "pointing", "randomisation |map| (pass)",
                "randomisation signed (pass)"):
        table.add_column(col)
    for m, v in ranking["methods"].items():
        rnd = doc["randomisation"].get(m, {})
        sims, signed = rnd.get("final_similarity", []), rnd.get("final_signed_pixel_similarity", [])
        table.add_row(m, fmt(v["margin_vs_random"]["baseline"]), fmt(v["margin_vs_random"]["blur"]),
                      str(v["beats_random"]["both"]), fmt(v["margin_vs_probability"]["baseline"]),
                      fmt(v["margin_vs_probability"]["blur"]), fmt(v["rank_accuracy"]),
                      fmt(v["rank_accuracy_over_chance"]),
                      f"{v['pointing_rate']:.2f}" if v["pointing_rate"] is not None else "n/a",
                      (f"{np.mean(sims):.2f} ({sum(v < 0.5 for v in sims)}/{len(sims)})" if sims else "n/a"),
                      (f"{np.mean(signed):.2f} ({sum(v < 0.5 for v in signed)}/{len(signed)})" if signed else "n/a"))
    console.print(table)
    console.print(f"Most faithful: {ranking['faithfulness_verdict']}; best localised: {ranking['localisation_verdict']}; "
                  f"not beating random: {ranking['not_beating_random'] or 'none'}")
    cons = doc["slice_consistency"]
    if cons:
        rho = [c["rank_correlation"] for c in cons if c["rank_correlation"] is not None]
        console.print(f"SLICE across seeds 0/1 ({len(cons)} slices): consistent {sum(bool(c['consistent']) for c in cons)}/{len(cons)}, "
                      f"same sigma {sum(c['same_sigma'] for c in cons)}/{len(cons)}, kept Jaccard "
                      f"{np.mean([c['kept_jaccard'] for c in cons]):.2f}, rank corr. {np.mean(rho) if rho else float('nan'):.2f}, "
                      f"sign flips {sum(c['sign_flips'] for c in cons)}.")
    for m, runs in (doc.get("mirror_consistency") or {}).items():
        rho = [c["spearman_abs"] for c in runs if c["spearman_abs"] is not None]
        console.print(f"{m} (seed-free) under a left-right mirror ({len(runs)} slices): consistent "
                      f"{sum(bool(c['consistent']) for c in runs)}/{len(runs)}, Spearman "
                      f"{np.mean(rho) if rho else float('nan'):.2f} (min {min(rho) if rho else float('nan'):.2f}).")
    ctable, _ = confidence_table(doc["confidence_rows"])
    console.print(ctable)
    secs = np.asarray(doc["seconds_per_slice"])
    if secs.size:
        mean, lo, hi = bootstrap_mean(secs, 2000, np.random.default_rng(0))
        console.print(f"Seconds per slice (4 methods + curves): {mean:.0f} [{lo:.0f}, {hi:.0f}]")


if __name__ == "__main__":
    main()
