"""Attention rollout (Abnar & Zuidema, ACL 2020) of the bottleneck transformer.

The frozen BERT block attends over the bottleneck tokens, one per cell of the 1/32
resolution feature map, row-major over its (h, w) grid (a 192x192 slice gives 6x6 tokens
of 32x32 pixels, so these maps are coarse by construction). For each layer the heads are
averaged, the identity is added for the residual connection and rows are renormalised;
the layers' matrices are multiplied from the first to the last, giving ``R`` whose row
``i`` says how much each input token contributes to output token ``i`` (rows sum to 1).

There is no CLS token: every output token feeds the decoder. The map is therefore the
attention each token *receives*, the mean of ``R``'s rows weighted by the query tokens:
with ``queries="region"`` (default) the query weight of a token is the fraction of its
cell covered by the predicted region (which context does the tumour's representation
draw on?); with ``queries="all"`` every row counts equally (the column mean of ``R``).
The token map is upsampled bilinearly to the slice. Per-layer maps use each layer's
head-averaged raw attention with the same query weights. Attention is not a gradient:
it shows where information flows, not what raises the prediction.

That is why plain rollout is kept only as a **token-mixing diagnostic** (``plain_rollout``
in the facts, never ranked), and the map this tool returns by default
(``variant="gradient"``) is the gradient-weighted rollout of Chefer, Gur and Wolf
("Generic attention-model explainability", ICCV 2021; the self-attention rules of their
CVPR 2021 paper without LRP): per layer ``A_bar = mean_heads((dF/dA * A)^+)`` with ``F`` the
slice's explained target (:mod:`medbrain.tools.slice_input`), relevance ``R = I`` and
``R <- R + A_bar @ R`` from the first layer to the last. The map is the query-weighted
rows of ``R - I`` (the relevance that flowed *through attention*; the identity would
only redraw the query weights, i.e. the prediction). It is class-specific: a token that
attention routes to the region but whose attention lowers the target gets no relevance.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from medbrain.tools.base import (
    AttributionError,
    AttributionResult,
    EmptyRegionError,
    NoAttentionError,
    check_region,
    eval_mode,
    stopwatch,
    upsample,
)
from medbrain.tools.slice_input import SliceInput, build_target

QUERIES = ("region", "all")
VARIANTS = ("gradient", "plain")


@dataclass(kw_only=True)
class AttentionResult(AttributionResult):
    """Rollout map on the slice (``map``, >= 0) plus the token-level pieces.

    ``rollout`` (T, T) and ``layer_attention`` (L arrays (T, T), head-averaged, raw)
    are row-stochastic; ``token_map`` is the (h, w) received attention (sums to 1);
    ``layer_token_maps`` / ``layer_maps`` the per-layer received attention on the token
    grid / upsampled to the slice.
    """

    rollout: np.ndarray
    token_map: np.ndarray
    layer_attention: list[np.ndarray] = field(default_factory=list)
    layer_token_maps: list[np.ndarray] = field(default_factory=list)
    layer_maps: list[np.ndarray] = field(default_factory=list)
    queries: str = "region"
    heads: int = 0
    variant: str = "gradient"
    gradient_token_map: np.ndarray | None = None  # (h, w) Chefer relevance received, >= 0
    plain_map: np.ndarray | None = None  # plain rollout upsampled to the slice

    def extra_dict(self) -> dict[str, Any]:
        h, w = self.token_map.shape
        t = h * w
        grad = self.gradient_token_map
        gsum = None if grad is None else float(grad.sum())
        return {
            "variant": ("gradient-weighted rollout (Chefer et al. 2021)" if self.variant == "gradient"
                        else "plain attention rollout (token-mixing diagnostic)"),
            "ranked": self.variant == "gradient",
            "gradient_token_map": None if grad is None else [[round(float(v), 6) for v in row] for row in grad],
            "gradient_max_over_uniform": (None if not gsum else float(grad.max() / gsum * t)),
            "gradient_peak_token_xy": (None if grad is None or not gsum else
                                       [int(i) for i in np.unravel_index(int(np.argmax(grad)), (h, w))]),
            "plain_rollout": {"role": "token-mixing diagnostic, not an attribution; outside the rankings",
                              "token_map": [[round(float(v), 6) for v in row] for row in self.token_map],
                              "max_over_uniform": float(self.token_map.max() * t),
                              "peak_token_xy": [int(i) for i in np.unravel_index(int(np.argmax(self.token_map)), (h, w))]},
            "grid": [int(h), int(w)],
            "tokens": int(t),
            "layers": len(self.layer_attention),
            "heads": int(self.heads),
            "queries": self.queries,
            "token_map": [[round(float(v), 6) for v in row] for row in self.token_map],
            "max_over_uniform": float(self.token_map.max() * t),
            "layer_peak_token_xy": [
                [int(i) for i in np.unravel_index(int(np.argmax(m)), (h, w))] for m in self.layer_token_maps
            ],
        }


def attention_rollout(attentions: Sequence[torch.Tensor], residual: bool = True) -> torch.Tensor:
    """Roll out per-layer attention (heads, T, T) or (1, heads, T, T) into one (T, T) matrix."""
    if not attentions:
        raise AttributionError("No attention layers to roll out.")
    rollout = None
    for att in attentions:
        a = att.detach().double()
        a = a[0] if a.dim() == 4 else a
        a = a.mean(dim=0)
        if residual:
            a = a + torch.eye(a.shape[-1], dtype=a.dtype, device=a.device)
        a = a / a.sum(dim=-1, keepdim=True)
        rollout = a if rollout is None else a @ rollout
    return rollout


def received_attention(matrix: torch.Tensor, query_weights: torch.Tensor | None = None) -> torch.Tensor:
    """(T,) attention received by each token: query-weighted mean of the rows of ``matrix``."""
    if query_weights is None:
        return matrix.mean(dim=0)
    weights = query_weights.to(matrix.dtype)
    return weights @ matrix / weights.sum().clamp_min(1e-12)


def gradient_rollout(attentions: Sequence[torch.Tensor], grads: Sequence[torch.Tensor]) -> torch.Tensor:
    """Chefer et al.'s relevance (T, T): ``R = I; R += mean_h((grad * A)^+) @ R`` per layer."""
    if not attentions or len(attentions) != len(grads):
        raise AttributionError("Gradient rollout needs one gradient per attention layer.")
    t = attentions[0].shape[-1]
    rel = torch.eye(t, dtype=torch.float64, device=attentions[0].device)
    for att, grad in zip(attentions, grads):
        a, g = att.detach().double(), grad.detach().double()
        a, g = (a[0], g[0]) if a.dim() == 4 else (a, g)
        cam = (g * a).clamp_min(0).mean(dim=0)
        rel = rel + cam @ rel
    return rel


