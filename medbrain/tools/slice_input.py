"""One axial slice as network input, and the scalar target that attributions explain.

Segmentation networks output a map, attribution methods explain a scalar. Following the
captum maintainers' advice for segmentation (captum issues #119/#343 and the captum
segmentation tutorial), the explained scalar is the region's evidence summed over the
pixels the model predicts as that region; the prediction mask is computed once from the
unperturbed input and held fixed, so perturbed or interpolated inputs are scored on the
same pixels.

Region evidence per pixel is the region's log-odds ``log p / (1 - p)``:

- ``head="regions"`` (sigmoid WT/TC/ET): exactly the channel's logit.
- ``head="softmax"`` (background, NCR, ED, ET): ``logsumexp`` of the logits of the classes
  making up the region minus ``logsumexp`` of the other classes (WT = NCR+ED+ET,
  TC = NCR+ET, ET = ET). Softmax logits are only defined up to a shared shift, so a raw sum
  of class logits is not a measure of evidence; the region log-odds is, and it is the
  exact analogue of the sigmoid head's logit.

This target is *the* explained quantity of the package: every attribution method, the
per-sequence Shapley values and every faithfulness metric (deletion/insertion curves, the
randomisation check) score inputs with the same :class:`Target` of a slice and region, so
a method is never judged on a quantity other than the one it explains. SLICE uses the
mean instead of the sum over the same mask (a constant factor ``1 / pixels``).

The perturbation metrics and SLICE score many inputs without gradients; they may do so in
``precision="bf16"`` (autocast, channels-last, the target reduced in float32), which on a
CPU with native bf16 is about 3x faster; the unperturbed input is then scored in the same
precision, so a curve or a surrogate never mixes precisions. Gradient methods stay float32.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
import torch.nn as nn

from medbrain.model.inference import logits_to_region_probs
from medbrain.model.slicing import inplane_pad, slice_stack
from medbrain.tools.base import AttributionError, EmptyRegionError, check_region, eval_mode, model_head

REGION_CHANNEL = {"WT": 0, "TC": 1, "ET": 2}  # regions head / logits_to_region_probs order
REGION_CLASSES = {"WT": (1, 2, 3), "TC": (1, 3), "ET": (3,)}  # softmax head: bg, NCR, ED, ET
REDUCTIONS = ("sum", "mean")
SCORING_PRECISIONS = ("fp32", "bf16")

Pad = tuple[tuple[int, int], tuple[int, int]]


@dataclass
class SliceInput:
    """A padded (1, C, H, W) network input for axial slice ``z`` and how to undo the padding.

    ``shape`` (X, Y) is the cropped slice grid of the preprocessed volume; ``pad`` the
    (before, after) zero padding per in-plane axis that makes H, W multiples of 32.
    ``brain`` is the slice's brain mask (X, Y) when known.
    """

    tensor: torch.Tensor
    z: int
    context: int
    pad: Pad
    brain: np.ndarray | None = None

    @property
    def padded_shape(self) -> tuple[int, int]:
        return int(self.tensor.shape[-2]), int(self.tensor.shape[-1])

    @property
    def shape(self) -> tuple[int, int]:
        (x0, x1), (y0, y1) = self.pad
        h, w = self.padded_shape
        return h - x0 - x1, w - y0 - y1

    @property
    def centre_channels(self) -> list[int]:
        """Channels of the centre slice's t1, t1ce, t2, flair in the stacked input."""
        return [4 * self.context + m for m in range(4)]

    def unpad(self, map2d: np.ndarray | torch.Tensor) -> np.ndarray:
        """(..., H, W) map on the padded grid -> (..., X, Y) numpy array on the slice grid."""
        if isinstance(map2d, torch.Tensor):
            map2d = map2d.detach().cpu().numpy()
        (x0, x1), (y0, y1) = self.pad
        h, w = map2d.shape[-2:]
        if (h, w) != self.padded_shape:
            raise AttributionError(f"Map of shape {(h, w)} is not on the padded grid {self.padded_shape}.")
        return np.ascontiguousarray(map2d[..., x0 : h - x1, y0 : w - y1])

    def pad_map(self, map2d: np.ndarray) -> np.ndarray:
        """(..., X, Y) map on the slice grid -> (..., H, W) on the padded grid (zeros around)."""
        map2d = np.asarray(map2d)
        if tuple(map2d.shape[-2:]) != self.shape:
            raise AttributionError(f"Map of shape {map2d.shape[-2:]} does not match the slice {self.shape}.")
        widths = [(0, 0)] * (map2d.ndim - 2) + [self.pad[0], self.pad[1]]
        return np.pad(map2d, widths)

    def sequences(self) -> np.ndarray:
        """The centre slice's four sequences (4, X, Y) in t1, t1ce, t2, flair order."""
        return self.unpad(self.tensor[0, self.centre_channels])

    def inside(self) -> torch.Tensor:
        """(H, W) bool: True on the real slice (not padding) and, when known, in the brain."""
        inner = np.ones(self.shape, dtype=bool) if self.brain is None else self.brain.astype(bool)
        return torch.from_numpy(self.pad_map(inner)).to(self.tensor.device)


