"""Wall time of every analysis tool on one real case under the fast budget, three ways:
without the randomisation check (the fast budget before 2026-12-04, the baseline), with its
last stage only (shipped), and with the whole cascade (as ``--budget full`` runs it); and
whether the last-stage check gives the cascade's verdicts.

    python benchmarks/tools_speed.py --case ../shared/data/brats2018/Brats18_2013_11_1 --threads 2
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import torch
from rich.console import Console
from rich.table import Table

from medbrain.model.checkpoint import load_checkpoint
from medbrain.model.default import resolve_checkpoint
from medbrain.pipeline.workspace import CaseWorkspace

VARIANTS = {"no randomisation check (baseline)": None, "last stage only (shipped fast)": "final",
            "whole cascade": "cascade"}


def run(ckpt, case: str, randomisation: str | None) -> tuple[dict[str, float], dict[str, Any]]:
    """Tool wall times and the randomisation facts of one fast-budget analysis.

    compare_methods includes the randomisation check (logged inside it) and the total is
    the wall time from load to confidence, not a sum.
    """
    ws = CaseWorkspace(ckpt, budget="fast")
    ws.plan["randomisation"] = randomisation
    start = time.perf_counter()
    ws.load(case)
    facts = ws.analyse()
    times = {e["tool"]: e["duration_s"] for e in ws.log.entries}
    times["total (load to confidence)"] = time.perf_counter() - start
    return times, facts["comparison"]["randomisation"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--case", required=True)
    ap.add_argument("--checkpoint", default=None)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", default="benchmarks/results/tools_speed.json")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    ckpt = load_checkpoint(resolve_checkpoint(args.checkpoint))
    times, rand = {}, {}
    for name, mode in VARIANTS.items():
        times[name], rand[name] = run(ckpt, args.case, mode)
    table = Table(title=f"Fast-budget analysis of one case, CPU {args.threads} threads (seconds)")
    table.add_column("tool")
    for name in VARIANTS:
        table.add_column(name, justify="right")
    tools = list(dict.fromkeys(t for v in times.values() for t in v))
    for tool in tools:
        table.add_row(tool, *(f"{times[n].get(tool, 0):.1f}" for n in VARIANTS))
    Console().print(table)
    last, full = rand["last stage only (shipped fast)"], rand["whole cascade"]
    verdicts = Table(title="Randomisation verdicts: |map| similarity after the last stage (passes)")
    for col in ("method", "last stage only", "whole cascade"):
        verdicts.add_column(col)
    same = True
    for m in full["methods"]:
        a, b = last["methods"][m], full["methods"][m]
        same &= a["passes"] == b["passes"] and a["final_spearman_abs"] == b["final_spearman_abs"]
        verdicts.add_row(m, f"{a['final_spearman_abs']} ({a['passes']})", f"{b['final_spearman_abs']} ({b['passes']})")
    Console().print(verdicts)
    Console().print(f"last-stage check identical to the cascade's last stage: {same}")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"case": Path(args.case).name, "threads": args.threads, "seconds": times,
                                          "identical_verdicts": bool(same),
                                          "randomisation": {n: rand[n] for n in VARIANTS if rand[n].get("run")}},
                                         indent=1))


if __name__ == "__main__":
    main()
