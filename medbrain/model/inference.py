"""Whole-volume inference: brain crop, slice batches, optional flip TTA, original geometry out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import os

import numpy as np
import torch
from scipy import ndimage

from medbrain.data.loading import Case
from medbrain.data.preprocessing import CropBox, Preprocessed, preprocess, uncrop
from medbrain.labels import regions_to_labels
from medbrain.metrics import CONNECT_26
from medbrain.model.hybrid import HybridUNetPlusPlus
from medbrain.model.slicing import inplane_pad, slice_stack

REGION_NAMES = ("WT", "TC", "ET")


@dataclass
class PostProcessing:
    """Turning region probabilities into a label map.

    ``min_et_voxels``: BraTS practice — when the whole predicted enhancing tumour is smaller
    than this, it is relabelled as necrotic core (small false-positive ET costs a full Dice
    point when the truth has none). ``min_et_component_voxels``: each 26-connected ET
    component smaller than this becomes necrotic core (isolated specks are the spurious
    lesions of lesion-wise scoring). ``min_wt_component_voxels``: each tumour component
    smaller than this becomes background. 0 disables each; values are chosen by
    cross-validation (``benchmarks/postprocessing_cv.py``).
    """

    threshold: float = 0.5
    min_et_voxels: int = 0
    min_et_component_voxels: int = 0
    min_wt_component_voxels: int = 0

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"threshold": self.threshold, "min_et_voxels": self.min_et_voxels}
        if self.min_et_component_voxels:
            out["min_et_component_voxels"] = self.min_et_component_voxels
        if self.min_wt_component_voxels:
            out["min_wt_component_voxels"] = self.min_wt_component_voxels
        return out


@dataclass
class Prediction:
    """Result of segmenting one case, in the case's own array geometry."""

    region_probs: np.ndarray  # (3, X, Y, Z) float32, WT/TC/ET probabilities
    label: np.ndarray  # (X, Y, Z) uint8 internal labels 0/1/2/4
    box: CropBox
    settings: dict[str, Any] = field(default_factory=dict)
    variants: list[np.ndarray] = field(default_factory=list)  # per-flip probabilities, cropped grid

    def cropped(self, array: np.ndarray) -> np.ndarray:
        """The part of a full-size (..., X, Y, Z) array inside the brain crop box."""
        return array[(..., *self.box.slices)]


def logits_to_region_probs(logits: torch.Tensor, head: str) -> torch.Tensor:
    """(B, C, H, W) logits -> (B, 3, H, W) WT/TC/ET probabilities for either head."""
    if head == "regions":
        return torch.sigmoid(logits)
    p = torch.softmax(logits, dim=1)  # background, NCR, ED, ET
    return torch.stack([1 - p[:, 0], p[:, 1] + p[:, 3], p[:, 3]], dim=1)


PRECISIONS = ("auto", "fp32", "bf16")


def fast_bf16_available(device: torch.device) -> bool:
    """True on CUDA and on CPUs with native bf16 (AVX-512 BF16 or AMX), where oneDNN runs bf16 fast."""
    if device.type == "cuda":
        return True
    probe = getattr(torch.cpu, "_is_avx512_bf16_supported", None)
    amx = getattr(torch.cpu, "_is_amx_tile_supported", None)
    return bool((probe and probe()) or (amx and amx()))


