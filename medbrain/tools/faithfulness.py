"""Deletion and insertion curves that can tell attribution maps apart.

Faithfulness (Petsiuk et al., RISE, BMVC 2018; Samek et al. 2017): remove the pixels a map
ranks first and watch the explained quantity fall (deletion), or start from an input with
every brain pixel removed and restore them in the map's order (insertion). The score is
always the slice's :class:`~medbrain.tools.slice_input.Target`, the quantity every method
explains (region log-odds summed over the fixed predicted mask).

What keeps the curves from saturating or favouring one method by construction:

- Pixels are ranked **within the brain** only (background never moves); ties are broken
  by a seeded random permutation, never in raster order (plateau maps such as SLICE's
  superpixels or ReLU'd zeros would otherwise delete a stripe of the image).
- Steps are **finer early** (default fractions of the brain 1, 2, 5, 10, 20, 40 %): the
  tumour is a small part of the brain, so the decisive part of a curve is its start.
- Two **imputations**: ``baseline`` (0, the z-scored mean: also Integrated Gradients' own
  baseline, which favours IG) and ``blur`` (a Gaussian-blurred copy, sigma 10 px, SLICE's kind of
  perturbation). A method should win under both.
- Scores are normalised per imputation: ``(f(x_t) - f(x_empty)) / (f(x) - f(x_empty))``
  where ``x_empty`` has every brain pixel imputed, so deletion runs from 1 to 0 and
  insertion from 0 to 1 and AUCs (trapezoid over the fraction of brain pixels) are
  comparable between maps; ``score = insertion AUC - deletion AUC`` (higher = more
  faithful, about 0 for a random order). When imputing the whole brain changes the target
  by less than ``MIN_SPAN`` (5%) of its magnitude the imputation is reported in
  ``undefined`` instead (normalising by a tiny span turns noise into large numbers).
- **Controls on the same curves**: ``random`` (i.i.d. uniform maps, ``random_maps`` draws;
  mean and spread reported) and ``probability`` (the model's own region probability: a
  trivial map that only says "the tumour is where the tumour is"). ``beats_random`` and
  ``beats_probability`` per imputation: the method's score exceeds the control's by more
  than ``RANDOM_FLOOR`` (0.05); against the random control it must also exceed every
  draw and the draws' mean by more than 3 standard deviations of the draws.
  Scores outside [0, 1] are possible and real: removing part of the evidence can lower
  the target below the fully imputed input (e.g. a blurred-in hole with sharp borders).

Every perturbed input is scored in batches (``batch_size`` per forward pass).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np
import torch
from scipy import ndimage

from medbrain.model.inference import logits_to_region_probs
from medbrain.tools.base import AttributionError
from medbrain.tools.method_ranking import RANDOM_FLOOR  # one floor for the per-slice and the ranked flags
from medbrain.tools.slice_input import REGION_CHANNEL, SliceInput, Target

FAST_FRACTIONS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.4)
FULL_FRACTIONS = (0.005, 0.01, 0.02, 0.035, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.55, 0.7, 0.85)
IMPUTATIONS = ("baseline", "blur")
BLUR_SIGMA = 10.0  # px; sigma 4 left a large WT nearly intact when the whole brain was blurred
CONTROLS = ("random", "probability")
MIN_SPAN = 0.05  # f(x) - f(x_empty) must be at least this share of their magnitude


def _r(value: float | None, nd: int = 4) -> float | None:
    return None if value is None else round(float(value), nd)


def rank_pixels(values: np.ndarray, within: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Flat indices of the ``within`` pixels in decreasing ``values`` order, ties at random."""
    idx = np.flatnonzero(np.asarray(within, dtype=bool).ravel())
    v = np.asarray(values, dtype=np.float64).ravel()[idx]
    tiebreak = rng.permutation(idx.size)
    return idx[np.lexsort((tiebreak, -v))]


def imputation(x: torch.Tensor, kind: str, sigma: float = BLUR_SIGMA) -> torch.Tensor:
    """What a removed pixel becomes: zeros (``baseline``) or a blurred copy (``blur``)."""
    if kind == "baseline":
        return torch.zeros_like(x)
    if kind == "blur":
        arr = x[0].detach().cpu().numpy()
        blurred = np.stack([ndimage.gaussian_filter(c, sigma, mode="constant") for c in arr])
        return torch.from_numpy(blurred.astype(np.float32))[None].to(device=x.device, dtype=x.dtype)
    raise AttributionError(f"Unknown imputation {kind!r}; choose one of {', '.join(IMPUTATIONS)}.")


def auc(fractions: Sequence[float], scores: Sequence[float]) -> float:
    """Trapezoid area under ``scores`` over ``fractions`` (which run from 0 to 1)."""
    f, s = np.asarray(fractions, dtype=np.float64), np.asarray(scores, dtype=np.float64)
    return float(np.sum((s[1:] + s[:-1]) / 2 * np.diff(f)))


