"""Segmentation speed and peak memory per case: hybrid vs the ablation (baseline), TTA off/on.

Each configuration runs in its own process so peak resident memory is its own.

    python benchmarks/segment_speed.py --case ../shared/data/brats2018/Brats18_2013_11_1 \
        --checkpoint hybrid=medbrain/weights/medbrain-hybrid-default.safetensors \
        --checkpoint ablation=runs/ablation/best_dice.safetensors --threads 2
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

CHILD = r"""
import json, resource, sys, time, torch
from medbrain.data.loading import load_case
from medbrain.model.checkpoint import load_checkpoint
from medbrain.model.inference import segment_case
path, case, tta, threads, batch = sys.argv[1], sys.argv[2], sys.argv[3] == "1", int(sys.argv[4]), int(sys.argv[5])
torch.set_num_threads(threads)
t0 = time.perf_counter(); ck = load_checkpoint(path); t_load = time.perf_counter() - t0
c = load_case(case, with_label=False)
t0 = time.perf_counter(); segment_case(ck.model, c, tta=tta, batch_size=batch); t_seg = time.perf_counter() - t0
print(json.dumps({"load_s": t_load, "segment_s": t_seg,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "params": ck.model.parameter_counts()}))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--case", required=True)
    ap.add_argument("--checkpoint", action="append", required=True, help="NAME=PATH (repeat).")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=16)
    args = ap.parse_args()
    table = Table(title=f"Segmentation of one case on CPU ({args.threads} threads, batch {args.batch})")
    for col in ("model", "TTA", "trainable params (M)", "frozen params (M)", "load (s)", "segment (s)", "peak RSS (MB)"):
        table.add_column(col, justify="right")
    results = []
    for spec in args.checkpoint:
        name, path = spec.split("=", 1)
        for tta in (False, True):
            out = subprocess.run([sys.executable, "-c", CHILD, path, args.case, "1" if tta else "0",
                                  str(args.threads), str(args.batch)], capture_output=True, text=True, check=True)
            r = json.loads(out.stdout.strip().splitlines()[-1])
            results.append({"model": name, "tta": tta, **r})
            table.add_row(name, "on" if tta else "off", f"{r['params']['trainable'] / 1e6:.1f}",
                          f"{r['params']['frozen'] / 1e6:.1f}", f"{r['load_s']:.1f}", f"{r['segment_s']:.1f}",
                          f"{r['peak_rss_mb']:.0f}")
    Console().print(table)
    Path("benchmarks/results").mkdir(parents=True, exist_ok=True)
    Path("benchmarks/results/segment_speed.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
