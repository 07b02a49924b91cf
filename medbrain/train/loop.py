"""The training loop: seed recipe defaults, DDP-aware, resumable, with checkpoints and logs.

Run it with ``medbrain train run`` or, on several GPUs/nodes,
``torchrun --nproc_per_node N -m medbrain.train --cache DIR --out RUN``.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
import torch.nn.functional as F
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from torch.utils.data import DataLoader
from torch.utils.data.distributed import DistributedSampler

from medbrain.errors import ConfigError
from medbrain.metrics import dice
from medbrain.model.checkpoint import save_checkpoint
from medbrain.model.config import ModelConfig
from medbrain.model.hybrid import HybridUNetPlusPlus
from medbrain.model.inference import PostProcessing, predict_slices, probs_to_label
from medbrain.model.pretrained import load_encoder_weights
from medbrain.train import distributed as dist_utils
from medbrain.train.cache import CachedCase, load_cached_case, read_manifest
from medbrain.train.curves import plot_curves
from medbrain.train.losses import segmentation_loss
from medbrain.train.sampling import Augmentation, SliceDataset, drop_sequences, epoch_samples
from medbrain.train.state import load_state, save_state

REGIONS = ("WT", "TC", "ET")


@dataclass
class TrainConfig:
    """Every knob of a run; defaults are the seed paper's recipe where it has one."""

    cache: str
    out: str
    model: ModelConfig = field(default_factory=ModelConfig)
    epochs: int = 100
    steps_per_epoch: int = 100  # optimizer steps per epoch
    batch_size: int = 16
    accum: int = 1  # micro-batches per optimizer step
    lr: float = 2e-3  # OneCycleLR max lr
    div_factor: float = 10.0
    final_div_factor: float = 100.0
    warmup: float = 0.3
    weight_decay: float = 1e-4
    alpha: float = 0.4  # loss = alpha * BCE + (1 - alpha) * Dice
    clip_norm: float = 1.0
    crop: int = 128
    tumour_fraction: float = 0.75
    et_fraction: float = 0.0  # share of tumour-centred samples centred on enhancing tumour
    sequence_dropout: float = 0.0  # per-sample probability of blanking a random subset of sequences
    val_count: int = 3
    val_cases: list[str] | None = None  # explicit validation case ids
    folds: int = 0  # cross-validation: split the cases into this many folds ...
    fold: int = 0  # ... and validate on this one (overrides val_count)
    seed: int = 0
    patience: int = 30  # epochs without validation-Dice improvement
    save_every: int = 5
    val_every: int = 1
    amp: bool = True  # bf16 autocast on GPU, and on CPUs with native bf16 (AVX-512 BF16 / AMX)
    time_budget_min: float | None = None  # stop cleanly after the epoch that passes it
    encoder_weights: str | None = None  # torchvision-format ResNet state dict
    threads: int | None = None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["model"] = self.model.to_dict()
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TrainConfig":
        data = dict(data)
        data["model"] = ModelConfig.from_dict(data["model"])
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


def bf16_autocast_supported(device: torch.device) -> bool:
    """bf16 autocast pays on CUDA and on CPUs with native bf16 (2x per step measured here)."""
    if device.type == "cuda":
        return True
    return device.type == "cpu" and bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())


