"""Re-estimate BatchNorm variances a float16 export overflowed to inf, from training-distribution crops.

How the shipped file of 2026-12-02 was repaired on 2026-12-04 (README, "A repair of the shipped
file"): every running_var holding inf is reset and re-estimated as a cumulative average over
crops drawn by the training sampler (tumour/ET-centred sampling, augmentation, sequence
dropout); every other tensor is kept. As a check, the same pass re-estimates those layers'
running means, which the export kept, and prints how close they come.

    python benchmarks/repair_bn_variance.py --weights OLD.safetensors --json OLD.json \\
        --cache cache/brats2018 --out REPAIRED   # writes REPAIRED.safetensors + .json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch
from safetensors.torch import load_file

from medbrain.model.checkpoint import save_checkpoint
from medbrain.model.config import ModelConfig
from medbrain.model.hybrid import HybridUNetPlusPlus
from medbrain.train.cache import load_cached_case, read_manifest
from medbrain.train.sampling import Augmentation, SliceDataset, drop_sequences, epoch_samples


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--weights", type=Path, required=True)
    ap.add_argument("--json", type=Path, required=True)
    ap.add_argument("--cache", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--crops", type=int, default=1600)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    doc = json.loads(args.json.read_text())
    model = HybridUNetPlusPlus(ModelConfig.from_dict(doc["model"]))
    tensors = load_file(str(args.weights))
    broken = [k for k, v in tensors.items() if k.endswith("running_var") and not torch.isfinite(v.float()).all()]
    stored_means = {k: tensors[k.replace("running_var", "running_mean")].float().clone() for k in broken}
    own = model.trainable_state_dict()
    model.load_state_dict({k: (torch.ones_like(v) if k in broken else v).to(own[k].dtype) for k, v in tensors.items()},
                          strict=False)
    model.eval()
    modules = dict(model.named_modules())
    norms = [modules[k.removesuffix(".running_var")] for k in broken]
    for bn in norms:
        bn.reset_running_stats()
        bn.momentum = None  # cumulative average over every crop
        bn.train()
    cases = [load_cached_case(args.cache, c["case_id"]) for c in read_manifest(args.cache)["cases"]]
    recipe = doc["training"]["recipe"]
    specs = epoch_samples(cases, args.crops, recipe["tumour_fraction"], seed=4242, et_fraction=recipe["et_fraction"])
    data = SliceDataset(cases, specs, doc["model"]["context"], recipe["crop"], seed=77)
    gen, augment = torch.Generator().manual_seed(5), Augmentation()
    with torch.no_grad():
        for i in range(0, len(data), 16):
            xs, ys = zip(*(data[j] for j in range(i, min(i + 16, len(data)))))
            x, _ = augment(torch.stack(xs), torch.stack(ys), gen)
            model(drop_sequences(x, recipe["sequence_dropout"], gen))
    for key, bn in zip(broken, norms):
        stored = stored_means[key]
        diff = float((bn.running_mean - stored).abs().max() / stored.abs().max())
        corr = float(torch.corrcoef(torch.stack([bn.running_mean, stored]))[0, 1])
        print(f"{key}: variance {float(bn.running_var.min()):.4g}-{float(bn.running_var.max()):.4g}; "
              f"re-estimated mean vs stored: max |diff| {100 * diff:.2f}% of its largest value, correlation {corr:.7f}")
        bn.momentum = 0.1
        bn.eval()
    keep = {k: doc[k] for k in ("training", "postprocessing", "validation") if k in doc}
    path = save_checkpoint(model, args.out, metadata=keep, dtype=torch.float16)
    print(f"Wrote {path} (normalisation statistics in float32)")


if __name__ == "__main__":
    main()
