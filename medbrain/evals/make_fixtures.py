"""Regenerate the real-case eval suite: the tools' facts for each shared case, as JSON.

    python -m medbrain.evals.make_fixtures --data /path/to/brats2018 \\
        --checkpoint runs/hybrid/best_dice.safetensors --out medbrain/evals/fixtures/real.json \\
        [--case Brats18_CBICA_ABM_1 --case ...] [--limit 4]

Each case goes through ``CaseWorkspace.load`` + ``analyse`` (segment, measure, every
explanation method, compare, confidence) with fast settings, and only the resulting
``facts`` dict is stored: the project's own outputs, no image data. An eval run then needs
no segmentation. The adversarial suite is derived from this file by
:func:`medbrain.evals.suites.build_adversarial` (``--adversarial`` rewrites it too).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

FAST_METHOD_SETTINGS: dict[str, dict[str, Any]] = {
    "integrated_gradients": {"n_steps": 8},
    "slice": {"num_samples": 24, "max_steps": 2},
}
FAST_DELETION_STEPS = 5


def case_facts(checkpoint: Any, case_path: str | Path, *, seed: int = 0, device: str = "cpu") -> dict[str, Any]:
    """The facts of one case with the fast eval settings (no TTA, short IG/SLICE, 5 deletion steps)."""
    from medbrain.pipeline.workspace import CaseWorkspace

    ws = CaseWorkspace(checkpoint, device=device, tta=False, seed=seed,
                       method_settings=FAST_METHOD_SETTINGS, deletion_steps=FAST_DELETION_STEPS)
    ws.load(case_path)
    facts = ws.analyse()
    return json.loads(json.dumps(facts, default=str))  # plain JSON types only


def build_real_suite(data: str | Path, checkpoint_path: str | Path, *, cases: list[str] | None = None,
                     limit: int | None = None, seed: int = 0, device: str = "cpu",
                     progress: Any = print) -> dict[str, Any]:
    from medbrain.data.discovery import find_cases
    from medbrain.errors import ConfigError
    from medbrain.model.checkpoint import load_checkpoint

    found = find_cases(data, strict=False)
    if cases:
        by_id = {c.case_id: c for c in found}
        missing = [c for c in cases if c not in by_id]
        if missing:
            raise ConfigError(f"Case(s) {', '.join(missing)} not found under {data}; "
                              f"available: {', '.join(sorted(by_id))}.")
        found = [by_id[c] for c in cases]
    if limit is not None:
        found = found[:limit]
    if not found:
        raise ConfigError(f"No cases found under {data}.")
    ckpt = load_checkpoint(checkpoint_path, device=device)
    items = []
    for files in found:
        start = time.perf_counter()
        facts = case_facts(ckpt, files.images["t1"], seed=seed, device=device)
        items.append({"id": files.case_id, "facts": facts})
        progress(f"{files.case_id}: {time.perf_counter() - start:.0f} s, WT "
                 f"{facts['measurements']['volumes_ml'].get('WT')} mL, confidence {facts['confidence']['level']}")
    return {
        "suite": "real",
        "format_version": 1,
        "description": "Tool facts of real BraTS cases (the project's own outputs; no image data).",
        "generated_by": {
            "command": "python -m medbrain.evals.make_fixtures",
            "checkpoint": Path(checkpoint_path).name,
            "checkpoint_sha256": ckpt.sha256,
            "settings": {"tta": False, "method_settings": FAST_METHOD_SETTINGS,
                         "deletion_steps": FAST_DELETION_STEPS, "seed": seed},
        },
        "items": items,
    }


def main(argv: list[str] | None = None) -> int:
    from medbrain.errors import MedBrainError
    from medbrain.evals.suites import write_suite

    parser = argparse.ArgumentParser(prog="python -m medbrain.evals.make_fixtures", description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, help="Data root with BraTS cases.")
    parser.add_argument("--checkpoint", required=True, help="Model checkpoint (.safetensors + .json).")
    parser.add_argument("--out", default="medbrain/evals/fixtures/real.json")
    parser.add_argument("--case", action="append", dest="cases", help="Case id to include (repeatable).")
    parser.add_argument("--limit", type=int, default=None, help="At most this many cases.")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads.")
    parser.add_argument("--adversarial", default=None,
                        help="Also derive the adversarial suite from the result and write it here.")
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(max(1, args.threads))
    try:
        suite = build_real_suite(args.data, args.checkpoint, cases=args.cases, limit=args.limit, seed=args.seed)
        write_suite(suite, args.out)
        print(f"wrote {len(suite['items'])} item(s) to {args.out}")
        if args.adversarial:
            from medbrain.evals.suites import EvalItem, build_adversarial, pick_adversarial_base

            adv = build_adversarial(pick_adversarial_base([EvalItem.from_dict(i) for i in suite["items"]]))
            write_suite(adv, args.adversarial)
            print(f"wrote {len(adv['items'])} adversarial item(s) to {args.adversarial}")
    except MedBrainError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