@dataclass
class Curves:
    """Normalised deletion and insertion curves of one map under one imputation."""

    fractions: list[float]  # 0, the steps, 1
    deletion: list[float]
    insertion: list[float]

    @property
    def deletion_auc(self) -> float:
        return auc(self.fractions, self.deletion)

    @property
    def insertion_auc(self) -> float:
        return auc(self.fractions, self.insertion)

    @property
    def score(self) -> float:
        return self.insertion_auc - self.deletion_auc

    def to_dict(self, curves: bool = True) -> dict[str, Any]:
        d = {"deletion_auc": _r(self.deletion_auc), "insertion_auc": _r(self.insertion_auc),
             "score": _r(self.score)}
        if curves:
            d["fraction_removed"] = [_r(f) for f in self.fractions]
            d["deletion_curve"] = [_r(s) for s in self.deletion]
            d["insertion_curve"] = [_r(s) for s in self.insertion]
        return d


@dataclass
class Faithfulness:
    """Curves of every map and control on one slice; see the module docstring."""

    maps: dict[str, dict[str, Curves]]  # method -> imputation -> curves
    random: dict[str, list[Curves]]  # imputation -> one per random draw
    probability: dict[str, Curves]
    clean_score: float
    empty_scores: dict[str, float]
    brain_pixels: int
    forward_passes: int
    settings: dict[str, Any] = field(default_factory=dict)
    undefined: dict[str, str] = field(default_factory=dict)  # imputation -> why

    def random_score(self, imp: str) -> tuple[float, float]:
        """(mean, standard deviation) of the random control's score under ``imp``."""
        values = [c.score for c in self.random.get(imp, [])]
        if not values:
            return float("nan"), float("nan")
        return float(np.mean(values)), float(np.std(values))

    def margin(self, name: str, imp: str) -> float | None:
        """Score of ``name`` minus the random control's mean score (higher = better)."""
        if name not in self.maps or imp not in self.maps[name]:
            return None
        return self.maps[name][imp].score - self.random_score(imp)[0]

    def beats_random(self, name: str, imp: str) -> bool | None:
        """Above every random draw, by more than max(3 sd of the draws, ``RANDOM_FLOOR``) on average."""
        m = self.margin(name, imp)
        if m is None:
            return None
        best_draw = max(c.score for c in self.random[imp])
        return bool(self.maps[name][imp].score > best_draw and m > max(3 * self.random_score(imp)[1], RANDOM_FLOOR))

    def method_dict(self, name: str, curves: bool = True) -> dict[str, Any]:
        per = {imp: c.to_dict(curves) for imp, c in self.maps.get(name, {}).items()}
        beats = {imp: self.beats_random(name, imp) for imp in per}
        over_prob = {imp: (self.maps[name][imp].score - self.probability[imp].score
                           if imp in self.probability else None) for imp in per}
        return {**per, "margin_vs_random": {imp: _r(self.margin(name, imp)) for imp in per},
                "beats_random": beats,
                "beats_random_both": all(beats.values()) if beats else None,
                "margin_vs_probability": {imp: _r(v) for imp, v in over_prob.items()},
                "beats_probability": {imp: None if v is None else bool(v > RANDOM_FLOOR)
                                      for imp, v in over_prob.items()}}

    def controls_dict(self) -> dict[str, Any]:
        rnd = {}
        for imp, draws in self.random.items():
            mean, sd = self.random_score(imp)
            rnd[imp] = {"score_mean": _r(mean), "score_sd": _r(sd), "draws": len(draws),
                        "deletion_auc": _r(np.mean([c.deletion_auc for c in draws])),
                        "insertion_auc": _r(np.mean([c.insertion_auc for c in draws])),
                        "deletion_curve": [_r(v) for v in np.mean([c.deletion for c in draws], axis=0)],
                        "insertion_curve": [_r(v) for v in np.mean([c.insertion for c in draws], axis=0)]}
        prob = {imp: c.to_dict() for imp, c in self.probability.items()}
        prob_beats = {imp: bool(c.score > max(d.score for d in self.random[imp]) and
                                c.score - self.random_score(imp)[0] > max(3 * self.random_score(imp)[1], RANDOM_FLOOR))
                      for imp, c in self.probability.items() if imp in self.random}
        return {"random": rnd, "probability": {**prob, "beats_random": prob_beats}}

    def to_dict(self) -> dict[str, Any]:
        return {
            "definition": ("normalised score (f(x_t) - f(x_empty)) / (f(x) - f(x_empty)); deletion "
                           "removes the top-ranked brain pixels, insertion restores them; "
                           "score = insertion AUC - deletion AUC"),
            "clean_score": _r(self.clean_score),
            "empty_scores": {k: _r(v) for k, v in self.empty_scores.items()},
            "brain_pixels": int(self.brain_pixels),
            "methods": {name: self.method_dict(name) for name in self.maps},
            "controls": self.controls_dict(),
            "forward_passes": int(self.forward_passes),
            "settings": dict(self.settings),
            "undefined": dict(self.undefined),
        }


def probability_map(target: Target, inp: SliceInput) -> np.ndarray:
    """The model's own region probability on the clean slice (the trivial control map)."""
    probs = logits_to_region_probs(target.logits.float(), target.wrapper.target.head)
    return inp.unpad(probs[0, REGION_CHANNEL[target.region]]).astype(np.float64)


