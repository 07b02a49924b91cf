"""Common base of the attribution tools: errors, result dataclass, map helpers.

Every attribution tool (``gradcam``, ``integrated_gradients``, ``slice_lime``,
``attention``) is a plain function ``tool(model, slice_input, region, **settings)`` that
returns a subclass of :class:`AttributionResult`: the 2-D map on the cropped slice grid
as a numpy array plus ``to_dict()`` with JSON-ready numbers (no numpy types, no maps).
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterator

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from medbrain.errors import MedBrainError

REGIONS = ("WT", "TC", "ET")
SEQUENCES = ("t1", "t1ce", "t2", "flair")


class AttributionError(MedBrainError):
    """An explanation could not be computed for this model, slice or region."""


class EmptyRegionError(AttributionError):
    """The model predicts none of the requested region on the slice: nothing to explain."""


class NoAttentionError(AttributionError):
    """The network has no transformer block (the ablation), so it has no attention."""


def check_region(region: str) -> str:
    """Validate a region name (case-insensitive) and return it upper-case."""
    name = str(region).upper()
    if name not in REGIONS:
        raise AttributionError(f"Unknown region {region!r}; choose one of {', '.join(REGIONS)}.")
    return name


def model_head(model: nn.Module, head: str | None = None) -> str:
    """The output head ("regions" or "softmax") of ``model``, or ``head`` when given."""
    head = head or getattr(getattr(model, "config", None), "head", None)
    if head not in ("regions", "softmax"):
        raise AttributionError(
            "Cannot tell the model's output head; pass head='regions' or head='softmax'."
        )
    return head


@contextmanager
def eval_mode(model: nn.Module) -> Iterator[nn.Module]:
    """Put ``model`` in eval mode for the block and restore its previous mode after."""
    was_training = model.training
    model.eval()
    try:
        yield model
    finally:
        model.train(was_training)


@contextmanager
def stopwatch() -> Iterator[dict[str, float]]:
    """``with stopwatch() as t: ...`` then ``t["seconds"]`` holds the wall time."""
    out = {"seconds": 0.0}
    start = time.perf_counter()
    try:
        yield out
    finally:
        out["seconds"] = time.perf_counter() - start


def normalise01(values: np.ndarray) -> np.ndarray:
    """Min-max scale to [0, 1] for display (all zeros when the map is constant)."""
    values = np.asarray(values, dtype=np.float32)
    lo, hi = float(values.min()), float(values.max())
    if hi - lo <= 1e-12:
        return np.zeros_like(values)
    return (values - lo) / (hi - lo)


def upsample(grid: torch.Tensor, size: tuple[int, int], mode: str = "bilinear") -> torch.Tensor:
    """(h, w) or (B, 1, h, w) map -> (H, W) float tensor by interpolation."""
    t = grid.detach().float()
    while t.dim() < 4:
        t = t.unsqueeze(0)
    kwargs = {"align_corners": False} if mode in ("bilinear", "bicubic") else {}
    return F.interpolate(t, size=size, mode=mode, **kwargs)[0, 0]


def map_stats(values: np.ndarray) -> dict[str, Any]:
    """JSON-ready summary of a 2-D map: shape, range, mean, absolute mass, peak (x, y)."""
    values = np.asarray(values, dtype=np.float64)
    peak = np.unravel_index(int(np.argmax(values)), values.shape)
    return {
        "shape": [int(s) for s in values.shape],
        "min": float(values.min()),
        "max": float(values.max()),
        "mean": float(values.mean()),
        "abs_sum": float(np.abs(values).sum()),
        "positive_fraction": float((values > 0).mean()),
        "peak_xy": [int(peak[0]), int(peak[1])],
    }


def to_builtin(value: Any) -> Any:
    """Recursively turn numpy scalars/arrays and tuples into JSON-ready Python objects."""
    if isinstance(value, dict):
        return {str(k): to_builtin(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_builtin(v) for v in value]
    if isinstance(value, np.ndarray):
        return to_builtin(value.tolist())
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


@dataclass(kw_only=True)
class AttributionResult:
    """What every attribution tool returns.

    ``map`` is (X, Y) on the cropped slice grid (same indexing as the preprocessed
    volume's axial slice). ``target_score`` is the explained scalar (see
    :func:`medbrain.tools.slice_input.region_target`) and ``target_pixels`` the number of
    pixels of the fixed predicted-region mask it sums over.
    """

    method: str
    region: str
    z: int
    map: np.ndarray
    target_score: float
    target_pixels: int
    seconds: float
    settings: dict[str, Any] = field(default_factory=dict)

    def extra_dict(self) -> dict[str, Any]:
        """Method-specific JSON-ready numbers (overridden by subclasses)."""
        return {}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready numbers of the result (the maps themselves are not included)."""
        return to_builtin({
            "method": self.method,
            "region": self.region,
            "z": int(self.z),
            "target": {"score": float(self.target_score), "pixels": int(self.target_pixels)},
            "map": map_stats(self.map),
            "seconds": round(float(self.seconds), 3),
            "settings": dict(self.settings),
            **self.extra_dict(),
        })