def split_cases(
    case_ids: list[str], val_count: int, seed: int, val_cases: list[str] | None = None,
    folds: int = 0, fold: int = 0,
) -> dict[str, list[str]]:
    """Split by case (never slices of one patient on both sides), seeded.

    With ``folds`` > 1 the seeded permutation is cut into that many near-equal folds and
    fold ``fold`` is the validation set, so the folds of one seed partition the cases.
    """
    ids = sorted(case_ids)
    if folds:
        if not (2 <= folds <= len(ids) and 0 <= fold < folds):
            raise ConfigError(f"Need 2 <= folds <= {len(ids)} cases and 0 <= fold < folds; got folds={folds}, fold={fold}.")
        order = np.random.default_rng(seed).permutation(len(ids))
        val = sorted(ids[i] for i in np.array_split(order, folds)[fold])
    elif val_cases:
        unknown = set(val_cases) - set(ids)
        if unknown:
            raise ConfigError(f"Validation cases not in the cache: {', '.join(sorted(unknown))}.")
        val = sorted(val_cases)
    else:
        if not 0 <= val_count < len(ids):
            raise ConfigError(f"val_count must leave training cases: {val_count} of {len(ids)}.")
        order = np.random.default_rng(seed).permutation(len(ids))
        val = sorted(ids[i] for i in order[:val_count])
    return {"train": [i for i in ids if i not in val], "val": val}


def validate(model: HybridUNetPlusPlus, cases: list[CachedCase], alpha: float, device: torch.device) -> dict[str, float]:
    """Full-volume validation: loss on region probabilities and per-region Dice."""
    losses, scores = [], {r: [] for r in REGIONS}
    for case in cases:
        probs = predict_slices(model, case.images(), batch_size=16, device=device, precision="fp32") * case.mask[None]
        target = np.stack([case.label > 0, np.isin(case.label, (1, 4)), case.label == 4]).astype(np.float32)
        p = torch.from_numpy(probs).clamp(1e-6, 1 - 1e-6)
        t = torch.from_numpy(target)
        bce = F.binary_cross_entropy(p, t).item()
        inter = (p * t).sum(dim=(1, 2, 3))
        soft = ((2 * inter + 1) / (p.sum(dim=(1, 2, 3)) + t.sum(dim=(1, 2, 3)) + 1)).mean().item()
        losses.append(alpha * bce + (1 - alpha) * (1 - soft))
        label = probs_to_label(probs, PostProcessing())
        for i, region in enumerate(REGIONS):
            pred_mask = label > 0 if i == 0 else (np.isin(label, (1, 4)) if i == 1 else label == 4)
            scores[region].append(dice(pred_mask, target[i] > 0))
    out = {"val_loss": float(np.mean(losses))}
    for region in REGIONS:
        out[f"val_dice_{region}"] = float(np.mean(scores[region]))
    out["val_dice_mean"] = float(np.mean([out[f"val_dice_{r}"] for r in REGIONS]))
    return out


