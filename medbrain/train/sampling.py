"""Slice sampling (over-sampling tumour slices), random crops and batch augmentation."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import Dataset

from medbrain.model.slicing import slice_stack
from medbrain.train.cache import QUANT_SCALE, CachedCase

MODALITY_COUNT = 4


@dataclass(frozen=True)
class SampleSpec:
    """Which slice of which case, and where to crop it."""

    case: int
    z: int
    cx: int  # crop centre, in-plane
    cy: int


def epoch_samples(
    cases: list[CachedCase], n: int, tumour_fraction: float, seed: int, et_fraction: float = 0.0
) -> list[SampleSpec]:
    """Draw ``n`` sample specs; ``tumour_fraction`` of them centred near tumour voxels.

    ``et_fraction`` of the tumour-centred samples are centred on an enhancing-tumour voxel
    (cases without ET fall back to any tumour voxel): small ET is the region a plain
    tumour-centred sampler under-serves.
    """
    rng = np.random.default_rng(seed)
    specs = []
    for _ in range(n):
        ci = int(rng.integers(len(cases)))
        case = cases[ci]
        tumour = case.tumour_slices
        if len(tumour) and rng.random() < tumour_fraction:
            target = 0
            if et_fraction > 0 and rng.random() < et_fraction and len(case.et_slices):
                tumour, target = case.et_slices, 4
            z = int(rng.choice(tumour))
            plane = case.label[:, :, z]
            xs, ys = np.nonzero(plane == 4 if target == 4 else plane)
            k = int(rng.integers(len(xs)))
            cx, cy = int(xs[k]), int(ys[k])
        else:
            brain = np.flatnonzero(case.mask.any(axis=(0, 1)))
            z = int(rng.choice(brain))
            cx = int(rng.integers(case.mask.shape[0]))
            cy = int(rng.integers(case.mask.shape[1]))
        specs.append(SampleSpec(ci, z, cx, cy))
    return specs


def crop_around(array: np.ndarray, cx: int, cy: int, size: int, jitter: np.random.Generator | None = None) -> np.ndarray:
    """Crop (..., X, Y) to size x size around (cx, cy), zero-padding where it leaves the array."""
    if jitter is not None:
        cx += int(jitter.integers(-size // 4, size // 4 + 1))
        cy += int(jitter.integers(-size // 4, size // 4 + 1))
    x0, y0 = cx - size // 2, cy - size // 2
    out = np.zeros((*array.shape[:-2], size, size), dtype=array.dtype)
    sx0, sy0 = max(x0, 0), max(y0, 0)
    sx1, sy1 = min(x0 + size, array.shape[-2]), min(y0 + size, array.shape[-1])
    if sx1 > sx0 and sy1 > sy0:
        out[..., sx0 - x0 : sx1 - x0, sy0 - y0 : sy1 - y0] = array[..., sx0:sx1, sy0:sy1]
    return out


class SliceDataset(Dataset):
    """Turns sample specs into (input, label) crops; augmentation happens on the batch."""

    def __init__(self, cases: list[CachedCase], specs: list[SampleSpec], context: int, crop: int, seed: int):
        self.cases, self.specs, self.context, self.crop, self.seed = cases, specs, context, crop, seed

    def __len__(self) -> int:
        return len(self.specs)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        s = self.specs[i]
        case = self.cases[s.case]
        rng = np.random.default_rng((self.seed, i))
        x = slice_stack(case.images_q, s.z, self.context)
        x = crop_around(x, s.cx, s.cy, self.crop, rng)
        # same jitter for the label: re-seed so both crops match
        rng = np.random.default_rng((self.seed, i))
        y = crop_around(case.label[:, :, s.z], s.cx, s.cy, self.crop, rng)
        return torch.from_numpy(x.astype(np.float32) / QUANT_SCALE), torch.from_numpy(y.astype(np.int64))


def drop_sequences(x: torch.Tensor, p: float, gen: torch.Generator) -> torch.Tensor:
    """Sequence dropout: with probability ``p`` per sample, blank a random proper subset.

    A blanked sequence is set to 0 in every context slice, which is the z-scored mean and
    exactly what inference feeds for a sequence the case lacks; at least one sequence is
    always kept. Each of the 14 non-empty proper subsets to keep is equally likely.
    """
    if p <= 0:
        return x
    b, c = x.shape[0], x.shape[1]
    apply = torch.rand(b, generator=gen) < p
    subset = torch.randint(1, 2**MODALITY_COUNT - 1, (b,), generator=gen)  # 1..14: never none, never all
    bits = (subset[:, None] >> torch.arange(MODALITY_COUNT)) & 1  # (B, 4) kept sequences
    keep = torch.where(apply[:, None], bits.bool(), torch.ones_like(bits, dtype=torch.bool))
    mod = torch.arange(c) % MODALITY_COUNT
    return x * keep[:, mod].to(x.device, x.dtype)[..., None, None]


@dataclass
class Augmentation:
    """Batch augmentation on (B, C, H, W) inputs and (B, H, W) labels (torch, any device)."""

    flip: bool = True
    rotate_deg: float = 15.0
    scale: tuple[float, float] = (0.85, 1.15)
    intensity_scale: float = 0.1
    intensity_shift: float = 0.1
    gamma: tuple[float, float] = (0.8, 1.25)
    p_spatial: float = 0.5

    def __call__(self, x: torch.Tensor, y: torch.Tensor, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        b = x.shape[0]
        dev = x.device

        def uniform(lo: float, hi: float, *shape: int) -> torch.Tensor:
            return (torch.rand(*shape, generator=gen) * (hi - lo) + lo).to(dev)

        brain = (x != 0).any(dim=1, keepdim=True)
        if self.flip:
            for dim in (2, 3):
                sel = (torch.rand(b, generator=gen) < 0.5).to(dev)
                x = torch.where(sel[:, None, None, None], x.flip(dim), x)
                y = torch.where(sel[:, None, None], y.flip(dim - 1), y)
                brain = torch.where(sel[:, None, None, None], brain.flip(dim), brain)
        if self.rotate_deg or self.scale != (1.0, 1.0):
            apply = (torch.rand(b, generator=gen) < self.p_spatial).to(dev)
            angle = uniform(-self.rotate_deg, self.rotate_deg, b) * math.pi / 180 * apply
            s = torch.where(apply, uniform(*self.scale, b), torch.ones(b, device=dev))
            cos, sin = torch.cos(angle) / s, torch.sin(angle) / s
            theta = torch.stack([torch.stack([cos, -sin, torch.zeros_like(cos)], 1),
                                 torch.stack([sin, cos, torch.zeros_like(cos)], 1)], 1)
            grid = F.affine_grid(theta, list(x.shape), align_corners=False)
            x = F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
            brain = F.grid_sample(brain.float(), grid, mode="nearest", align_corners=False) > 0.5
            y = F.grid_sample(y[:, None].float(), grid, mode="nearest", align_corners=False)[:, 0].long()
        # intensity: one transform per sequence, shared by its context slices
        c = x.shape[1]
        mod = torch.arange(c, device=dev) % MODALITY_COUNT
        scale = uniform(1 - self.intensity_scale, 1 + self.intensity_scale, b, MODALITY_COUNT)[:, mod]
        shift = uniform(-self.intensity_shift, self.intensity_shift, b, MODALITY_COUNT)[:, mod]
        gamma = torch.exp(uniform(math.log(self.gamma[0]), math.log(self.gamma[1]), b, MODALITY_COUNT))[:, mod]
        lo = x.amin(dim=(2, 3), keepdim=True)
        hi = x.amax(dim=(2, 3), keepdim=True)
        rng = (hi - lo).clamp_min(1e-6)
        x = ((x - lo) / rng).clamp(0, 1) ** gamma[..., None, None] * rng + lo
        x = x * scale[..., None, None] + shift[..., None, None]
        return x * brain, y
