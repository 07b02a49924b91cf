"""HybridUNetPlusPlus: ResNet encoder + nested UNet++ decoder + transformer bottleneck.

The UNet++ is :mod:`medbrain.model.unetpp`, key-for-key the network of
``segmentation_models_pytorch.UnetPlusPlus`` (tests compare the two) without importing smp,
timm and torchvision, which cost about 2.3 s of every command's start-up.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import torch
import torch.nn as nn

from medbrain.model.bottleneck import TransformerBottleneck
from medbrain.model.config import ModelConfig
from medbrain.model.transformer import load_frozen_transformer
from medbrain.model.unetpp import UnetPlusPlus

TRANSFORMER_PREFIX = "bottleneck.transformer."


class HybridUNetPlusPlus(nn.Module):
    """2-D (or 2.5-D with context slices) segmentation network for BraTS slices.

    ``forward`` maps (B, in_channels, H, W) with H, W divisible by 32 to logits
    (B, out_channels, H, W). With ``config.transformer=None`` it is the plain UNet++
    (the ablation).
    """

    def __init__(self, config: ModelConfig, transformer: nn.Module | None = None):
        super().__init__()
        self.config = config
        self.net = UnetPlusPlus(
            encoder_name=config.encoder,
            in_channels=config.in_channels,
            classes=config.out_channels,
            decoder_channels=tuple(config.decoder_channels),
        )
        self.bottleneck: TransformerBottleneck | None = None
        if config.has_transformer:
            if transformer is None:
                transformer = load_frozen_transformer(config.transformer, config.transformer_layers)
            self.bottleneck = TransformerBottleneck(
                self.net.encoder.out_channels[-1], transformer, config.pos_grid, config.fusion_init_zero
            )

    @property
    def encoder(self) -> nn.Module:
        return self.net.encoder

    @property
    def decoder(self) -> nn.Module:
        return self.net.decoder

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.net.check_input_shape(x)
        features = self.net.encoder(x)
        if self.bottleneck is not None:
            features = [*features[:-1], self.bottleneck(features[-1])]
        return self.net.segmentation_head(self.net.decoder(features))

    def trainable_state_dict(self) -> dict[str, torch.Tensor]:
        """State dict without the frozen transformer (shipped separately, identified by hash)."""
        return {k: v for k, v in self.state_dict().items() if not k.startswith(TRANSFORMER_PREFIX)}

    def parameter_counts(self) -> dict[str, int]:
        total = sum(p.numel() for p in self.parameters())
        trainable = sum(p.numel() for p in self.parameters() if p.requires_grad)
        return {"total": total, "trainable": trainable, "frozen": total - trainable}

    @contextmanager
    def capturing_attention(self) -> Iterator[None]:
        """Within the block, forward passes keep the transformer's attention weights."""
        if self.bottleneck is None:
            raise ValueError("This network has no transformer block (ablation): no attention to capture.")
        self.bottleneck.capture_attention = True
        try:
            yield
        finally:
            self.bottleneck.capture_attention = False

    def attention_maps(self) -> tuple[torch.Tensor, ...]:
        """Per-layer attention (B, heads, T, T) of the last forward pass in capture mode."""
        if self.bottleneck is None or self.bottleneck.last_attentions is None:
            raise ValueError("No attention captured: run a forward pass inside capturing_attention().")
        return self.bottleneck.last_attentions

    def attention_grid(self) -> tuple[int, int]:
        """Bottleneck token grid (h, w) of the last forward pass."""
        if self.bottleneck is None or self.bottleneck.last_grid is None:
            raise ValueError("No forward pass through the transformer block yet.")
        return self.bottleneck.last_grid
