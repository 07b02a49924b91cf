"""Training: loss goes down, an epoch runs end to end, resume restores state, DDP on CPU."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import torch

from medbrain.model.checkpoint import load_checkpoint
from medbrain.model.config import ModelConfig
from medbrain.model.hybrid import HybridUNetPlusPlus
from medbrain.train.losses import label_to_regions, segmentation_loss, soft_dice_loss
from medbrain.train.loop import TrainConfig, Trainer, split_cases
from medbrain.train.sampling import Augmentation, SliceDataset, epoch_samples
from medbrain.train.cache import load_cached_case

SMALL = (16, 16, 16, 16, 16)


def tiny_config(cache, out, **kw) -> TrainConfig:
    defaults = dict(model=ModelConfig(decoder_channels=SMALL, context=1, transformer=None), epochs=2,
                    steps_per_epoch=3, batch_size=4, crop=32, val_count=1, threads=1, save_every=1, val_every=1)
    defaults.update(kw)
    return TrainConfig(cache=str(cache), out=str(out), **defaults)


def test_loss_values_on_hand_built_targets():
    label = torch.zeros(1, 4, 4, dtype=torch.long)
    label[0, :2, :2] = 4
    regions = label_to_regions(label)
    assert regions[0, :, 0, 0].tolist() == [1, 1, 1] and regions[0, :, 3, 3].tolist() == [0, 0, 0]
    assert soft_dice_loss(regions, regions, eps=0).item() == pytest.approx(0.0)
    perfect = (regions * 40 - 20)
    assert segmentation_loss(perfect, label, "regions").item() < 0.01
    assert segmentation_loss(-perfect, label, "regions").item() > 0.5


def test_loss_goes_down_on_a_fixed_batch(tiny_cache):
    torch.manual_seed(0)
    cases = [load_cached_case(tiny_cache, f"Synthetic_{i:04d}") for i in range(2)]
    specs = epoch_samples(cases, 8, tumour_fraction=1.0, seed=0)
    data = SliceDataset(cases, specs, context=1, crop=32, seed=0)
    x = torch.stack([data[i][0] for i in range(8)])
    y = torch.stack([data[i][1] for i in range(8)])
    assert (y > 0).any()
    for head in ("regions", "softmax"):
        model = HybridUNetPlusPlus(ModelConfig(decoder_channels=SMALL, context=1, transformer=None, head=head))
        opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
        losses = []
        for _ in range(12):
            opt.zero_grad()
            loss = segmentation_loss(model(x), y, head)
            loss.backward()
            opt.step()
            losses.append(loss.item())
        assert losses[-1] < 0.8 * losses[0], (head, losses)


def test_augmentation_keeps_labels_aligned_and_valid():
    gen = torch.Generator().manual_seed(0)
    x = torch.zeros(4, 12, 32, 32)
    y = torch.zeros(4, 32, 32, dtype=torch.long)
    x[:, :, 8:16, 8:16] = 1.0
    y[:, 8:16, 8:16] = 4
    xa, ya = Augmentation()(x, y, gen)
    assert xa.shape == x.shape and ya.shape == y.shape
    assert set(ya.unique().tolist()) <= {0, 4}
    # the bright square and the label move together
    for i in range(4):
        bright = xa[i, 0] != 0
        lab = ya[i] > 0
        assert (bright & lab).sum() >= 0.8 * lab.sum()


def test_split_is_by_case_and_seeded():
    ids = [f"c{i}" for i in range(10)]
    a = split_cases(ids, 3, seed=1)
    assert split_cases(ids, 3, seed=1) == a
    assert not set(a["train"]) & set(a["val"]) and len(a["val"]) == 3
    assert split_cases(ids, 3, seed=2) != a


def test_one_run_end_to_end_writes_everything(tiny_cache, tmp_path):
    trainer = Trainer(tiny_config(tiny_cache, tmp_path / "run"))
    best = trainer.fit()
    run = tmp_path / "run"
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in rows] == [1, 2]
    assert {"train_loss", "val_loss", "val_dice_WT", "val_dice_TC", "val_dice_ET"} <= set(rows[0])
    for name in ("best_dice", "best_loss", "epoch_001", "epoch_002", "last"):
        assert (run / f"{name}.safetensors").is_file() and (run / f"{name}.json").is_file()
    assert (run / "curves.png").stat().st_size > 5000
    split = json.loads((run / "split.json").read_text())
    assert len(split["val"]) == 1 and len(split["train"]) == 3
    ckpt = load_checkpoint(run / "best_dice.safetensors")
    assert ckpt.metadata["training"]["split"] == split
    assert 0 <= best["dice"] <= 1


def test_resume_restores_optimizer_scheduler_and_epoch(tiny_cache, tmp_path):
    run = tmp_path / "run"
    first = Trainer(tiny_config(tiny_cache, run, epochs=3))
    first.cfg.epochs = 1  # stop after one of three scheduled epochs
    first.fit()
    resumed = Trainer(tiny_config(tiny_cache, run, epochs=3))
    resumed.resume(run)
    assert resumed.epoch == 1
    assert resumed.scheduler.state_dict()["last_epoch"] == first.scheduler.state_dict()["last_epoch"] == 3
    assert resumed.optimizer.param_groups[0]["lr"] == pytest.approx(first.optimizer.param_groups[0]["lr"])
    s1, s2 = first.optimizer.state_dict()["state"], resumed.optimizer.state_dict()["state"]
    assert s1.keys() == s2.keys()
    for k in s1:
        torch.testing.assert_close(s1[k]["exp_avg"], s2[k]["exp_avg"])
        assert float(s1[k]["step"]) == float(s2[k]["step"])
    for (n, p1), p2 in zip(first.model.named_parameters(), resumed.model.parameters()):
        torch.testing.assert_close(p1, p2, msg=n)
    resumed.fit()
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in rows] == [1, 2, 3]


@pytest.mark.slow
def test_ddp_two_cpu_processes(tiny_cache, tmp_path):
    out = tmp_path / "ddp"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
           "-m", "medbrain.train", "--cache", str(tiny_cache), "--out", str(out), "--epochs", "1",
           "--steps-per-epoch", "2", "--batch-size", "2", "--crop", "32", "--transformer", "none",
           "--decoder-channels", "16,16,16,16,16", "--val-count", "1", "--threads", "1"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = (out / "metrics.jsonl").read_text().splitlines()
    assert len(rows) == 1, "only rank 0 logs"
    meta = json.loads((out / "best_dice.json").read_text())
    assert meta["training"]["world_size"] == 2
    assert meta["training"]["batch_size"] == 4
