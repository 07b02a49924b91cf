"""Grad-CAM (Selvaraju et al., ICCV 2017) for the segmentation network, via captum.

captum's ``LayerGradCam`` weights each channel of a layer's activation by the spatial
mean of the target's gradient and sums over channels; we explain the fixed-mask region
target of :mod:`medbrain.tools.slice_input` (Seg-Grad-CAM, Vinogradova et al. 2020),
apply the ReLU of the original Grad-CAM, and upsample bilinearly to the slice.

Default layer: the UNet++ decoder's main-path block at 1/4 of the input resolution
(``x_0_{L-2}``, i.e. ``x_0_2`` for the 5-stage decoder: 48x48 cells of 4 mm on a 192 mm
slice). Deeper blocks (1/32..1/8) give cells of 8-32 mm, too coarse for enhancing rims and
small lesions; the 1/2 and full-resolution blocks sit one or two convolutions before the
logits, where Grad-CAM degenerates into gradient-times-activation of nearly linear
features and mostly redraws the prediction. The 1/4 block has aggregated every nested
skip path below it, so it is the last place that still carries the decoder's semantics.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch.nn as nn
from captum.attr import LayerAttribution, LayerGradCam

from medbrain.tools.base import (
    AttributionError,
    AttributionResult,
    check_region,
    eval_mode,
    normalise01,
    stopwatch,
)
from medbrain.tools.slice_input import SliceInput, build_target


def default_gradcam_layer(model: nn.Module) -> str:
    """Name of the default decoder block: the main-path block at 1/4 resolution."""
    blocks = getattr(getattr(model, "decoder", None), "blocks", None)
    if blocks is None:
        raise AttributionError("The model has no UNet++ decoder blocks; pass layer= explicitly.")
    main = sorted((k for k in blocks.keys() if k.startswith("x_0_")), key=lambda k: int(k.rsplit("_", 1)[1]))
    if len(main) < 3:
        raise AttributionError(f"Decoder blocks {list(blocks.keys())} are too few for the default; pass layer=.")
    return main[-3]


def resolve_layer(model: nn.Module, layer: str | nn.Module | None) -> tuple[str, nn.Module]:
    """(name, module) for a decoder block key, a dotted module name, or a module."""
    if layer is None:
        layer = default_gradcam_layer(model)
    if isinstance(layer, nn.Module):
        names = {id(m): n for n, m in model.named_modules()}
        return names.get(id(layer), type(layer).__name__), layer
    blocks = getattr(getattr(model, "decoder", None), "blocks", None)
    if blocks is not None and layer in blocks.keys():
        return str(layer), blocks[layer]
    modules = dict(model.named_modules())
    if layer not in modules:
        hint = f" Decoder blocks: {', '.join(blocks.keys())}." if blocks is not None else ""
        raise AttributionError(f"No layer {layer!r} in the model.{hint}")
    return str(layer), modules[layer]


@dataclass(kw_only=True)
class GradCamResult(AttributionResult):
    """Grad-CAM map: ``map`` is ReLU'd and upsampled (raw units, >= 0).

    ``signed`` is the upsampled map before the ReLU; ``normalised`` is ``map`` scaled to
    [0, 1] for display; ``layer_map`` the ReLU'd map at the layer's own resolution.
    """

    signed: np.ndarray
    normalised: np.ndarray
    layer_map: np.ndarray
    layer: str = ""

    def extra_dict(self) -> dict[str, Any]:
        return {
            "layer": self.layer,
            "layer_shape": [int(s) for s in self.layer_map.shape],
            "negative_share_before_relu": float(
                np.abs(np.minimum(self.signed, 0)).sum() / max(np.abs(self.signed).sum(), 1e-12)
            ),
        }


def gradcam(model: nn.Module, inp: SliceInput, region: str = "WT", *, layer: str | nn.Module | None = None,
            mask: np.ndarray | None = None, head: str | None = None) -> GradCamResult:
    """Grad-CAM of ``region`` on one slice (one forward and one backward pass).

    ``layer``: a decoder block key (e.g. ``"x_0_2"``), a dotted module name or a module;
    default :func:`default_gradcam_layer`. ``mask`` (X, Y) overrides the predicted region
    as the target's pixels.
    """
    region = check_region(region)
    with stopwatch() as clock, eval_mode(model):
        target = build_target(model, inp, region, mask=mask, head=head)
        name, module = resolve_layer(model, layer)
        cam = LayerGradCam(target.wrapper, module)
        x = inp.tensor.clone().requires_grad_(True)
        raw = cam.attribute(x, target=None, relu_attributions=False).detach()  # (1, 1, h, w)
        size = inp.padded_shape
        signed = LayerAttribution.interpolate(raw, size, interpolate_mode="bilinear")[0, 0]
        relu = LayerAttribution.interpolate(raw.clamp_min(0), size, interpolate_mode="bilinear")[0, 0]
        values = inp.unpad(relu).astype(np.float32)
    return GradCamResult(
        method="gradcam",
        region=region,
        z=inp.z,
        map=values,
        signed=inp.unpad(signed).astype(np.float32),
        normalised=normalise01(values),
        layer_map=raw.clamp_min(0)[0, 0].cpu().numpy().astype(np.float32),
        layer=name,
        target_score=target.score,
        target_pixels=target.pixels,
        seconds=clock["seconds"],
        settings={"layer": name, "interpolation": "bilinear", "relu": True},
    )