def slice_input_from_stack(stack: np.ndarray, z: int = 0, context: int = 0,
                           brain: np.ndarray | None = None) -> SliceInput:
    """Build a :class:`SliceInput` from an already stacked (C, X, Y) slice."""
    stack = np.asarray(stack, dtype=np.float32)
    if stack.ndim != 3 or stack.shape[0] != 4 * (2 * context + 1):
        raise AttributionError(
            f"Expected a ({4 * (2 * context + 1)}, X, Y) stack for context={context}, got {stack.shape}."
        )
    pad = inplane_pad(stack.shape[1:3])
    padded = np.pad(stack, ((0, 0), pad[0], pad[1]))
    if brain is not None:
        brain = np.asarray(brain, dtype=bool)
        if brain.shape != stack.shape[1:]:
            raise AttributionError(f"Brain mask {brain.shape} does not match the slice {stack.shape[1:]}.")
    return SliceInput(torch.from_numpy(padded)[None], int(z), int(context), pad, brain)


def make_slice_input(prep_images: np.ndarray, z: int, context: int,
                     mask: np.ndarray | None = None) -> SliceInput:
    """Input for axial slice ``z`` of a preprocessed (4, X, Y, Z) volume.

    ``context`` neighbouring slices per side are stacked as extra channels exactly as in
    training (:func:`medbrain.model.slicing.slice_stack`). ``mask`` is the brain mask,
    (X, Y, Z) or already (X, Y).
    """
    prep_images = np.asarray(prep_images)
    if prep_images.ndim != 4 or prep_images.shape[0] != 4:
        raise AttributionError(f"Expected a preprocessed (4, X, Y, Z) volume, got {prep_images.shape}.")
    depth = prep_images.shape[-1]
    if not 0 <= z < depth:
        raise AttributionError(f"Slice {z} is outside the volume (0..{depth - 1}).")
    brain = None
    if mask is not None:
        mask = np.asarray(mask, dtype=bool)
        brain = mask[..., z] if mask.ndim == 3 else mask
    return slice_input_from_stack(slice_stack(prep_images, z, context), z, context, brain)


def region_log_odds(logits: torch.Tensor, region: str, head: str) -> torch.Tensor:
    """(B, C, H, W) logits -> (B, H, W) per-pixel log-odds of ``region`` for either head."""
    region = check_region(region)
    if head == "regions":
        return logits[:, REGION_CHANNEL[region]]
    inside = list(REGION_CLASSES[region])
    outside = [c for c in range(logits.shape[1]) if c not in inside]
    return torch.logsumexp(logits[:, inside], dim=1) - torch.logsumexp(logits[:, outside], dim=1)


@dataclass
class RegionTarget:
    """Callable ``logits (B, C, H, W) -> (B,)``: the region's log-odds reduced over ``mask``.

    ``mask`` is an (H, W) bool tensor on the padded grid (None = every pixel);
    ``reduction`` "sum" (captum's advice, the default) or "mean" over the mask.
    """

    region: str
    head: str
    mask: torch.Tensor | None = None
    reduction: str = "sum"

    def __call__(self, logits: torch.Tensor) -> torch.Tensor:
        evidence = region_log_odds(logits, self.region, self.head)
        if self.mask is None:
            weights = torch.ones_like(evidence[0])
        else:
            weights = self.mask.to(device=evidence.device, dtype=evidence.dtype)
        total = (evidence * weights).sum(dim=(1, 2))
        if self.reduction == "mean":
            total = total / weights.sum().clamp_min(1.0)
        return total


def region_target(region: str, head: str, mask: torch.Tensor | None = None,
                  reduction: str = "sum") -> Callable[[torch.Tensor], torch.Tensor]:
    """Target callable for ``region``: log-odds summed (or averaged) over ``mask``."""
    if head not in ("regions", "softmax"):
        raise AttributionError(f"Unknown head {head!r}; expected 'regions' or 'softmax'.")
    if reduction not in REDUCTIONS:
        raise AttributionError(f"Unknown reduction {reduction!r}; choose one of {', '.join(REDUCTIONS)}.")
    return RegionTarget(check_region(region), head, mask, reduction)


class SegmentationTargetWrapper(nn.Module):
    """``model`` followed by :func:`region_target` over a fixed mask: forward gives (B,).

    With a (B,) output captum's ``target=None`` works for every method.
    """

    def __init__(self, model: nn.Module, region: str, mask: torch.Tensor, head: str | None = None,
                 reduction: str = "sum"):
        super().__init__()
        self.model = model
        self.target = region_target(region, model_head(model, head), mask.bool(), reduction)

    @property
    def mask(self) -> torch.Tensor:
        return self.target.mask

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.target(self.model(x))


