"""RANO-style bidimensional measurement: the longest axial diameter and its perpendicular.

On the axial slice where a region's area is largest, within its largest 8-connected
cross-section, :func:`feret_diameters` measures the maximum Feret diameter (between pixel
outer edges, on the convex hull of the pixel corners) and the longest chord of the lesion
perpendicular to it. This geometry is independent of volumes, sides and atlases, so it
is kept (and tested) on its own.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from scipy import ndimage
from scipy.spatial import ConvexHull

from medbrain.tools.atlas import Canonical
from medbrain.tools.measurements import Bidimensional


def _largest_component_2d(mask: np.ndarray) -> np.ndarray:
    comp, n = ndimage.label(mask, structure=np.ones((3, 3), dtype=bool))
    if n <= 1:
        return mask
    sizes = np.bincount(comp.ravel())
    sizes[0] = 0
    return comp == int(np.argmax(sizes))


def _longest_runs(inside: np.ndarray) -> np.ndarray:
    """Length (in samples) of the longest run of True in each row of a 2-D bool array."""
    d = np.diff(np.pad(inside.astype(np.int8), ((0, 0), (1, 1))), axis=1)
    rows, starts = np.nonzero(d == 1)
    _, ends = np.nonzero(d == -1)
    out = np.zeros(inside.shape[0], dtype=np.int64)
    np.maximum.at(out, rows, ends - starts)
    return out


def feret_diameters(mask: np.ndarray, pixel_mm: Sequence[float]) -> tuple[float, float]:
    """Longest diameter of a 2-D mask and the longest chord perpendicular to it (mm).

    The longest diameter is the largest distance between pixel corners (the shape's
    maximum Feret diameter, edge to edge). The perpendicular diameter is the longest
    run of lesion along lines perpendicular to it, sampled every quarter pixel.
    """
    sx, sy = (float(p) for p in pixel_mm)
    edge = mask & ~ndimage.binary_erosion(mask)
    ii, jj = np.nonzero(edge)
    corners = np.concatenate([np.stack([(ii + dx) * sx, (jj + dy) * sy], axis=1)
                              for dx in (-0.5, 0.5) for dy in (-0.5, 0.5)])
    hull = corners[ConvexHull(corners).vertices]
    dist = np.linalg.norm(hull[:, None] - hull[None], axis=-1)
    a, b = np.unravel_index(int(np.argmax(dist)), dist.shape)
    longest = float(dist[a, b])
    u = (hull[b] - hull[a]) / longest
    v = np.array([-u[1], u[0]])
    step = min(sx, sy) / 4.0
    tu, tv = hull @ u, hull @ v
    ts = np.arange(tu.min() + step / 2, tu.max(), 2 * step)
    ss = np.arange(tv.min() + step / 2, tv.max(), step)
    pts = ts[:, None, None] * u + ss[None, :, None] * v  # (T, S, 2) in mm
    i = np.rint(pts[..., 0] / sx).astype(np.int64)
    j = np.rint(pts[..., 1] / sy).astype(np.int64)
    ok = (i >= 0) & (i < mask.shape[0]) & (j >= 0) & (j < mask.shape[1])
    inside = np.zeros(ok.shape, dtype=bool)
    inside[ok] = mask[i[ok], j[ok]]
    perpendicular = float(_longest_runs(inside).max()) * step
    return longest, perpendicular


def bidimensional(region: str, mask: np.ndarray, canon: Canonical,
                  zooms: np.ndarray) -> Bidimensional | None:
    """Diameters of ``mask`` on its axial slice of largest area (None for an empty mask)."""
    areas = mask.sum(axis=(0, 1))
    if not areas.any():
        return None
    k = int(np.argmax(areas))
    section = _largest_component_2d(mask[:, :, k])
    longest, perp = feret_diameters(section, zooms[:2])
    return Bidimensional(region=region, slice_index=canon.input_index(2, k),
                         area_mm2=float(section.sum() * zooms[0] * zooms[1]),
                         longest_diameter_mm=longest, perpendicular_diameter_mm=perp)