def resolve_precision(precision: str, device: str | torch.device = "cpu") -> str:
    """'auto' -> 'bf16' where the hardware runs it natively, else 'fp32'; ``MEDBRAIN_PRECISION`` overrides auto."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
    if precision == "auto":
        forced = os.environ.get("MEDBRAIN_PRECISION", "").strip().lower()
        if forced in ("fp32", "bf16"):
            return forced
        return "bf16" if fast_bf16_available(torch.device(device)) else "fp32"
    return precision


def _flip_variants(tta: bool) -> list[tuple[int, ...]]:
    return [(), (2,), (3,), (2, 3)] if tta else [()]


SLICE_MODES = ("all", "tumour")
#: What ``medbrain segment``, ``explain`` and ``report`` use unless told otherwise.
DEFAULT_SLICE_MODE = "tumour"


@dataclass(frozen=True)
class SliceSchedule:
    """Which axial slices the network runs on.

    ``"all"``: every slice of the brain crop. ``"tumour"``: a sparse pass over every
    ``stride``-th slice finds where the whole-tumour probability exceeds ``threshold``;
    then every slice within ``stride`` of such a slice is run (all flips under TTA). The
    slices in between two tumour-free samples are not run: their probabilities are
    interpolated along z from those samples (all below ``threshold``). A tumour thinner than
    ``stride - 1`` slices lying wholly between two samples can be missed; the Dice change
    over the 27 cross-validation cases is measured by ``benchmarks/cv_folds.py --slices``.
    """

    mode: str = "all"
    stride: int = 3
    threshold: float = 0.05

    def __post_init__(self) -> None:
        if self.mode not in SLICE_MODES:
            raise ValueError(f"slice mode must be one of {', '.join(SLICE_MODES)}, got {self.mode!r}")
        if self.stride < 1:
            raise ValueError(f"stride must be >= 1, got {self.stride}")

    def to_dict(self) -> dict[str, Any]:
        return {"mode": self.mode, **({"stride": self.stride, "threshold": self.threshold} if self.mode == "tumour" else {})}


#: ``on_slices(done, total)`` is called after each batch (``total`` may grow once the sparse pass is done).
ProgressFn = Callable[[int, int], None]


class _SliceRunner:
    """Runs batches of axial slices through the network into per-flip probability volumes."""

    def __init__(self, model: HybridUNetPlusPlus, volume: np.ndarray, flips: list[tuple[int, ...]], *,
                 batch_size: int, device: torch.device, use_amp: bool, on_slices: ProgressFn | None):
        self.model, self.volume, self.flips = model, volume, flips
        self.batch_size, self.device, self.use_amp = batch_size, device, use_amp
        self.pads = inplane_pad(volume.shape[1:3])
        self.layout = torch.channels_last if use_amp else torch.contiguous_format
        self.outs = [np.zeros((3, *volume.shape[1:]), dtype=np.float32) for _ in flips]
        self.on_slices = on_slices
        self.done = 0
        self.total = 0

    def run(self, zs: list[int], flip_ids: list[int]) -> None:
        """Predict slices ``zs`` for the flips ``flip_ids`` (indices into ``self.flips``)."""
        (px0, px1), (py0, py1) = self.pads
        context = self.model.config.context
        for start in range(0, len(zs), self.batch_size):
            chunk = zs[start : start + self.batch_size]
            batch = np.stack([slice_stack(self.volume, z, context) for z in chunk])
            batch = np.pad(batch, ((0, 0), (0, 0), (px0, px1), (py0, py1)))
            x = torch.from_numpy(batch).float().to(self.device)
            for k in flip_ids:
                dims = self.flips[k]
                xi = (torch.flip(x, dims) if dims else x).contiguous(memory_format=self.layout)
                with torch.autocast(device_type=self.device.type, dtype=torch.bfloat16, enabled=self.use_amp):
                    logits = self.model(xi)
                probs = logits_to_region_probs(logits.float(), self.model.config.head)
                probs = torch.flip(probs, dims) if dims else probs
                probs = probs[:, :, px0 : probs.shape[2] - px1, py0 : probs.shape[3] - py1].cpu().numpy()
                self.outs[k][..., chunk] = probs.transpose(1, 2, 3, 0)
            self.done += len(chunk)
            if self.on_slices:
                self.on_slices(self.done, self.total)


def _interpolate_skipped(out: np.ndarray, sampled: list[int], skipped: list[int]) -> None:
    """Fill slices ``skipped`` of ``out`` (3, X, Y, Z) by linear interpolation between ``sampled`` ones."""
    sampled_arr = np.asarray(sampled)
    for z in skipped:
        hi = int(np.searchsorted(sampled_arr, z))
        lo_z, hi_z = sampled_arr[max(hi - 1, 0)], sampled_arr[min(hi, len(sampled_arr) - 1)]
        w = 0.0 if hi_z == lo_z else (z - lo_z) / (hi_z - lo_z)
        out[..., z] = (1 - w) * out[..., lo_z] + w * out[..., hi_z]


@torch.no_grad()
def predict_slice_variants(
    model: HybridUNetPlusPlus,
    volume: np.ndarray,
    *,
    batch_size: int = 16,
    tta: bool = False,
    device: str | torch.device = "cpu",
    precision: str = "auto",
    schedule: SliceSchedule | None = None,
    on_slices: ProgressFn | None = None,
) -> list[np.ndarray]:
    """Region probabilities (3, X, Y, Z) for a preprocessed (4, X, Y, Z) volume, one per flip.

    Without TTA the list has one entry; with TTA four (identity, flip x, flip y, both),
    each mapped back to the unflipped orientation. ``precision`` 'bf16' runs the network
    under bf16 autocast in channels-last layout (on this project's CPU 2.4x faster than fp32;
    Dice change measured by ``benchmarks/precision_check.py``); probabilities stay float32.
    ``schedule`` picks the slices the network runs on (:class:`SliceSchedule`).
    """
    model.eval()
    schedule = schedule or SliceSchedule()
    depth = volume.shape[-1]
    flips = _flip_variants(tta)
    device = torch.device(device)
    use_amp = resolve_precision(precision, device) == "bf16"
    if use_amp:
        model.to(memory_format=torch.channels_last)
    runner = _SliceRunner(model, volume, flips, batch_size=batch_size, device=device, use_amp=use_amp,
                          on_slices=on_slices)
    every = list(range(len(flips)))
    if schedule.mode == "all" or depth <= 2 * schedule.stride:
        runner.total = depth * len(flips)
        runner.run(list(range(depth)), every)
        return runner.outs
    sampled = sorted(set(range(0, depth, schedule.stride)) | {depth - 1})
    runner.total = len(sampled) + depth * (len(flips) - 1)  # upper bound until the sparse pass is done
    runner.run(sampled, [0])
    wt = runner.outs[0][0]
    hits = [z for z in sampled if float(wt[..., z].max()) > schedule.threshold]
    near = sorted({n for z in hits for n in range(max(z - schedule.stride, 0), min(z + schedule.stride + 1, depth))})
    dense = sorted(set(near) - set(sampled))
    runner.total = len(sampled) + len(dense) + len(near) * (len(flips) - 1)
    runner.run(dense, [0])
    if len(flips) > 1:
        runner.run(near, every[1:])
    skipped = sorted(set(range(depth)) - set(sampled) - set(near))
    _interpolate_skipped(runner.outs[0], sampled, skipped)
    far = sorted(set(range(depth)) - set(near))
    for out in runner.outs[1:]:  # no tumour there: the flips would repeat the identity's near-zero values
        out[..., far] = runner.outs[0][..., far]
    return runner.outs


def predict_slices(
    model: HybridUNetPlusPlus,
    volume: np.ndarray,
    *,
    batch_size: int = 16,
    tta: bool = False,
    device: str | torch.device = "cpu",
    precision: str = "auto",
    schedule: SliceSchedule | None = None,
) -> np.ndarray:
    """Region probabilities (3, X, Y, Z), averaged over flips when ``tta``."""
    variants = predict_slice_variants(model, volume, batch_size=batch_size, tta=tta, device=device, precision=precision,
                                      schedule=schedule)
    return variants[0] if len(variants) == 1 else np.mean(variants, axis=0)


def small_components(mask: np.ndarray, min_voxels: int, keep_largest: bool = False) -> tuple[np.ndarray, int]:
    """The voxels of ``mask`` in 26-connected components of fewer than ``min_voxels`` voxels, and their count.

    ``keep_largest``: the largest component never counts as small, so a clean-up can shrink a
    multi-part finding but never erase a single small tumour.
    """
    if min_voxels <= 0 or not mask.any():
        return np.zeros_like(mask, dtype=bool), 0
    lab, n = ndimage.label(mask, structure=CONNECT_26)  # as the lesion-wise metrics
    sizes = np.bincount(lab.ravel(), minlength=n + 1)
    small = sizes < min_voxels
    small[0] = False
    if keep_largest:
        small[1 + int(np.argmax(sizes[1:]))] = False
    return small[lab], int(small.sum())


def probs_to_label(region_probs: np.ndarray, post: PostProcessing,
                   cleanup: dict[str, int] | None = None) -> np.ndarray:
    """Threshold nested region probabilities into internal labels, with component clean-up.

    When ``cleanup`` is a dict it receives what the clean-up changed (components and voxels
    removed from the tumour, ET components and voxels relabelled as necrotic core), so a
    report can say it instead of hiding it.
    """
    wt, tc, et = (region_probs[i] > post.threshold for i in range(3))
    label = regions_to_labels(wt, tc, et)
    record = {"wt_components_removed": 0, "wt_voxels_removed": 0, "et_components_relabelled": 0,
              "et_voxels_relabelled": 0}
    if post.min_wt_component_voxels:
        small, record["wt_components_removed"] = small_components(label > 0, post.min_wt_component_voxels,
                                                                  keep_largest=True)
        record["wt_voxels_removed"] = int(small.sum())
        label[small] = 0
    if post.min_et_component_voxels:
        small, record["et_components_relabelled"] = small_components(label == 4, post.min_et_component_voxels)
        record["et_voxels_relabelled"] = int(small.sum())
        label[small] = 1
    if post.min_et_voxels and 0 < int((label == 4).sum()) < post.min_et_voxels:
        record["et_voxels_relabelled"] += int((label == 4).sum())
        label[label == 4] = 1
    if cleanup is not None:
        cleanup.update(record)
    return label


def segment_preprocessed(
    model: HybridUNetPlusPlus,
    prep: Preprocessed,
    *,
    post: PostProcessing | None = None,
    tta: bool = False,
    batch_size: int = 16,
    device: str | torch.device = "cpu",
    precision: str = "auto",
    schedule: SliceSchedule | None = None,
    on_slices: ProgressFn | None = None,
) -> Prediction:
    """Segment an already preprocessed case and map the result back to full size."""
    post = post or PostProcessing()
    schedule = schedule or SliceSchedule()
    precision = resolve_precision(precision, device)
    variants = predict_slice_variants(model, prep.images, batch_size=batch_size, tta=tta, device=device,
                                      precision=precision, schedule=schedule, on_slices=on_slices)
    for v in variants:
        v *= prep.mask[None]  # nothing outside the brain
    probs = variants[0] if len(variants) == 1 else np.mean(variants, axis=0)
    cleanup: dict[str, int] = {}
    label = probs_to_label(probs, post, cleanup)
    return Prediction(
        region_probs=uncrop(probs, prep.box),
        label=uncrop(label, prep.box).astype(np.uint8),
        box=prep.box,
        settings={"tta": tta, "precision": precision, "slices": schedule.to_dict(), **post.to_dict(), "cleanup": cleanup},
        variants=variants if len(variants) > 1 else [],
    )


def segment_case(
    model: HybridUNetPlusPlus,
    case: Case,
    *,
    post: PostProcessing | None = None,
    tta: bool = False,
    batch_size: int = 16,
    device: str | torch.device = "cpu",
    precision: str = "auto",
    schedule: SliceSchedule | None = None,
    on_slices: ProgressFn | None = None,
) -> Prediction:
    """Preprocess a loaded case, segment its brain slices, return full-geometry results."""
    return segment_preprocessed(model, preprocess(case), post=post, tta=tta, batch_size=batch_size, device=device,
                                precision=precision, schedule=schedule, on_slices=on_slices)
