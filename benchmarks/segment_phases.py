"""Where one `medbrain segment` spends its time, phase by phase, and inference per slice schedule.

One process: the imports (torch, then the model code with segmentation_models_pytorch), NIfTI
loading, checkpoint loading, then the segmentation of the same preprocessed case with
``--slices tumour`` and ``--slices all`` alternately, ``--repeats`` times each (slices run and
seconds per schedule; the label maps of the two schedules are compared voxel by voxel).

    python benchmarks/segment_phases.py --case ../shared/data/brats2018/Brats18_2013_11_1 --repeats 3
"""

from __future__ import annotations

import argparse
import statistics
import time

t_start = time.perf_counter()
import torch  # noqa: E402 - timed on purpose

t_torch = time.perf_counter()
from medbrain.model.checkpoint import load_checkpoint  # noqa: E402

t_model_code = time.perf_counter()
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from medbrain.data.loading import load_case  # noqa: E402
from medbrain.data.preprocessing import preprocess  # noqa: E402
from medbrain.model.default import resolve_checkpoint  # noqa: E402
from medbrain.model.inference import PostProcessing, SliceSchedule, segment_preprocessed  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--case", required=True)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    console = Console(width=120)
    t0 = time.perf_counter()
    case = load_case(args.case, with_label=False)
    t_case = time.perf_counter() - t0
    t0 = time.perf_counter()
    ckpt = load_checkpoint(resolve_checkpoint(None))
    t_ckpt = time.perf_counter() - t0
    post = PostProcessing(**ckpt.metadata.get("postprocessing", {}))
    prep = preprocess(case)
    phases = Table(title=f"{case.case_id}: one process, {torch.get_num_threads()} threads")
    phases.add_column("phase")
    phases.add_column("seconds", justify="right")
    for name, sec in (("import torch", t_torch - t_start), ("import the model code (smp, timm, ...)", t_model_code - t_torch),
                      ("load the NIfTI case", t_case), ("load the checkpoint", t_ckpt)):
        phases.add_row(name, f"{sec:.2f}")
    console.print(phases)
    seconds: dict[str, list[float]] = {"tumour": [], "all": []}
    slices: dict[str, int] = {}
    labels = {}
    for _ in range(args.repeats):
        for mode in seconds:
            seen: list[tuple[int, int]] = []
            t0 = time.perf_counter()
            pred = segment_preprocessed(ckpt.model, prep, post=post, schedule=SliceSchedule(mode),
                                        on_slices=lambda done, total: seen.append((done, total)))
            seconds[mode].append(time.perf_counter() - t0)
            slices[mode], labels[mode] = seen[-1][0], pred.label
    table = Table(title=f"Segmentation of the preprocessed case ({prep.images.shape[-1]} brain slices), "
                        f"{args.repeats} runs each, alternating")
    for col in ("--slices", "slices run", "median (s)", "min-max (s)"):
        table.add_column(col, justify="right")
    for mode, secs in seconds.items():
        table.add_row(mode, str(slices[mode]), f"{statistics.median(secs):.2f}", f"{min(secs):.2f}-{max(secs):.2f}")
    console.print(table)
    differ = int((labels["tumour"] != labels["all"]).sum())
    console.print(f"Label maps of the two schedules differ in {differ} of {labels['all'].size} voxels.")


if __name__ == "__main__":
    main()