@dataclass
class Target:
    """The fixed explanation target of one slice: wrapper, mask, clean score."""

    wrapper: SegmentationTargetWrapper
    mask: torch.Tensor  # (H, W) bool on the padded grid
    score: float  # target on the unperturbed input
    logits: torch.Tensor  # (1, C, H, W) logits of the unperturbed input

    @property
    def pixels(self) -> int:
        return int(self.mask.sum())

    @property
    def region(self) -> str:
        return self.wrapper.target.region

    @torch.no_grad()
    def scores(self, batch: torch.Tensor, precision: str = "fp32") -> torch.Tensor:
        """(B,) float32 target of ``batch`` without gradients; ``precision`` 'bf16' runs the
        network under bf16 autocast (channels-last) and reduces its logits in float32."""
        if precision not in SCORING_PRECISIONS:
            raise AttributionError(f"precision must be one of {', '.join(SCORING_PRECISIONS)}, got {precision!r}")
        if precision == "fp32":
            return self.wrapper(batch).float()
        with torch.autocast(device_type=batch.device.type, dtype=torch.bfloat16):
            logits = self.wrapper.model(batch.contiguous(memory_format=torch.channels_last))
        return self.wrapper.target(logits.float())

    def clean_score(self, x: torch.Tensor, precision: str = "fp32") -> float:
        """The target on the unperturbed input ``x`` in ``precision`` (``score`` itself for fp32)."""
        if precision == "fp32":
            return float(self.score)
        with eval_mode(self.wrapper.model):
            return float(self.scores(x, precision)[0])

    @torch.no_grad()
    def evaluate(self, make_batch: Callable[[int, int], torch.Tensor], n: int, batch_size: int = 16,
                 precision: str = "fp32") -> np.ndarray:
        """Scores of ``n`` inputs built lazily by ``make_batch(start, stop)``, in batches.

        Returns a float64 array (n,). The model runs without gradients, ``batch_size``
        inputs per forward pass (memory is linear in it), in ``precision``.
        """
        out = []
        step = max(1, int(batch_size))
        with eval_mode(self.wrapper.model):
            for start in range(0, n, step):
                batch = make_batch(start, min(start + step, n))
                out.append(self.scores(batch, precision).double().cpu().numpy())
        return np.concatenate(out) if out else np.zeros(0)

    def describe(self) -> dict[str, object]:
        """JSON-ready definition of the explained quantity (for the facts)."""
        t = self.wrapper.target
        return {"quantity": f"{t.region} log-odds {t.reduction} over the fixed predicted mask",
                "region": t.region, "reduction": t.reduction, "pixels": self.pixels,
                "score": float(self.score), "units": "log-odds" if t.reduction == "mean" else "summed log-odds"}


def prediction_mask(logits: torch.Tensor, inp: SliceInput, region: str, head: str,
                    threshold: float = 0.5) -> torch.Tensor:
    """(H, W) bool: pixels of ``region`` with probability > ``threshold`` on the real slice.

    ``logits`` is (1, C, H, W) or (C, H, W) of the unperturbed input; outside the slice
    (padding) and, when known, outside the brain nothing is part of the mask.
    """
    logits = logits if logits.dim() == 4 else logits[None]
    probs = logits_to_region_probs(logits.float(), head)[0, REGION_CHANNEL[check_region(region)]]
    return (probs > threshold) & inp.inside().to(probs.device)


def build_target(model: nn.Module, inp: SliceInput, region: str, *, mask: np.ndarray | None = None,
                 head: str | None = None, threshold: float = 0.5, reduction: str = "sum") -> Target:
    """Run the model once on ``inp`` and fix the target mask.

    Default mask: pixels whose ``region`` probability exceeds ``threshold`` on the real
    slice (and inside the brain when known). ``mask`` (X, Y) on the slice grid overrides it,
    e.g. with the ground truth. Raises :class:`EmptyRegionError` when the mask is empty.
    """
    region = check_region(region)
    head = model_head(model, head)
    with eval_mode(model), torch.no_grad():
        logits = model(inp.tensor)
    if mask is not None:
        fixed = torch.from_numpy(inp.pad_map(np.asarray(mask, dtype=bool))).to(logits.device)
        source = "the given mask"
    else:
        fixed = prediction_mask(logits, inp, region, head, threshold)
        source = f"the model's prediction (p > {threshold})"
    if not bool(fixed.any()):
        raise EmptyRegionError(
            f"No {region} pixels on slice z={inp.z} in {source}: nothing to explain. "
            "Pick a slice or region where tumour is predicted (e.g. the largest-tumour slice), "
            "or pass an explicit mask."
        )
    wrapper = SegmentationTargetWrapper(model, region, fixed, head, reduction)
    score = float(wrapper.target(logits)[0])
    return Target(wrapper, fixed, score, logits)
