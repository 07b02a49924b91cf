"""Evaluating the explanation methods on one slice: the pieces the workspace and the
benchmark share (run a method, choose slices across the tumour, score one slice).

Every score uses the slice's one :class:`~medbrain.tools.slice_input.Target`; see
:mod:`medbrain.tools.faithfulness`, :mod:`medbrain.tools.localisation` and
:mod:`medbrain.tools.method_ranking` for the definitions.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

import numpy as np
import torch.nn as nn

from medbrain.tools.attention import attention
from medbrain.tools.base import AttributionResult
from medbrain.tools.faithfulness import Faithfulness, faithfulness
from medbrain.tools.gradcam import gradcam
from medbrain.tools.integrated_gradients import integrated_gradients
from medbrain.tools.localisation import localise
from medbrain.tools.method_ranking import SliceRecord
from medbrain.tools.slice_input import SliceInput, Target
from medbrain.tools.slice_lime import slice_lime, superpixels

MAP_METHODS: dict[str, Callable[..., AttributionResult]] = {
    "gradcam": gradcam,
    "integrated_gradients": integrated_gradients,
    "slice": slice_lime,
    "attention": attention,
}
COMMON_CELLS = 40  # superpixels of the common partition when SLICE did not run
MIN_SLICE_PIXELS = 50  # a slice enters the evaluation when the region covers this many pixels


def run_method(model: nn.Module, inp: SliceInput, region: str, method: str, settings: Mapping[str, Any],
               mask: np.ndarray | None = None) -> AttributionResult:
    """Run one map method with ``settings`` on ``inp`` (``mask``: the fixed target mask)."""
    return MAP_METHODS[method](model, inp, region, mask=mask, **dict(settings))


def common_cells(inp: SliceInput, segments: np.ndarray | None = None) -> np.ndarray:
    """The common partition for agreement: SLICE's superpixels when given, else SLIC ones."""
    if segments is not None:
        return np.asarray(segments)
    return superpixels(inp.sequences(), inp.brain, n_segments=COMMON_CELLS)


def evaluation_slices(region_volume: np.ndarray, first: int, n: int,
                      min_pixels: int = MIN_SLICE_PIXELS) -> list[int]:
    """``first`` plus up to ``n - 1`` slices spread evenly over the region's axial extent.

    ``region_volume`` is the (X, Y, Z) region mask; only slices where it covers at least
    ``min_pixels`` pixels are eligible.
    """
    areas = np.asarray(region_volume, dtype=bool).sum(axis=(0, 1))
    eligible = [int(z) for z in np.flatnonzero(areas >= min_pixels) if int(z) != first]
    out = [int(first)]
    if n <= 1 or not eligible:
        return out
    picks = np.linspace(0, len(eligible) - 1, num=min(n - 1, len(eligible)) + 2)[1:-1]
    for p in picks:
        z = eligible[int(round(p))]
        if z not in out:
            out.append(z)
    return out


def slice_record(z: int, target: Target, inp: SliceInput, maps: Mapping[str, np.ndarray],
                 truth: np.ndarray | None, faith: Faithfulness, seed: int = 0) -> SliceRecord:
    """Faithfulness margins and localisation of every map on one slice."""
    brain = np.ones(inp.shape, bool) if inp.brain is None else inp.brain.astype(bool)
    reference = "prediction" if truth is None else "ground_truth"
    ref = inp.unpad(target.mask.cpu().numpy()) if truth is None else np.asarray(truth, dtype=bool)
    imps = list(faith.random)
    margins = {m: {i: faith.margin(m, i) for i in imps if faith.margin(m, i) is not None} for m in faith.maps}
    scores = {m: {i: faith.maps[m][i].score for i in imps if i in faith.maps[m]} for m in faith.maps}
    beats = {m: {i: faith.beats_random(m, i) for i in imps} for m in faith.maps}
    over_prob = {m: {i: faith.maps[m][i].score - faith.probability[i].score
                     for i in imps if i in faith.maps[m] and i in faith.probability} for m in faith.maps}
    locs = {m: localise(v, ref, brain, kind=reference, seed=seed) for m, v in maps.items()}
    chance = next(iter(locs.values())).chance if locs else 0.0
    return SliceRecord(z=int(z), margins=margins, scores=scores, point_beats=beats,
                       rank_accuracy={m: l.rank_accuracy for m, l in locs.items()},
                       mass_accuracy={m: l.mass_accuracy for m, l in locs.items()},
                       pointing={m: l.pointing_game for m, l in locs.items()},
                       chance=chance, reference=reference, probability_margins=over_prob)


def evaluate_slice(model: nn.Module, inp: SliceInput, target: Target, region: str,
                   methods: Mapping[str, Mapping[str, Any]], truth: np.ndarray | None,
                   faith_settings: Mapping[str, Any], seed: int = 0, z: int | None = None
                   ) -> tuple[SliceRecord, dict[str, np.ndarray], Faithfulness]:
    """Run ``methods`` (name -> settings) on a slice and score them: (record, maps, curves)."""
    mask = inp.unpad(target.mask.cpu().numpy())
    maps = {m: run_method(model, inp, region, m, s, mask).map for m, s in methods.items()}
    faith = faithfulness(target, inp, maps, seed=seed, **dict(faith_settings))
    return slice_record(inp.z if z is None else z, target, inp, maps, truth, faith, seed), maps, faith
