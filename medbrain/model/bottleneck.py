"""The seed paper's transformer block at the UNet++ bottleneck.

Dense_1 (channels -> transformer width) + learned 2-D positional embedding -> frozen
BERT-family encoder -> Dense_2 (width -> channels), fused with the CNN bottleneck by a
residual 1x1 convolution. With ``init_zero`` the fusion starts at zero, so training starts
from the plain network and the block has to earn its contribution.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F


class TransformerBottleneck(nn.Module):
    """Global attention over bottleneck tokens with a frozen pretrained transformer."""

    def __init__(self, channels: int, transformer: nn.Module, pos_grid: int = 8, init_zero: bool = True):
        super().__init__()
        width = int(transformer.config.hidden_size)
        self.width = width
        self.dense_1 = nn.Linear(channels, width)
        self.pos_embedding = nn.Parameter(torch.zeros(1, width, pos_grid, pos_grid))
        nn.init.trunc_normal_(self.pos_embedding, std=0.02)
        self.transformer = transformer
        self.dense_2 = nn.Linear(width, channels)
        self.fuse = nn.Conv2d(2 * channels, channels, kernel_size=1)
        if init_zero:
            nn.init.zeros_(self.fuse.weight)
            nn.init.zeros_(self.fuse.bias)
        self.capture_attention = False
        self.last_attentions: tuple[torch.Tensor, ...] | None = None
        self.last_grid: tuple[int, int] | None = None

    def train(self, mode: bool = True) -> "TransformerBottleneck":
        super().train(mode)
        self.transformer.eval()  # frozen: no dropout, ever
        return self

    def positional(self, h: int, w: int) -> torch.Tensor:
        """Positional embedding resized to an ``h x w`` grid, as (h*w, width)."""
        pos = F.interpolate(self.pos_embedding, size=(h, w), mode="bilinear", align_corners=False)
        return pos.flatten(2).transpose(1, 2)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        b, c, h, w = z.shape
        tokens = self.dense_1(z.flatten(2).transpose(1, 2)) + self.positional(h, w).to(z.dtype)
        mask = torch.ones(b, h * w, device=z.device, dtype=torch.long)
        out = self.transformer(
            inputs_embeds=tokens, attention_mask=mask, output_attentions=self.capture_attention
        )
        self.last_grid = (h, w)
        self.last_attentions = tuple(a.detach() for a in out.attentions) if self.capture_attention else None
        t = self.dense_2(out.last_hidden_state).transpose(1, 2).reshape(b, c, h, w)
        return z + self.fuse(torch.cat([z, t], dim=1))
