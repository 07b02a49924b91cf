"""Whole-process wall time and peak memory: ``medbrain segment``/``report`` beside the MONAI BraTS bundle network.

Every command runs as its own process (imports, model load, NIfTI I/O and writing included),
the way a user runs it; peak resident memory comes from ``os.wait4`` on that process. The
commands are run in turn, ``--repeats`` times (paired: each repeat runs every command once,
so load on the machine hits all of them alike), and the table gives medians.

The peer is the network of MONAI's ``brats_mri_segmentation`` bundle (SegResNet,
blocks_down 1-2-2-4, blocks_up 1-1-1, 16 initial filters, 4 inputs, 3 sigmoid outputs) with
the bundle's preprocessing (orientation RAS, 1 mm spacing, channel-wise z-score over
non-zero voxels), sliding-window inference (ROI 240x240x160, overlap 0.5), inversion to the
input geometry, threshold 0.5 and NIfTI output. Its weights are random (the bundle's
weights sit on a model hub this machine cannot reach); the time does not depend on them.

    python benchmarks/speed_vs_monai.py --case ../shared/data/brats2018/Brats18_2013_11_1 --threads 2
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

MONAI_CHILD = r"""
import sys, torch
from pathlib import Path
from monai.inferers import sliding_window_inference
from monai.networks.nets import SegResNet
from monai.transforms import (Activationsd, AsDiscreted, Compose, EnsureChannelFirstd, Invertd, LoadImaged,
                              NormalizeIntensityd, Orientationd, SaveImaged, Spacingd)
case, out, threads = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
torch.set_num_threads(threads)
files = [str(next(case.glob(f"*_{m}.nii*"))) for m in ("t1ce", "t1", "t2", "flair")]
pre = Compose([LoadImaged(keys="image"), EnsureChannelFirstd(keys="image"),
               Orientationd(keys="image", axcodes="RAS"), Spacingd(keys="image", pixdim=(1.0, 1.0, 1.0), mode="bilinear"),
               NormalizeIntensityd(keys="image", nonzero=True, channel_wise=True)])
post = Compose([Activationsd(keys="pred", sigmoid=True),
                Invertd(keys="pred", transform=pre, orig_keys="image", nearest_interp=False),
                AsDiscreted(keys="pred", threshold=0.5),
                SaveImaged(keys="pred", output_dir=out, separate_folder=False, output_postfix="seg")])
net = SegResNet(blocks_down=[1, 2, 2, 4], blocks_up=[1, 1, 1], init_filters=16, in_channels=4, out_channels=3,
                dropout_prob=0.2).eval()
data = pre({"image": files})
with torch.inference_mode():
    data["pred"] = sliding_window_inference(data["image"][None], roi_size=(240, 240, 160), sw_batch_size=1,
                                            predictor=net, overlap=0.5)[0]
post(data)
"""


@dataclass
class Command:
    """One whole process to time."""

    name: str
    argv: list[str]  # "{out}" is replaced by a fresh output folder per run
    repeats: int  # how many of the repeats run it (the report, minutes long, runs once)
    expect_failure: bool = False  # the error path: a non-zero exit is the point


def run_once(cmd: Command, argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, peak RSS in MB) of one process; stdout discarded, stderr kept for a failure."""
    with tempfile.TemporaryFile() as err:  # a file, not a pipe: a chatty child cannot block on it
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        code = os.waitstatus_to_exitcode(status)
        if (code != 0) != cmd.expect_failure:
            err.seek(0)
            raise SystemExit(f"{' '.join(argv)} exited {code}:\n{err.read().decode(errors='replace')[-2000:]}")
    return wall, usage.ru_maxrss / 1024


def commands(case: Path, threads: int, repeats: int, with_report: bool) -> list[Command]:
    medbrain = [str(Path(sys.executable).parent / "medbrain")]  # the console script, as a user runs it
    cmds = [
        Command("medbrain segment CASE (default: tumour slices)", [*medbrain, "segment", str(case), "--out", "{out}"], repeats),
        Command("medbrain segment CASE --slices all", [*medbrain, "segment", str(case), "--slices", "all", "--out", "{out}"],
                repeats),
        Command("MONAI BraTS bundle network (SegResNet, sliding window), end to end",
                [sys.executable, "-c", MONAI_CHILD, str(case), "{out}", str(threads)], repeats),
        Command("medbrain segment /does/not/exist (error path)", [*medbrain, "segment", "/does/not/exist", "--out", "{out}"],
                repeats, expect_failure=True),
    ]
    if with_report:
        cmds.append(Command("medbrain report CASE --llm none (every method, fast budget, 4-flip TTA)",
                            [*medbrain, "report", str(case), "--llm", "none", "--out", "{out}"], 1))
    return cmds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--case", required=True, type=Path)
    ap.add_argument("--threads", type=int, default=2, help="Threads for every process (OMP/MKL and torch).")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--no-report", action="store_true", help="Skip the (minutes-long) report run.")
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/speed_vs_monai.json"))
    args = ap.parse_args()
    env = {**os.environ, "OMP_NUM_THREADS": str(args.threads), "MKL_NUM_THREADS": str(args.threads)}
    cmds = commands(args.case.resolve(), args.threads, args.repeats, not args.no_report)
    times: dict[str, list[tuple[float, float]]] = {c.name: [] for c in cmds}
    console = Console(width=160)
    with tempfile.TemporaryDirectory(prefix="medbrain-speed-") as tmp:
        for rep in range(args.repeats):
            for i, cmd in enumerate(cmds):
                if rep >= cmd.repeats:
                    continue
                out = Path(tmp) / f"r{rep}-c{i}"
                wall, rss = run_once(cmd, [a.replace("{out}", str(out)) for a in cmd.argv], env)
                times[cmd.name].append((wall, rss))
                console.print(f"[dim]repeat {rep + 1}: {cmd.name}: {wall:.1f} s, {rss:.0f} MB[/]", highlight=False)
    table = Table(title=f"{args.case.name}, whole processes on {os.cpu_count()} CPU cores ({args.threads} threads); "
                        f"median of {args.repeats} paired runs")
    for col in ("command", "runs", "wall (s)", "min-max (s)", "peak RSS (GB)"):
        table.add_column(col, justify="right" if col != "command" else "left")
    rows = []
    for cmd in cmds:
        walls, rsss = [w for w, _ in times[cmd.name]], [r for _, r in times[cmd.name]]
        row = {"command": cmd.name, "argv": [Path(cmd.argv[0]).name, *cmd.argv[1:]] if cmd.argv[0] != sys.executable else ["python", "-c", "<MONAI bundle child>", *cmd.argv[3:]], "walls_s": walls, "peak_rss_mb": rsss,
               "median_wall_s": statistics.median(walls), "median_peak_rss_mb": statistics.median(rsss)}
        rows.append(row)
        table.add_row(cmd.name, str(len(walls)), f"{row['median_wall_s']:.1f}", f"{min(walls):.1f}-{max(walls):.1f}",
                      f"{row['median_peak_rss_mb'] / 1024:.2f}")
    console.print(table)
    ours, peer = rows[0]["median_wall_s"], rows[2]["median_wall_s"]
    console.print(f"medbrain segment is {peer / ours:.1f}x the speed of the MONAI bundle network on this machine.")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"case": args.case.name, "threads": args.threads, "cpu_count": os.cpu_count(),
                                    "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