def faithfulness(target: Target, inp: SliceInput, maps: Mapping[str, np.ndarray], *,
                 fractions: Sequence[float] = FAST_FRACTIONS, imputations: Sequence[str] = IMPUTATIONS,
                 blur_sigma: float = BLUR_SIGMA, random_maps: int = 2, seed: int = 0,
                 batch_size: int = 16, precision: str = "fp32") -> Faithfulness:
    """Deletion/insertion curves of ``maps`` (name -> (X, Y)) and the controls on one slice.

    Cost: ``len(imputations) * (1 + 2 * len(fractions) * (len(maps) + 1 + random_maps))``
    forward passes. Deterministic for a given ``seed`` (tie-breaking and random maps).
    ``precision`` of the scoring passes (the clean slice is scored in the same one).
    """
    fr = sorted(float(f) for f in fractions)
    if not fr or fr[0] <= 0 or fr[-1] >= 1:
        raise AttributionError("fractions must lie strictly between 0 and 1.")
    brain = np.ones(inp.shape, bool) if inp.brain is None else inp.brain.astype(bool)
    n = int(brain.sum())
    if n < 10:
        raise AttributionError("The slice holds fewer than 10 brain pixels: no curves to draw.")
    for name, m in maps.items():
        if np.shape(m) != inp.shape:
            raise AttributionError(f"The {name} map has shape {np.shape(m)}, the slice {inp.shape}.")
    rng = np.random.default_rng(seed)
    named = {**{str(k): np.asarray(v, dtype=np.float64) for k, v in maps.items()},
             "__probability__": probability_map(target, inp)}
    for i in range(random_maps):
        named[f"__random{i}__"] = rng.random(inp.shape)
    orders = {name: rank_pixels(values, brain, rng) for name, values in named.items()}
    counts = [max(1, int(round(f * n))) for f in fr]
    padded_brain = torch.from_numpy(inp.pad_map(brain)).to(inp.tensor.device)
    x = inp.tensor
    (x0, _), (y0, _) = inp.pad
    width = inp.padded_shape[1]

    def to_padded(flat: np.ndarray) -> np.ndarray:
        rows, cols = np.divmod(flat, inp.shape[1])
        return (rows + x0) * width + (cols + y0)

    padded_orders = {k: torch.from_numpy(to_padded(v)).to(x.device) for k, v in orders.items()}
    jobs = [(name, kind, k) for name in named for kind in ("deletion", "insertion") for k in counts]
    result_maps: dict[str, dict[str, Curves]] = {}
    rnd: dict[str, list[Curves]] = {}
    prob: dict[str, Curves] = {}
    empty_scores, undefined = {}, {}
    passes = 0
    s1 = target.clean_score(x, precision)
    for imp in imputations:
        filled = imputation(x, imp, blur_sigma)
        empty = torch.where(padded_brain[None, None], filled, x)
        s0 = float(target.evaluate(lambda a, b: empty, 1, precision=precision)[0])
        empty_scores[imp] = s0

        def make(a: int, b: int) -> torch.Tensor:
            keep = torch.empty((b - a, padded_brain.numel()), dtype=x.dtype, device=x.device)
            for row, (name, kind, k) in enumerate(jobs[a:b]):
                top = padded_orders[name][:k]
                keep[row] = 1.0 if kind == "deletion" else (~padded_brain).reshape(-1).to(x.dtype)
                keep[row, top] = 0.0 if kind == "deletion" else 1.0
            keep = keep.reshape(b - a, 1, *inp.padded_shape)
            return filled + (x - filled) * keep

        raw = target.evaluate(make, len(jobs), batch_size, precision=precision)
        passes += 1 + len(jobs)
        span = s1 - s0
        if span <= MIN_SPAN * max(abs(s1), abs(s0), 1.0):
            undefined[imp] = (f"imputing every brain pixel ({imp}) barely lowers the target "
                              f"({s0:.4g} vs {s1:.4g}): normalised curves would be noise")
            continue
        norm = (raw - s0) / span
        at = {job: float(v) for job, v in zip(jobs, norm)}
        fx = [0.0, *fr, 1.0]
        for name in named:
            dele = [1.0, *[at[(name, "deletion", k)] for k in counts], 0.0]
            ins = [0.0, *[at[(name, "insertion", k)] for k in counts], 1.0]
            curves = Curves(fx, dele, ins)
            if name == "__probability__":
                prob[imp] = curves
            elif name.startswith("__random"):
                rnd.setdefault(imp, []).append(curves)
            else:
                result_maps.setdefault(name, {})[imp] = curves
    return Faithfulness(
        maps=result_maps, random=rnd, probability=prob, clean_score=s1, empty_scores=empty_scores,
        brain_pixels=n, forward_passes=passes, undefined=undefined,
        settings={"fractions": fr, "imputations": list(imputations), "blur_sigma": float(blur_sigma),
                  "random_maps": int(random_maps), "seed": int(seed), "batch_size": int(batch_size),
                  "precision": precision,
                  "ranking": "within the brain, ties broken at random", "random_floor": RANDOM_FLOOR})
