"""Optional ImageNet encoder weights from a torchvision-format state dict the user supplies.

Nothing is downloaded. The first convolution is widened from 3 to the network's input
channels by cycling the RGB filters and rescaling (as smp does for pretrained encoders).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import torch
from safetensors.torch import load_file

from medbrain.errors import CheckpointError
from medbrain.model.hybrid import HybridUNetPlusPlus


def read_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    """Read a state dict from safetensors, or from a torch file with ``weights_only=True``.

    A file that needs full unpickling is refused; the message never suggests
    ``weights_only=False`` (that would run whatever code the file carries).
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"Encoder weights file not found: {path}")
    try:
        if path.suffix == ".safetensors":
            return load_file(str(path))
        with warnings.catch_warnings():  # torch's own advice about the unpickler is not for our users
            warnings.simplefilter("ignore")
            state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for hostile or corrupt files
        raise CheckpointError(
            f"{path.name}: refused: it is not a plain tensor state dict that loads without running code "
            f"(a pickle of other objects, possibly hostile, or a damaged file; {type(exc).__name__}). medbrain "
            "never unpickles arbitrary objects. Fix: in a trusted environment, save the torchvision ResNet "
            "weights with safetensors.torch.save_file(model.state_dict(), 'resnet.safetensors') and pass that."
        ) from None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise CheckpointError(f"{path.name}: not a flat tensor state dict (torchvision format expected).")
    return state


def widen_first_conv(weight: torch.Tensor, in_channels: int) -> torch.Tensor:
    """(out, 3, k, k) -> (out, in_channels, k, k), keeping the expected activation scale."""
    reps = [weight[:, i % weight.shape[1]] for i in range(in_channels)]
    return torch.stack(reps, dim=1) * (weight.shape[1] / in_channels)


def load_encoder_weights(model: HybridUNetPlusPlus, path: str | Path) -> None:
    """Load torchvision ResNet weights into the encoder (strict, fc dropped)."""
    state = {k: v for k, v in read_state_dict(path).items() if not k.startswith("fc.")}
    if "conv1.weight" in state:
        state["conv1.weight"] = widen_first_conv(state["conv1.weight"], model.config.in_channels)
    try:
        model.encoder.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise CheckpointError(f"{Path(path).name}: does not fit encoder {model.config.encoder} ({exc}).") from exc