def _attention_with_grads(model: nn.Module, x: torch.Tensor, target: Any) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """One forward and backward pass: every self-attention layer's weights and dF/dA."""
    captured: list[torch.Tensor] = []

    def hook(_module: nn.Module, _args: Any, output: Any) -> None:
        if isinstance(output, tuple) and len(output) > 1 and isinstance(output[1], torch.Tensor):
            captured.append(output[1])

    layers = [m for m in model.bottleneck.transformer.modules() if type(m).__name__.endswith("SelfAttention")]
    handles = [m.register_forward_hook(hook) for m in layers]
    try:
        with torch.enable_grad():
            xg = x.detach().clone().requires_grad_(True)
            score = target.wrapper(xg).sum()
            if not captured:
                raise AttributionError("The transformer returned no attention weights (needs eager attention).")
            grads = torch.autograd.grad(score, captured, allow_unused=True)
    finally:
        for h in handles:
            h.remove()
    grads = [torch.zeros_like(a) if g is None else g for a, g in zip(captured, grads)]
    return [a.detach() for a in captured], list(grads)


def attention(model: nn.Module, inp: SliceInput, region: str = "WT", *, queries: str = "region",
              residual: bool = True, variant: str = "gradient", mask: np.ndarray | None = None,
              head: str | None = None) -> AttentionResult:
    """Attention map for one slice: gradient-weighted rollout (default) or plain rollout.

    ``variant="gradient"`` costs one forward and one backward pass more than ``"plain"``;
    both are always reported (the plain one as a diagnostic).

    Raises :class:`NoAttentionError` for the ablation network without a transformer.
    """
    region = check_region(region)
    if queries not in QUERIES:
        raise AttributionError(f"Unknown queries {queries!r}; choose one of {', '.join(QUERIES)}.")
    if variant not in VARIANTS:
        raise AttributionError(f"Unknown variant {variant!r}; choose one of {', '.join(VARIANTS)}.")
    if getattr(model, "bottleneck", None) is None or not hasattr(model, "capturing_attention"):
        raise NoAttentionError(
            "This network has no transformer block (the ablation without the bottleneck "
            "transformer), so there is no attention to roll out; use gradcam, "
            "integrated_gradients or slice instead."
        )
    with stopwatch() as clock, eval_mode(model):
        with model.capturing_attention():
            try:
                target = build_target(model, inp, region, mask=mask, head=head)
                score, pixels, fixed = target.score, target.pixels, target.mask
            except EmptyRegionError:
                if queries == "region":
                    raise
                score, pixels, fixed = 0.0, 0, None
            layers = model.attention_maps()
            grid = model.attention_grid()
        h, w = grid
        weights = None
        if queries == "region":
            cover = F.adaptive_avg_pool2d(fixed.float()[None, None], (h, w))[0, 0]
            weights = cover.reshape(-1)
        rolled = attention_rollout(layers, residual=residual)
        token_map = received_attention(rolled, weights).reshape(h, w)
        per_layer = [layer.detach().double()[0].mean(dim=0) for layer in layers]
        layer_tokens = [received_attention(m, weights).reshape(h, w) for m in per_layer]
        layer_maps = [inp.unpad(upsample(t, inp.padded_shape)).astype(np.float32) for t in layer_tokens]
        plain = inp.unpad(upsample(token_map, inp.padded_shape)).astype(np.float32)
        grad_tokens = None
        if fixed is not None:
            with model.capturing_attention():
                atts, grads = _attention_with_grads(model, inp.tensor, target)
            rel = gradient_rollout(atts, grads) - torch.eye(h * w, dtype=torch.float64, device=atts[0].device)
            grad_tokens = received_attention(rel, weights).reshape(h, w).clamp_min(0)
        if variant == "gradient":
            if grad_tokens is None:
                raise EmptyRegionError(f"No {region} pixels predicted on slice z={inp.z}: "
                                       "the gradient-weighted rollout needs a target.")
            values = inp.unpad(upsample(grad_tokens, inp.padded_shape)).astype(np.float32)
        else:
            values = plain
    return AttentionResult(
        method="attention",
        region=region,
        z=inp.z,
        map=values,
        rollout=rolled.cpu().numpy(),
        token_map=token_map.cpu().numpy(),
        layer_attention=[m.cpu().numpy() for m in per_layer],
        layer_token_maps=[t.cpu().numpy() for t in layer_tokens],
        layer_maps=layer_maps,
        queries=queries,
        heads=int(layers[0].shape[1]),
        variant=variant,
        gradient_token_map=None if grad_tokens is None else grad_tokens.cpu().numpy(),
        plain_map=plain,
        target_score=score,
        target_pixels=pixels,
        seconds=clock["seconds"],
        settings={"queries": queries, "residual": bool(residual), "interpolation": "bilinear",
                  "variant": variant},
    )
