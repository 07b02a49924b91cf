"""Plain-PyTorch UNet++ with a ResNet encoder, key-compatible with segmentation_models_pytorch.

Importing ``segmentation_models_pytorch`` (which pulls in timm and torchvision) costs about
two seconds, a large share of a ``medbrain segment`` run. This module rebuilds exactly the
network ``smp.UnetPlusPlus(encoder_name=E, encoder_weights=None, in_channels=C, classes=K,
decoder_channels=D)`` for E in resnet18/resnet34/resnet50 (smp 0.6 semantics) with the same
module names, so its ``state_dict`` keys and shapes match smp's and shipped checkpoints load
unchanged. It imports only torch; smp stays the reference in ``tests/model/test_unetpp.py``.
"""

from __future__ import annotations

from typing import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

__all__ = ["ENCODERS", "UnetPlusPlus", "ResNetEncoder", "UnetPlusPlusDecoder"]


def _conv3x3(in_ch: int, out_ch: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_ch, out_ch, kernel_size=3, stride=stride, padding=1, bias=False)


def _conv1x1(in_ch: int, out_ch: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_ch, out_ch, kernel_size=1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    """torchvision ``BasicBlock`` (resnet18/34): two 3x3 convs plus identity/downsample."""

    expansion = 1

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample: nn.Module | None = None):
        super().__init__()
        self.conv1 = _conv3x3(inplanes, planes, stride)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = _conv3x3(planes, planes)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class Bottleneck(nn.Module):
    """torchvision ``Bottleneck`` (resnet50, v1.5: stride on the 3x3 conv)."""

    expansion = 4

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample: nn.Module | None = None):
        super().__init__()
        self.conv1 = _conv1x1(inplanes, planes)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = _conv3x3(planes, planes, stride)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = _conv1x1(planes, planes * self.expansion)
        self.bn3 = nn.BatchNorm2d(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + identity)


# name -> (block type, blocks per stage, smp out_channels after the input feature)
ENCODERS: dict[str, tuple[type[nn.Module], tuple[int, int, int, int], tuple[int, ...]]] = {
    "resnet18": (BasicBlock, (2, 2, 2, 2), (64, 64, 128, 256, 512)),
    "resnet34": (BasicBlock, (3, 4, 6, 3), (64, 64, 128, 256, 512)),
    "resnet50": (Bottleneck, (3, 4, 6, 3), (64, 256, 512, 1024, 2048)),
}


