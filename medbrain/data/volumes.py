"""Sub-region volumes in mL from an internal label map (used by `segment` and reports)."""

from __future__ import annotations

import numpy as np

VOLUME_REGIONS: dict[str, tuple[int, ...]] = {
    "NCR": (1,), "ED": (2,), "ET": (4,), "TC": (1, 4), "WT": (1, 2, 4),
}


def region_volumes_ml(label: np.ndarray, voxel_volume_ml: float) -> dict[str, float]:
    """Volume of each sub-region and composite region in mL (voxels x voxel volume)."""
    counts = np.bincount(label.ravel(), minlength=5)
    return {name: float(sum(counts[v] for v in values) * voxel_volume_ml) for name, values in VOLUME_REGIONS.items()}
