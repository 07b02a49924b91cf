"""Cascading model-parameter randomisation (Adebayo et al., "Sanity checks for saliency
maps", NeurIPS 2018) on the real network.

Starting from the output, groups of layers are re-initialised cumulatively - the
segmentation head, then the decoder, then the transformer block, then the encoder - and
every method is re-run on the randomised copy with the *original* target (same slice,
same fixed mask). A method whose map survives the destruction of the weights it claims to
explain is showing the input (edges, intensity), not the model. Similarity to the
original map at each stage:

- ``spearman_abs``: Spearman of |map| pooled on the common partition (superpixels, as in
  :mod:`medbrain.tools.agreement`), the resolution-fair comparison;
- ``spearman_pixels_abs``: the same on brain pixels (Adebayo et al.'s absolute-value rank
  correlation); ``spearman_pixels_signed``: without the absolute value (for signed maps,
  |IG| keeps the input's own structure even on a random network, the effect Adebayo et al.
  warn about, while its sign follows the weights).

The original maps are recomputed with the same explainers (same settings) on the intact
model, so a similarity drop measures the weights, not a change of settings.

A constant randomised map (e.g. an all-zero Grad-CAM) has no rank order: similarity 0.
A method whose map on the *intact* model is constant over the brain (e.g. an empty attention
map) cannot be tested at all: it is ``untestable``, neither passed nor failed (a similarity of
0 would otherwise read as a pass).
``passes``: the pooled |map| similarity after the last stage is below ``MAX_SIMILARITY``
(0.5); ``passes_signed``: the signed pixel similarity is (a signed method can fail the first
and pass the second: its magnitudes follow the input, its signs the weights).
Layer re-initialisation uses each module's own ``reset_parameters`` under a fixed seed.

``final_only`` (the fast budget) skips the intermediate stages and re-initialises every group
at once, each with the seed it gets in the cascade, so the network is the cascade's last stage
weight for weight and the pass/fail verdicts (which read only that stage) are the same: two
runs per method instead of one plus one per stage. ``originals`` reuses maps already computed
on the intact model with the same settings.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import torch
import torch.nn as nn
from scipy.stats import spearmanr

from medbrain.tools.agreement import pool
from medbrain.tools.base import stopwatch

MAX_SIMILARITY = 0.5
Explainer = Callable[[nn.Module], np.ndarray]


def stage_groups(model: nn.Module) -> list[tuple[str, list[nn.Module]]]:
    """Cumulative randomisation stages, top (output) first, for the hybrid network."""
    net = getattr(model, "net", None)
    if net is None:
        return [("all", [model])]
    stages = [("segmentation_head", [net.segmentation_head]), ("decoder", [net.decoder])]
    if getattr(model, "bottleneck", None) is not None:
        stages.append(("transformer_block", [model.bottleneck]))
    stages.append(("encoder", [net.encoder]))
    return stages


def randomise_(modules: Sequence[nn.Module], seed: int) -> None:
    """Re-initialise every parameterised submodule of ``modules`` in place (seeded)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        for root in modules:
            for m in root.modules():
                own = list(m.parameters(recurse=False))
                if not own:
                    continue
                if hasattr(m, "reset_parameters"):
                    m.reset_parameters()
                else:
                    with torch.no_grad():
                        for p in own:
                            p.normal_(0, 0.02)


def _similarity(a: np.ndarray, b: np.ndarray) -> float:
    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return 0.0
    rho = spearmanr(a, b).statistic
    return 0.0 if np.isnan(rho) else float(rho)


