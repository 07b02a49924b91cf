"""Building what a command works with: the compute device and a case workspace with its settings.

The CLI validates options before the heavy imports (``check_device`` needs no torch); the
functions here import torch and load the model, so they run only once the input is known good.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from medbrain.errors import ConfigError

DEVICE_CHOICES = ("auto", "cpu", "cuda")

#: ``--fast``: cheaper Integrated Gradients and SLICE settings for the report and chat.
FAST_METHOD_SETTINGS = {"integrated_gradients": {"n_steps": 16}, "slice": {"num_samples": 32, "max_steps": 2}}


def check_device(device: str) -> str:
    """Validate --device without importing torch, so a wrong option fails at once."""
    d = device.strip().lower()
    if d in DEVICE_CHOICES or (d.startswith("cuda:") and d[5:].isdigit()):
        return d
    raise ConfigError(f"--device must be auto, cpu, cuda or cuda:N, got {device!r}.")


def resolve_device(device: str) -> str:
    """``auto`` -> cuda when present, else cpu; a CUDA request without CUDA is an error."""
    import torch

    d = check_device(device)
    if d.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError(f"--device {device}: no CUDA device is available here; use --device cpu or auto.")
    return ("cuda" if torch.cuda.is_available() else "cpu") if d == "auto" else d


def make_workspace(checkpoint: Optional[Path], device: str, *, tta: bool, seed: int, fast: bool,
                   synthetic: bool = False, slices: str = "tumour", budget: str = "fast", require_all: bool = False):
    """A workspace holding the loaded model (shared by every case of a batch via ``fresh()``)."""
    import torch

    from medbrain.model.checkpoint import load_checkpoint
    from medbrain.model.default import resolve_checkpoint
    from medbrain.model.inference import SliceSchedule
    from medbrain.pipeline.workspace import CaseWorkspace

    torch.manual_seed(seed)
    dev = resolve_device(device)
    ckpt = load_checkpoint(resolve_checkpoint(checkpoint), device=dev)
    return CaseWorkspace(ckpt, device=dev, tta=tta, seed=seed, synthetic=synthetic,
                         method_settings=FAST_METHOD_SETTINGS if fast else None, deletion_steps=10 if fast else 20,
                         slices=SliceSchedule(slices), budget=budget, require_all=require_all)
