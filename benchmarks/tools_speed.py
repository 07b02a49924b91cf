"""Wall time of every analysis tool on one real case: fast settings vs full (the baseline).

    python benchmarks/tools_speed.py --case ../shared/data/brats2018/Brats18_2013_11_1 --threads 2
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch
from rich.console import Console
from rich.table import Table

from medbrain.model.checkpoint import load_checkpoint
from medbrain.model.default import resolve_checkpoint
from medbrain.pipeline.workspace import CaseWorkspace

FAST = {"integrated_gradients": {"n_steps": 16}, "slice": {"num_samples": 32, "max_steps": 2}}


def run(ckpt, case: str, fast: bool, tta: bool) -> tuple[dict[str, float], dict]:
    ws = CaseWorkspace(ckpt, tta=tta, method_settings=FAST if fast else None, deletion_steps=10 if fast else 20)
    ws.load(case)
    facts = ws.analyse()
    return {e["tool"]: e["duration_s"] for e in ws.log.entries}, facts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--case", required=True)
    ap.add_argument("--checkpoint", default=None)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    ckpt = load_checkpoint(resolve_checkpoint(args.checkpoint))
    full, full_facts = run(ckpt, args.case, fast=False, tta=True)
    fast, fast_facts = run(ckpt, args.case, fast=True, tta=False)
    table = Table(title=f"Tool wall time on one case, CPU {args.threads} threads (seconds)")
    for col in ("tool", "full settings + TTA (baseline)", "fast settings, no TTA"):
        table.add_column(col, justify="right")
    for tool in full:
        table.add_row(tool, f"{full[tool]:.1f}", f"{fast.get(tool, 0):.1f}")
    table.add_row("total", f"{sum(full.values()):.1f}", f"{sum(fast.values()):.1f}")
    Console().print(table)
    energy = Table(title="Share of positive attribution inside the predicted region")
    energy.add_column("method")
    energy.add_column("full")
    energy.add_column("fast")
    for a, b in zip(full_facts.get("comparison", {}).get("methods", []), fast_facts.get("comparison", {}).get("methods", [])):
        energy.add_row(a["method"], str(a["energy_inside_region"]), str(b["energy_inside_region"]))
    Console().print(energy)
    Path("benchmarks/results").mkdir(parents=True, exist_ok=True)
    Path("benchmarks/results/tools_speed.json").write_text(json.dumps({"full": full, "fast": fast}, indent=1))


if __name__ == "__main__":
    main()
