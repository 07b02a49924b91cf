"""Agreement between attribution maps at a common resolution, on |maps|.

Pixel-level rank correlation between a 40x48 Grad-CAM, a 5x6-token attention map,
superpixel plateaus (SLICE) and pixel-level Integrated Gradients measures their resolution,
not their agreement. Here every map is first pooled onto one common partition of the
brain - superpixels (SLICE's own when it ran, so its map is represented exactly, else SLIC
superpixels of the same slice) - as the mean of ``|map|`` in each cell, then compared:

- ``spearman``: Spearman correlation of the pooled magnitudes over the cells (None when a
  pooled map is constant);
- ``iou_top``: IoU of the top cells, the smallest set of highest cells covering
  ``top_fraction`` of the brain area (cells with zero magnitude are never "top");
- ``sign_spearman``: for two *signed* maps only (IG, SLICE), Spearman of the pooled
  signed means: do they agree on the direction, not just on where evidence is.

Magnitudes because the methods' signs are not comparable: Grad-CAM and attention are
non-negative by construction, IG and SLICE are signed.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np
from scipy.stats import spearmanr

from medbrain.tools.base import AttributionError

TOP_AREA = 0.10
SIGNED = ("integrated_gradients", "slice")


def _r(value: float | None, nd: int = 3) -> float | None:
    return None if value is None else round(float(value), nd)


def pool(values: np.ndarray, cells: np.ndarray) -> np.ndarray:
    """Mean of ``values`` per cell id 0..K-1 of ``cells`` (-1 = outside, ignored)."""
    cells = np.asarray(cells)
    k = int(cells.max()) + 1
    inside = cells >= 0
    sums = np.bincount(cells[inside], weights=np.asarray(values, dtype=np.float64)[inside], minlength=k)
    counts = np.bincount(cells[inside], minlength=k)
    return sums / np.maximum(counts, 1)


def _spearman(a: np.ndarray, b: np.ndarray) -> float | None:
    if a.size < 3 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return None
    rho = float(spearmanr(a, b).statistic)
    return None if math.isnan(rho) else rho


def top_cells(pooled: np.ndarray, areas: np.ndarray, fraction: float = TOP_AREA) -> np.ndarray:
    """Bool (K,): the highest cells until they cover ``fraction`` of the total area."""
    order = np.argsort(-pooled, kind="stable")
    covered = np.cumsum(areas[order])
    n = int(np.searchsorted(covered, fraction * areas.sum()) + 1)
    chosen = np.zeros(pooled.shape, bool)
    chosen[order[:n]] = True
    return chosen & (pooled > 0)


@dataclass
class PairAgreement:
    """Agreement of two maps at the common resolution."""

    pair: tuple[str, str]
    spearman: float | None
    iou_top: float | None
    sign_spearman: float | None = None

    def to_dict(self) -> dict[str, Any]:
        d = {"pair": list(self.pair), "spearman": _r(self.spearman), "iou_top": _r(self.iou_top)}
        if self.sign_spearman is not None:
            d["sign_spearman"] = _r(self.sign_spearman)
        return d


def agreement(maps: Mapping[str, np.ndarray], cells: np.ndarray, *,
              top_fraction: float = TOP_AREA) -> list[PairAgreement]:
    """Pairwise agreement of ``maps`` (name -> (X, Y)) pooled on ``cells`` (X, Y ids, -1 out)."""
    cells = np.asarray(cells)
    if cells.max() < 1:
        raise AttributionError("The common partition needs at least two cells.")
    for name, m in maps.items():
        if np.shape(m) != cells.shape:
            raise AttributionError(f"The {name} map has shape {np.shape(m)}, the partition {cells.shape}.")
    areas = np.bincount(cells[cells >= 0], minlength=int(cells.max()) + 1).astype(np.float64)
    mags = {k: pool(np.abs(v), cells) for k, v in maps.items()}
    signed = {k: pool(v, cells) for k, v in maps.items() if k in SIGNED}
    tops = {k: top_cells(v, areas, top_fraction) for k, v in mags.items()}
    out = []
    for a, b in itertools.combinations(maps, 2):
        union = np.count_nonzero(tops[a] | tops[b])
        iou = None if union == 0 else np.count_nonzero(tops[a] & tops[b]) / union
        sign = _spearman(signed[a], signed[b]) if a in signed and b in signed else None
        out.append(PairAgreement((a, b), _spearman(mags[a], mags[b]), iou, sign))
    return out
