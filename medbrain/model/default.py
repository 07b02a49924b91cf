"""The default model that ships inside the package (safetensors + JSON)."""

from __future__ import annotations

import os
from pathlib import Path

from medbrain.errors import CheckpointError

WEIGHTS_DIR = Path(__file__).resolve().parent.parent / "weights"
DEFAULT_NAME = "medbrain-hybrid-default"


def default_checkpoint_path() -> Path | None:
    """Path of the shipped checkpoint, or None when this install has none."""
    path = WEIGHTS_DIR / f"{DEFAULT_NAME}.safetensors"
    return path if path.is_file() and path.with_suffix(".json").is_file() else None


def resolve_checkpoint(path: str | Path | None) -> Path:
    """The checkpoint to use: the one given, else ``$MEDBRAIN_CHECKPOINT``, else the shipped default."""
    if path is not None:
        return Path(path)
    if os.environ.get("MEDBRAIN_CHECKPOINT"):
        return Path(os.environ["MEDBRAIN_CHECKPOINT"]).expanduser()
    default = default_checkpoint_path()
    if default is None:
        raise CheckpointError(
            "No trained model ships with this install; pass --checkpoint NAME.safetensors "
            "(train one with `medbrain train run`)."
        )
    return default