@dataclass
class Randomisation:
    """Similarity of each method's map to its original at every cumulative stage."""

    stages: list[str]
    similarity: dict[str, list[dict[str, float]]]  # method -> one entry per stage
    seconds: float
    settings: dict[str, Any] = field(default_factory=dict)
    untestable: set[str] = field(default_factory=set)  # methods whose intact map is constant over the brain

    def passes(self, method: str) -> bool:
        return method not in self.untestable and bool(self.similarity[method][-1]["spearman_abs"] < MAX_SIMILARITY)

    def passes_signed(self, method: str) -> bool:
        return method not in self.untestable and bool(
            self.similarity[method][-1]["spearman_pixels_signed"] < MAX_SIMILARITY)

    def to_dict(self) -> dict[str, Any]:
        final_only = bool(self.settings.get("final_only"))
        return {
            "test": ("parameter randomisation of every layer at once (the last stage of Adebayo et al.'s 2018 "
                     "cascade)" if final_only else
                     "cascading parameter randomisation (Adebayo et al. 2018), top layers first"),
            "stages": list(self.stages),
            "max_similarity": MAX_SIMILARITY,
            "methods": {m: {"similarity": [{k: round(v, 4) for k, v in s.items()} for s in sims],
                            "final_spearman_abs": round(sims[-1]["spearman_abs"], 4),
                            "passes": self.passes(m), "passes_signed": self.passes_signed(m),
                            **({"untestable": "its map on the intact model is constant (empty): nothing to compare"}
                               if m in self.untestable else {})}
                        for m, sims in self.similarity.items()},
            "passed": sorted(m for m in self.similarity if self.passes(m)),
            "failed": sorted(m for m in self.similarity if not self.passes(m) and m not in self.untestable),
            "untestable": sorted(self.untestable),
            "seconds": round(self.seconds, 2),
            "settings": dict(self.settings),
        }


def cascading_randomisation(model: nn.Module, explainers: Mapping[str, Explainer],
                            cells: np.ndarray, within: np.ndarray, *, seed: int = 0,
                            stages: Sequence[str] | None = None, final_only: bool = False,
                            originals: Mapping[str, np.ndarray] | None = None) -> Randomisation:
    """Run each ``explainers[m](model)`` on the intact model and per cumulative stage; compare.

    ``cells`` is the common partition (ids, -1 outside); ``within`` the brain mask.
    ``final_only``: one stage, every group re-initialised at once (see the module docstring);
    ``originals``: intact-model maps to reuse (computed with the explainers' own settings).
    The original ``model`` is never modified (the stages work on one deep copy).
    """
    groups = stage_groups(model)
    if stages is not None:
        groups = [g for g in groups if g[0] in stages]
    within = np.asarray(within, dtype=bool)
    known = dict(originals or {})
    with stopwatch() as first:
        intact = {m: np.asarray(known[m] if m in known else f(model), dtype=np.float64)
                  for m, f in explainers.items()}
    base = {m: (pool(np.abs(v), cells), np.abs(v)[within], v[within]) for m, v in intact.items()}
    empty = {m for m, v in intact.items() if v[within].size == 0 or np.ptp(v[within]) == 0}
    sims: dict[str, list[dict[str, float]]] = {m: [] for m in explainers}
    # (stage name, [(group modules, seed)]): the cascade adds one group per stage
    plan = [(name, [(modules, seed + i)]) for i, (name, modules) in enumerate(groups)]
    if final_only:
        plan = [("all_layers", [(modules, seed + i) for i, (_, modules) in enumerate(groups)])]
    with stopwatch() as clock:
        work = copy.deepcopy(model).eval()
        by_name = dict(work.named_modules())
        names = {id(m): n for n, m in model.named_modules()}
        for _stage, resets in plan:
            for modules, group_seed in resets:
                randomise_([by_name[names[id(m)]] for m in modules], group_seed)
            for m, explain in explainers.items():
                signed = np.asarray(explain(work), dtype=np.float64)
                values = np.abs(signed)
                sims[m].append({"spearman_abs": _similarity(base[m][0], pool(values, cells)),
                                "spearman_pixels_abs": _similarity(base[m][1], values[within]),
                                "spearman_pixels_signed": _similarity(base[m][2], signed[within])})
        del work
    return Randomisation([p[0] for p in plan], sims, clock["seconds"] + first["seconds"],
                         {"seed": int(seed), "reinitialisation": "reset_parameters", "final_only": bool(final_only),
                          "groups": [g[0] for g in groups], "reused_originals": sorted(set(known) & set(explainers))},
                         empty)
