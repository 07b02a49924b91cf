"""Consistency of the seed-free explanation methods: their maps under a mirror of the input.

Grad-CAM, Integrated Gradients and attention have no random seed: run twice on the same
input they return the same map, so "consistent across seeds" says nothing about them (that
test is SLICE's, :mod:`medbrain.tools.slice_stability`). What can be tested is whether a map
follows the image: the network is trained with in-plane flips, so mirroring the slice
left-right should mirror the explanation. The method runs again on the mirrored slice
stack, explaining the mirrored target mask (the same explained quantity), its map is
mirrored back, and the two maps are compared exactly as two methods are (|maps| pooled on
the common cells, :func:`medbrain.tools.agreement.agreement`). A map that does not survive
the mirror depends on where things sit on the grid (token or feature-map alignment,
padding), not only on the image, and is reported as not consistent.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Callable

import numpy as np

from medbrain.tools.agreement import agreement
from medbrain.tools.slice_input import SliceInput

MIN_SPEARMAN = 0.5  # the agreement threshold two methods must pass to "agree" (compare_methods)
SEED_FREE = ("gradcam", "integrated_gradients", "attention")
MIRROR_AXIS = "left-right (the first in-plane axis)"


def mirror_input(inp: SliceInput) -> SliceInput:
    """``inp`` mirrored along the first in-plane axis (padding and brain mask mirrored with it)."""
    (x0, x1), ys = inp.pad
    brain = None if inp.brain is None else np.ascontiguousarray(inp.brain[::-1])
    return replace(inp, tensor=inp.tensor.flip(-2), pad=((x1, x0), ys), brain=brain)


def mirror_consistency(explain: Callable[[SliceInput, np.ndarray], np.ndarray], inp: SliceInput,
                       mask: np.ndarray, original: np.ndarray, cells: np.ndarray, *,
                       min_spearman: float = MIN_SPEARMAN) -> dict[str, Any]:
    """Agreement of ``original`` with the map ``explain`` gives on the mirrored input, mirrored back.

    ``explain(inp, mask)`` runs the method with its settings and returns its (X, Y) map;
    ``mask`` is the explained target mask on ``inp``'s slice grid; ``cells`` the common
    partition the methods are compared on.
    """
    mirrored = explain(mirror_input(inp), np.ascontiguousarray(np.asarray(mask)[::-1]))
    back = np.ascontiguousarray(np.asarray(mirrored, dtype=np.float64)[::-1])
    pair = agreement({"original": np.asarray(original, dtype=np.float64), "mirrored": back}, cells)[0]
    rho = pair.spearman
    return {"test": "mirror", "axis": MIRROR_AXIS, "seed_free": True,
            "spearman_abs": None if rho is None else round(float(rho), 4),
            "iou_top10": None if pair.iou_top is None else round(float(pair.iou_top), 4),
            "min_spearman": min_spearman,
            "consistent": None if rho is None else bool(rho >= min_spearman)}


def method_consistency(method: str, explanation: dict[str, Any], mirror: dict[str, Any] | None) -> dict[str, Any]:
    """The one consistency entry per method in the comparison: SLICE over seeds, the others under the mirror."""
    if method == "slice":
        seeds = explanation.get("consistency") or {}
        return {"test": "independent seeds", "runs": seeds.get("runs"), "seeds": seeds.get("seeds"),
                "rank_correlation": seeds.get("rank_correlation"), "consistent": seeds.get("consistent")}
    if mirror is None:
        return {"test": "not run", "seed_free": method in SEED_FREE, "consistent": None}
    return dict(mirror)