class Trainer:
    """Owns model, optimiser, schedule and run folder for one training run."""

    def __init__(self, config: TrainConfig, console: Console | None = None):
        self.cfg = config
        self.console = console or Console()
        self.ctx = dist_utils.setup()
        self.device = self.ctx.device
        if config.threads:
            torch.set_num_threads(config.threads)
        torch.manual_seed(config.seed + self.ctx.rank)
        self.out = Path(config.out)
        self.out.mkdir(parents=True, exist_ok=True)
        manifest = read_manifest(config.cache)
        ids = [c["case_id"] for c in manifest["cases"]]
        self.split = split_cases(ids, config.val_count, config.seed, config.val_cases, config.folds, config.fold)
        self.train_cases = [load_cached_case(config.cache, i) for i in self.split["train"]]
        self.val_cases = [load_cached_case(config.cache, i) for i in self.split["val"]]
        self.model = HybridUNetPlusPlus(config.model).to(self.device)
        if config.encoder_weights:
            load_encoder_weights(self.model, config.encoder_weights)
        if self.device.type == "cpu":
            self.model = self.model.to(memory_format=torch.channels_last)
        self.ddp = dist_utils.wrap(self.model, self.ctx)
        params = [p for p in self.model.parameters() if p.requires_grad]
        self.optimizer = torch.optim.AdamW(params, lr=config.lr / config.div_factor, weight_decay=config.weight_decay)
        self.scheduler = torch.optim.lr_scheduler.OneCycleLR(
            self.optimizer, max_lr=config.lr, total_steps=config.epochs * config.steps_per_epoch,
            pct_start=config.warmup, div_factor=config.div_factor, final_div_factor=config.final_div_factor,
        )
        self.augment = Augmentation()
        self.epoch = 0
        self.best = {"dice": -1.0, "loss": math.inf, "dice_epoch": 0}
        self.elapsed = 0.0

    # ----- state -------------------------------------------------------------------------
    def save_run_files(self) -> None:
        if self.ctx.is_main:
            (self.out / "split.json").write_text(json.dumps(self.split, indent=2))
            (self.out / "train_config.json").write_text(json.dumps(self.cfg.to_dict(), indent=2))

    def save_resume_state(self) -> None:
        save_checkpoint(self.model, self.out / "last", metadata=self.summary())
        save_state(self.out / "last_state", {
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "epoch": self.epoch,
            "best": self.best,
            "elapsed": self.elapsed,
            "torch_rng": torch.get_rng_state(),
        })

    def resume(self, run_dir: str | Path) -> None:
        """Restore weights, optimiser, scheduler, epoch, best scores and RNG from RUN/last*."""
        from safetensors.torch import load_file

        run_dir = Path(run_dir)
        weights = load_file(str(run_dir / "last.safetensors"))
        self.model.load_state_dict(weights, strict=False)
        state = load_state(run_dir / "last_state")
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        self.epoch = int(state["epoch"])
        self.best = dict(state["best"])
        self.elapsed = float(state["elapsed"])
        torch.set_rng_state(state["torch_rng"])
        split_file = run_dir / "split.json"
        if split_file.is_file() and json.loads(split_file.read_text()) != self.split:
            raise ConfigError(f"{run_dir}: the saved case split differs from this run's; resume with the same cache and seed.")

    def summary(self) -> dict[str, Any]:
        return {"training": {
            "data": read_manifest(self.cfg.cache).get("source"),
            "split": self.split,
            "seed": self.cfg.seed,
            "epochs_completed": self.epoch,
            "steps_per_epoch": self.cfg.steps_per_epoch,
            "batch_size": self.cfg.batch_size * self.cfg.accum * self.ctx.world_size,
            "crop": self.cfg.crop,
            "best_val": self.best,
            "wall_time_s": round(self.elapsed, 1),
            "device": str(self.device),
            "world_size": self.ctx.world_size,
            "recipe": {k: v for k, v in self.cfg.to_dict().items() if k not in ("cache", "out", "model")},
        }}

    # ----- loop --------------------------------------------------------------------------
    def train_epoch(self, progress: Progress | None) -> float:
        cfg = self.cfg
        self.ddp.train()
        n = cfg.steps_per_epoch * cfg.accum * cfg.batch_size * self.ctx.world_size
        specs = epoch_samples(self.train_cases, n, cfg.tumour_fraction, seed=cfg.seed * 100003 + self.epoch,
                              et_fraction=cfg.et_fraction)
        data = SliceDataset(self.train_cases, specs, cfg.model.context, cfg.crop, seed=cfg.seed * 7919 + self.epoch)
        sampler = DistributedSampler(data, self.ctx.world_size, self.ctx.rank, shuffle=False)
        loader = DataLoader(data, batch_size=cfg.batch_size, sampler=sampler, num_workers=0)
        gen = torch.Generator().manual_seed(cfg.seed * 31 + self.epoch * 1009 + self.ctx.rank)
        task = progress.add_task(f"epoch {self.epoch + 1}/{cfg.epochs}", total=cfg.steps_per_epoch) if progress else None
        use_amp = cfg.amp and bf16_autocast_supported(self.device)
        losses = []
        self.optimizer.zero_grad(set_to_none=True)
        for i, (x, y) in enumerate(loader):
            x, y = x.to(self.device), y.to(self.device)
            x, y = self.augment(x, y, gen)
            x = drop_sequences(x, cfg.sequence_dropout, gen)
            if self.device.type == "cpu":
                x = x.contiguous(memory_format=torch.channels_last)
            with torch.autocast(device_type=self.device.type, dtype=torch.bfloat16, enabled=use_amp):
                logits = self.ddp(x)
            loss = segmentation_loss(logits, y, cfg.model.head, cfg.alpha)
            if not torch.isfinite(loss):
                self.console.print(f"[yellow]non-finite loss at step {i}; batch skipped[/]")
                self.optimizer.zero_grad(set_to_none=True)
                continue
            (loss / cfg.accum).backward()
            losses.append(loss.item())
            if (i + 1) % cfg.accum == 0:
                torch.nn.utils.clip_grad_norm_(self.model.parameters(), cfg.clip_norm)
                self.optimizer.step()
                self.scheduler.step()
                self.optimizer.zero_grad(set_to_none=True)
                if progress:
                    progress.update(task, advance=1, description=f"epoch {self.epoch + 1} loss {np.mean(losses[-20:]):.3f}")
        if progress:
            progress.remove_task(task)
        return dist_utils.mean_across(float(np.mean(losses)) if losses else float("nan"), self.ctx)

    def fit(self, on_epoch: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
        """Train until the epoch budget, early stopping or the time budget; returns the best scores."""
        cfg = self.cfg
        self.save_run_files()
        log_path = self.out / "metrics.jsonl"
        stale = 0
        columns = [TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn()]
        with Progress(*columns, console=self.console, disable=not self.ctx.is_main, transient=True) as progress:
            while self.epoch < cfg.epochs:
                start = time.perf_counter()
                train_loss = self.train_epoch(progress)
                self.epoch += 1
                row: dict[str, Any] = {"epoch": self.epoch, "train_loss": train_loss, "lr": self.scheduler.get_last_lr()[0]}
                due = self.epoch % cfg.val_every == 0 or self.epoch == cfg.epochs
                if self.ctx.is_main and self.val_cases and due:
                    row.update(validate(self.model, self.val_cases, cfg.alpha, self.device))
                self.elapsed += time.perf_counter() - start
                row["elapsed_s"] = round(self.elapsed, 1)
                if self.ctx.is_main:
                    stale = self._checkpoint(row, stale)
                    with open(log_path, "a") as fh:
                        fh.write(json.dumps(row) + "\n")
                    if "val_loss" in row:
                        plot_curves(log_path, self.out / "curves.png")
                    self.console.print(_format_row(row))
                    if on_epoch:
                        on_epoch(row)
                stop = stale >= cfg.patience or (cfg.time_budget_min is not None and self.elapsed > 60 * cfg.time_budget_min)
                if dist_utils.any_across(stop, self.ctx):
                    break
        dist_utils.barrier(self.ctx)
        return self.best

    def _checkpoint(self, row: dict[str, Any], stale: int) -> int:
        cfg = self.cfg
        if "val_dice_mean" in row:
            if row["val_dice_mean"] > self.best["dice"]:
                self.best.update(dice=row["val_dice_mean"], dice_epoch=self.epoch,
                                 **{f"dice_{r}": row[f"val_dice_{r}"] for r in REGIONS})
                save_checkpoint(self.model, self.out / "best_dice", metadata=self.summary())
                stale = 0
            else:
                stale += cfg.val_every
            if row["val_loss"] < self.best["loss"]:
                self.best["loss"] = row["val_loss"]
                save_checkpoint(self.model, self.out / "best_loss", metadata=self.summary())
        if self.epoch % cfg.save_every == 0:
            save_checkpoint(self.model, self.out / f"epoch_{self.epoch:03d}", metadata=self.summary())
        self.save_resume_state()
        return stale


def _format_row(row: dict[str, Any]) -> str:
    parts = [f"epoch {row['epoch']}", f"train {row['train_loss']:.4f}"]
    if "val_loss" in row:
        parts += [f"val {row['val_loss']:.4f}"] + [f"{r} {row[f'val_dice_{r}']:.3f}" for r in REGIONS]
    parts.append(f"{row['elapsed_s']:.0f}s")
    return " | ".join(parts)