class ResNetEncoder(nn.Module):
    """smp's ``ResNetEncoder`` at depth 5 (torchvision ResNet without ``fc``/``avgpool``)."""

    def __init__(self, name: str, in_channels: int = 3):
        super().__init__()
        if name not in ENCODERS:
            raise KeyError(f"Wrong encoder name `{name}`, supported encoders: {list(ENCODERS)}")
        block, layers, channels = ENCODERS[name]
        self._out_channels = (in_channels, *channels)
        self._inplanes = 64
        self.conv1 = nn.Conv2d(in_channels, 64, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, 64, layers[0])
        self.layer2 = self._make_layer(block, 128, layers[1], stride=2)
        self.layer3 = self._make_layer(block, 256, layers[2], stride=2)
        self.layer4 = self._make_layer(block, 512, layers[3], stride=2)
        # torchvision's init; smp then re-creates conv1 for in_channels != 3 with default init.
        for m in self.modules():
            if isinstance(m, nn.Conv2d) and m is not self.conv1:
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
        if in_channels == 3:
            nn.init.kaiming_normal_(self.conv1.weight, mode="fan_out", nonlinearity="relu")

    def _make_layer(self, block: type[nn.Module], planes: int, blocks: int, stride: int = 1) -> nn.Sequential:
        expansion: int = block.expansion  # type: ignore[attr-defined]
        downsample = None
        if stride != 1 or self._inplanes != planes * expansion:
            downsample = nn.Sequential(
                _conv1x1(self._inplanes, planes * expansion, stride), nn.BatchNorm2d(planes * expansion)
            )
        layers = [block(self._inplanes, planes, stride, downsample)]
        self._inplanes = planes * expansion
        layers += [block(self._inplanes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    @property
    def out_channels(self) -> tuple[int, ...]:
        """Channels of each feature returned by ``forward`` (input first)."""
        return self._out_channels

    @property
    def output_stride(self) -> int:
        return 32

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Return ``[x, stride-2, stride-4, stride-8, stride-16, stride-32]`` features."""
        features = [x]
        x = self.relu(self.bn1(self.conv1(x)))
        features.append(x)
        x = self.layer1(self.maxpool(x))
        features.append(x)
        for layer in (self.layer2, self.layer3, self.layer4):
            x = layer(x)
            features.append(x)
        return features


class Conv2dReLU(nn.Sequential):
    """smp's ``Conv2dReLU`` with batchnorm: Sequential(conv (no bias), BN, ReLU)."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__(
            nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(inplace=True),
        )


class DecoderBlock(nn.Module):
    """Nearest x2 upsample, concatenate the skip (if any), then two ``Conv2dReLU``."""

    def __init__(self, in_channels: int, skip_channels: int, out_channels: int):
        super().__init__()
        if out_channels <= 0:
            raise ValueError("decoder_channels must all be positive.")
        self.conv1 = Conv2dReLU(in_channels + skip_channels, out_channels)
        self.attention1 = nn.Identity()  # smp attention_type=None
        self.conv2 = Conv2dReLU(out_channels, out_channels)
        self.attention2 = nn.Identity()

    def forward(self, x: torch.Tensor, skip: torch.Tensor | None = None) -> torch.Tensor:
        x = F.interpolate(x, scale_factor=2.0, mode="nearest")
        if skip is not None:
            x = self.attention1(torch.cat([x, skip], dim=1))
        return self.attention2(self.conv2(self.conv1(x)))


class UnetPlusPlusDecoder(nn.Module):
    """smp 0.6 ``UnetPlusPlusDecoder`` (no center block, no attention, nearest upsampling)."""

    def __init__(self, encoder_channels: Sequence[int], decoder_channels: Sequence[int], n_blocks: int = 5):
        super().__init__()
        if n_blocks != len(decoder_channels):
            raise ValueError(
                f"Model depth is {n_blocks}, but you provide `decoder_channels` for {len(decoder_channels)} blocks."
            )
        enc = list(encoder_channels[1:])[::-1]  # drop full-resolution input, start from the head
        self.in_channels = [enc[0]] + list(decoder_channels[:-1])
        self.skip_channels = enc[1:] + [0]
        self.out_channels = list(decoder_channels)
        self.center = nn.Identity()
        blocks: dict[str, nn.Module] = {}
        for layer_idx in range(len(self.in_channels) - 1):
            for depth_idx in range(layer_idx + 1):
                if depth_idx == 0:
                    in_ch = self.in_channels[layer_idx]
                    skip_ch = self.skip_channels[layer_idx] * (layer_idx + 1)
                    out_ch = self.out_channels[layer_idx]
                else:
                    out_ch = self.skip_channels[layer_idx]
                    skip_ch = self.skip_channels[layer_idx] * (layer_idx + 1 - depth_idx)
                    in_ch = self.skip_channels[layer_idx - 1]
                blocks[f"x_{depth_idx}_{layer_idx}"] = DecoderBlock(in_ch, skip_ch, out_ch)
        last = len(self.in_channels) - 1
        blocks[f"x_0_{last}"] = DecoderBlock(self.in_channels[-1], 0, self.out_channels[-1])
        self.blocks = nn.ModuleDict(blocks)
        self.depth = last

    def forward(self, features: Sequence[torch.Tensor]) -> torch.Tensor:
        """Decode the encoder's feature list (as returned by ``ResNetEncoder.forward``)."""
        feats = list(features[1:])[::-1]
        dense: dict[str, torch.Tensor] = {}
        for layer_idx in range(len(self.in_channels) - 1):
            for depth_idx in range(self.depth - layer_idx):
                if layer_idx == 0:
                    key = f"x_{depth_idx}_{depth_idx}"
                    dense[key] = self.blocks[key](feats[depth_idx], feats[depth_idx + 1])
                else:
                    d = depth_idx + layer_idx
                    cat = [dense[f"x_{i}_{d}"] for i in range(depth_idx + 1, d + 1)]
                    cat = torch.cat(cat + [feats[d + 1]], dim=1)
                    dense[f"x_{depth_idx}_{d}"] = self.blocks[f"x_{depth_idx}_{d}"](
                        dense[f"x_{depth_idx}_{d - 1}"], cat
                    )
        return self.blocks[f"x_0_{self.depth}"](dense[f"x_0_{self.depth - 1}"])


class UnetPlusPlus(nn.Module):
    """Drop-in for ``smp.UnetPlusPlus(encoder_name, encoder_weights=None, ...)`` (depth 5).

    Maps (B, in_channels, H, W), H and W divisible by 32, to logits (B, classes, H, W).
    """

    requires_divisible_input_shape = True

    def __init__(self, encoder_name: str, in_channels: int, classes: int, decoder_channels: Sequence[int]):
        super().__init__()
        decoder_channels = tuple(int(c) for c in decoder_channels)
        self.encoder = ResNetEncoder(encoder_name, in_channels)
        self.decoder = UnetPlusPlusDecoder(self.encoder.out_channels, decoder_channels, n_blocks=5)
        # smp SegmentationHead: Sequential(conv, upsampling=Identity, activation=Identity)
        self.segmentation_head = nn.Sequential(
            nn.Conv2d(decoder_channels[-1], classes, kernel_size=3, padding=1), nn.Identity(), nn.Identity()
        )
        self.classification_head = None
        self.name = f"unetplusplus-{encoder_name}"
        self._initialize()

    def _initialize(self) -> None:
        """smp's decoder/head initialisation (only matters when training from scratch)."""
        for m in self.decoder.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_uniform_(m.weight, mode="fan_in", nonlinearity="relu")
                if m.bias is not None:
                    nn.init.constant_(m.bias, 0)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
        head = self.segmentation_head[0]
        nn.init.xavier_uniform_(head.weight)
        nn.init.constant_(head.bias, 0)

    def check_input_shape(self, x: torch.Tensor) -> None:
        """Raise ``RuntimeError`` (smp's message) unless H and W are divisible by the output stride."""
        h, w = x.shape[-2:]
        s = self.encoder.output_stride
        if h % s != 0 or w % s != 0:
            new_h = (h // s + 1) * s if h % s != 0 else h
            new_w = (w // s + 1) * s if w % s != 0 else w
            raise RuntimeError(
                f"Wrong input shape height={h}, width={w}. Expected image height and width "
                f"divisible by {s}. Consider pad your images to shape ({new_h}, {new_w})."
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not (torch.jit.is_scripting() or torch.jit.is_tracing()):
            self.check_input_shape(x)
        return self.segmentation_head(self.decoder(self.encoder(x)))
