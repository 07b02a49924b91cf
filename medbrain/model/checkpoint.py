"""Checkpoint I/O: safetensors for trainable weights + a JSON config. Never pickle.

A checkpoint is a pair ``NAME.safetensors`` + ``NAME.json``. The JSON carries the model
config, the identity (SHA-256) of the frozen transformer, the preprocessing, the label
convention, the training summary and the SHA-256 of the weights file. Loading validates
all of it and never executes code.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from pydantic import ValidationError
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from medbrain.errors import CheckpointError, ConfigError
from medbrain.io import atomic_write_text
from medbrain.model.config import ModelConfig
from medbrain.model.hybrid import HybridUNetPlusPlus
from medbrain.model.schema import FORMAT, USER_OWNED, CheckpointDoc, describe_errors
from medbrain.model.transformer import transformer_sha256

VERIFIED = "verified: the SHA-256 of the weights (and of the frozen transformer) match its JSON"
PICKLE_SUFFIXES = (".pt", ".pth", ".ckpt", ".bin", ".pkl", ".pickle")
PREPROCESSING = {
    "crop": "brain bounding box (any sequence non-zero), 2-voxel margin",
    "normalisation": "per-sequence z-score inside the brain mask, 0 outside",
    "plane": "axial slices, padded in-plane to a multiple of 32",
    "modalities": ["t1", "t1ce", "t2", "flair"],
}
LABEL_CONVENTION = "internal: 0 background, 1 NCR, 2 ED, 4 ET; regions WT, TC, ET"
NORM_STATISTICS = ("running_mean", "running_var")


@dataclass
class Checkpoint:
    """A loaded checkpoint: the network in eval mode and its metadata."""

    model: HybridUNetPlusPlus
    config: ModelConfig
    metadata: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None
    sha256: str = ""
    integrity: str = ""  # how its integrity was established (VERIFIED or why not)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _pair(path: str | Path) -> tuple[Path, Path]:
    p = Path(path).expanduser()
    if p.suffix.lower() in PICKLE_SUFFIXES:
        raise CheckpointError(
            f"{p.name}: pickle checkpoints ({', '.join(PICKLE_SUFFIXES)}) are refused because loading "
            "them can execute code. Convert to safetensors + JSON (medbrain checkpoints are "
            "NAME.safetensors + NAME.json)."
        )
    if p.is_dir():
        candidates = sorted(p.glob("*.safetensors"))
        if len(candidates) != 1:
            raise CheckpointError(f"{p}: expected exactly one .safetensors checkpoint in the folder, found {len(candidates)}.")
        p = candidates[0]
    stem = p.with_suffix("") if p.suffix in (".json", ".safetensors") else p
    return stem.with_suffix(".safetensors"), stem.with_suffix(".json")


def _non_finite(value: torch.Tensor) -> int:
    """How many NaN/inf entries a tensor holds (0 for integer tensors)."""
    return int((~torch.isfinite(value)).sum()) if value.is_floating_point() else 0


def _stored_tensors(model: HybridUNetPlusPlus, dtype: torch.dtype | None) -> tuple[dict[str, torch.Tensor], list[str]]:
    """The tensors to write and the float keys kept in float32 although ``dtype`` was asked for.

    Normalisation statistics (``running_mean``/``running_var``) always stay float32, and so
    does any tensor the cast would overflow: a BatchNorm variance above 65,504 becomes inf in
    float16, which silently zeroes that layer's input (the shipped model of 2026-12-02 lost
    its whole bottleneck path that way). A non-finite tensor is refused outright.
    """
    tensors, kept = {}, []
    for key, value in model.trainable_state_dict().items():
        value = value.detach().cpu()
        if _non_finite(value):
            raise CheckpointError(f"{key} holds NaN or inf values; refusing to save a broken network.")
        if dtype is not None and value.is_floating_point() and value.dtype != dtype:
            cast = value.to(dtype)
            if key.endswith(NORM_STATISTICS) or not torch.isfinite(cast).all():
                kept.append(key)
                value = value.float()
            else:
                value = cast
        tensors[key] = value.contiguous()
    return tensors, kept


def save_checkpoint(
    model: HybridUNetPlusPlus,
    path: str | Path,
    *,
    metadata: dict[str, Any] | None = None,
    dtype: torch.dtype | None = None,
) -> Path:
    """Write ``path``(.safetensors + .json) atomically; ``dtype=torch.float16`` halves the size
    (normalisation statistics and tensors the cast would overflow stay float32, listed in
    the JSON's ``float32_tensors``).

    Returns the path of the safetensors file.
    """
    weights_path, json_path = _pair(path)
    weights_path.parent.mkdir(parents=True, exist_ok=True)
    tensors, kept = _stored_tensors(model, dtype)
    fd, tmp = tempfile.mkstemp(dir=weights_path.parent, prefix=f".{weights_path.name}.", suffix=".tmp")
    os.close(fd)
    save_file(tensors, tmp, metadata={"format": FORMAT})
    os.replace(tmp, weights_path)
    config = model.config
    doc = {
        "format": FORMAT,
        "model": config.to_dict(),
        "transformer": (
            {"name": config.transformer, "sha256": transformer_sha256(config.transformer), "frozen": True}
            if config.has_transformer
            else None
        ),
        "preprocessing": PREPROCESSING,
        "label_convention": LABEL_CONVENTION,
        "weights_sha256": _sha256(weights_path),
        "weights_dtype": str(dtype or torch.float32).replace("torch.", ""),
        **({"float32_tensors": kept} if kept else {}),
        "parameters": model.parameter_counts(),
        **(metadata or {}),
    }
    atomic_write_text(json_path, json.dumps(doc, indent=2, default=str))
    return weights_path


_OWN_HINT = ('If it is your own checkpoint and you accept loading it unverified, add "integrity": '
             '"user-owned" to its JSON (reports then say it was not verified).')


def read_checkpoint_metadata(path: str | Path) -> dict[str, Any]:
    """Read the JSON half of a checkpoint and validate it against the schema.

    Returns the document with defaults filled in (``postprocessing`` always present).
    """
    weights_path, json_path = _pair(path)
    for needed in (weights_path, json_path):
        if not needed.is_file():
            raise CheckpointError(f"Checkpoint file missing: {needed}. A checkpoint is NAME.safetensors + NAME.json.")
    try:
        doc = json.loads(json_path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CheckpointError(f"{json_path}: not valid JSON ({exc}).") from exc
    except OSError as exc:
        raise CheckpointError(f"{json_path}: cannot be read ({exc.strerror or exc}).") from exc
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise CheckpointError(f"{json_path}: not a medbrain checkpoint (format must be {FORMAT!r}).")
    try:
        checked = CheckpointDoc.model_validate(doc)
    except ValidationError as exc:
        raise CheckpointError(f"{json_path}: invalid checkpoint config: {describe_errors(exc)}. Fix: correct "
                              "these keys (or re-export the checkpoint with `medbrain train export`).") from exc
    return {**doc, **checked.model_dump(include={"postprocessing", "integrity"})}


def _check_integrity(doc: dict[str, Any], config: ModelConfig, weights_path: Path, sha: str,
                     verify_hash: bool) -> str:
    """Require and check the hashes (unless the JSON marks a user's own checkpoint)."""
    name = weights_path.name
    own = doc.get("integrity") == USER_OWNED
    recorded = doc.get("weights_sha256")
    if recorded is None and not own:
        raise CheckpointError(f"{name}: its JSON records no weights_sha256, so the weights' integrity cannot "
                              f"be checked; refused. Fix: re-export it with `medbrain train export`. {_OWN_HINT}")
    if recorded is not None and verify_hash and recorded != sha:
        raise CheckpointError(f"{name}: weights do not match the SHA-256 recorded in its JSON (file changed or corrupt).")
    expected = doc.get("transformer")
    if config.has_transformer:
        if expected is None and not own:
            raise CheckpointError(f"{name}: the model uses the frozen transformer {config.transformer!r} but its JSON "
                                  f"records no transformer SHA-256 (\"transformer\": null); refused. {_OWN_HINT}")
        if expected is not None and expected["name"] != config.transformer:
            raise CheckpointError(f"{name}: its JSON names transformer {expected['name']!r} but the model config uses "
                                  f"{config.transformer!r}. Fix: make them agree.")
        if expected is not None and expected["sha256"] != transformer_sha256(config.transformer):
            raise CheckpointError(
                f"{name}: the installed transformer {config.transformer!r} differs from the one it "
                "was trained with (SHA-256 mismatch). Install the matching weights."
            )
    elif expected is not None:
        raise CheckpointError(f"{name}: its JSON records a transformer ({expected['name']!r}) but the model "
                              "config has none (transformer: null). Fix: make them agree.")
    if own:
        return ("not verified: marked as the user's own checkpoint (\"integrity\": \"user-owned\"); "
                + ("weights SHA-256 matches the JSON" if recorded else "no hashes recorded"))
    return VERIFIED


def load_checkpoint(path: str | Path, *, device: str | torch.device = "cpu", verify_hash: bool = True) -> Checkpoint:
    """Rebuild the network from a checkpoint, validating schema, hashes and keys."""
    weights_path, _ = _pair(path)
    doc = read_checkpoint_metadata(path)
    sha = _sha256(weights_path)
    try:
        config = ModelConfig.from_dict(doc["model"])
    except (KeyError, TypeError, ValueError, ConfigError) as exc:
        raise CheckpointError(f"{weights_path.name}: model config missing or malformed ({exc}).") from exc
    integrity = _check_integrity(doc, config, weights_path, sha, verify_hash)
    try:
        tensors = load_file(str(weights_path))
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(f"{weights_path.name}: unreadable safetensors file ({exc}).") from exc
    model = HybridUNetPlusPlus(config)
    own = model.trainable_state_dict()
    missing = sorted(set(own) - set(tensors))
    unexpected = sorted(set(tensors) - set(own))
    if missing or unexpected:
        raise CheckpointError(
            f"{weights_path.name}: weights do not fit the config (missing {missing[:3]}, unexpected {unexpected[:3]})."
        )
    for key, value in tensors.items():
        if value.shape != own[key].shape:
            raise CheckpointError(f"{weights_path.name}: {key} has shape {tuple(value.shape)}, expected {tuple(own[key].shape)}.")
        if bad := _non_finite(value):
            raise CheckpointError(
                f"{weights_path.name}: {key} holds NaN or inf values ({bad} of "
                f"{value.numel()}), which silently breaks the network; refused. Fix: re-export it from the "
                "float32 run checkpoint with `medbrain train export` (it keeps such tensors in float32).")
        tensors[key] = value.to(own[key].dtype)
    model.load_state_dict(tensors, strict=False)
    model.to(device).eval()
    return Checkpoint(model=model, config=config, metadata=doc, path=weights_path, sha256=sha, integrity=integrity)
