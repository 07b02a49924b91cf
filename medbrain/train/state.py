"""Resumable training state without pickle: tensors in safetensors, the rest in JSON."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

from medbrain.errors import CheckpointError


def _split(obj: Any, prefix: str, tensors: dict[str, torch.Tensor]) -> Any:
    """Replace tensors in a nested structure by references, collecting them in ``tensors``."""
    if isinstance(obj, torch.Tensor):
        tensors[prefix] = obj.detach().cpu().contiguous()
        return {"__tensor__": prefix}
    if isinstance(obj, dict):
        return {"__dict__": [[_split(k, f"{prefix}.k{i}", tensors), _split(v, f"{prefix}.{i}", tensors)]
                             for i, (k, v) in enumerate(obj.items())]}
    if isinstance(obj, (list, tuple)):
        return {"__list__": [_split(v, f"{prefix}.{i}", tensors) for i, v in enumerate(obj)],
                "tuple": isinstance(obj, tuple)}
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    raise CheckpointError(f"Cannot store training state value of type {type(obj).__name__} at {prefix}.")


def _join(obj: Any, tensors: dict[str, torch.Tensor]) -> Any:
    if isinstance(obj, dict):
        if "__tensor__" in obj:
            return tensors[obj["__tensor__"]]
        if "__dict__" in obj:
            return {_join(k, tensors): _join(v, tensors) for k, v in obj["__dict__"]}
        if "__list__" in obj:
            items = [_join(v, tensors) for v in obj["__list__"]]
            return tuple(items) if obj.get("tuple") else items
    return obj


def save_state(path: str | Path, state: dict[str, Any]) -> None:
    """Write ``state`` (nested dicts/lists of tensors and JSON scalars) as PATH.safetensors + PATH.json."""
    path = Path(path)
    tensors: dict[str, torch.Tensor] = {}
    doc = _split(state, "s", tensors)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".safetensors")
    os.close(fd)
    save_file(tensors, tmp)
    os.replace(tmp, path.with_suffix(".safetensors"))
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".json")
    with os.fdopen(fd, "w") as fh:
        json.dump(doc, fh)
    os.replace(tmp, path.with_suffix(".json"))


def load_state(path: str | Path) -> dict[str, Any]:
    """Inverse of :func:`save_state`."""
    path = Path(path)
    try:
        tensors = load_file(str(path.with_suffix(".safetensors")))
        doc = json.loads(path.with_suffix(".json").read_text())
    except (OSError, ValueError) as exc:
        raise CheckpointError(f"Cannot read training state {path}: {exc}") from exc
    return _join(doc, tensors)
