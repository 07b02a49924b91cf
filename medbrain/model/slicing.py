"""Axial slice stacks with neighbouring-slice context, shared by training and inference."""

from __future__ import annotations

import numpy as np

DIVISOR = 32  # smp encoders downsample 5 times


def padded_size(n: int, divisor: int = DIVISOR) -> int:
    """Smallest multiple of ``divisor`` that holds ``n``."""
    return max(divisor, -(-n // divisor) * divisor)


def inplane_pad(shape_xy: tuple[int, int], divisor: int = DIVISOR) -> tuple[tuple[int, int], tuple[int, int]]:
    """(before, after) padding per in-plane axis that centres the slice in a divisible window."""
    pads = []
    for n in shape_xy:
        extra = padded_size(n, divisor) - n
        pads.append((extra // 2, extra - extra // 2))
    return pads[0], pads[1]


def context_indices(z: int, depth: int, context: int) -> list[int]:
    """Slice indices z-context..z+context, clamped at the volume's ends."""
    return [min(max(z + o, 0), depth - 1) for o in range(-context, context + 1)]


def slice_stack(volume: np.ndarray, z: int, context: int) -> np.ndarray:
    """(4, X, Y, Z) volume -> (4*(2*context+1), X, Y) input for axial slice ``z``."""
    idx = context_indices(z, volume.shape[-1], context)
    return volume[..., idx].transpose(3, 0, 1, 2).reshape(-1, *volume.shape[1:3])
