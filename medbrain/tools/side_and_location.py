"""Where the tumour lies: hemisphere, midline crossing and share of each atlas structure.

The mid-sagittal plane is the SRI24 atlas midline on the SRI24 grid, else the middle of
the brain mask's left-right extent, else the middle of the grid. Against it the tumour's
voxels give the side (``bilateral`` above a minimum share on each side), whether one
lesion crosses the midline by a margin, and how far the tumour reaches into the other
hemisphere; the atlas gives the share of the tumour in each structure and that part's
side. Arrays are canonical (RAS+) here; see :mod:`medbrain.tools.measure`.
"""

from __future__ import annotations

import numpy as np

from medbrain.tools.atlas import (
    SRI24_MIDLINE_RAS_INDEX,
    STRUCTURES,
    AtlasUnavailableError,
    Canonical,
    load_sri24_bits,
    to_canonical,
)
from medbrain.tools.measurements import (
    BILATERAL_MIN_FRACTION,
    MIDLINE_CROSS_MIN_ML,
    MIDLINE_MARGIN_MM,
    MIN_INVOLVED_FRACTION,
    MIN_LESION_VOXELS,
    Location,
    Side,
    StructureShare,
)


# --------------------------------------------------------------------------- side


def midline_index(canon: Canonical, affine: np.ndarray, on_sri24: bool,
                  brain_mask: np.ndarray | None) -> tuple[float, str]:
    """Mid-sagittal plane as a fractional RAS x index, and where it came from."""
    if on_sri24:
        return SRI24_MIDLINE_RAS_INDEX, "SRI24 atlas mid-sagittal plane"
    if brain_mask is not None:
        brain = to_canonical(np.asarray(brain_mask, dtype=bool), affine).data
        xs = np.flatnonzero(brain.any(axis=(1, 2)))
        if xs.size:
            return (xs[0] + xs[-1]) / 2.0, "middle of the brain mask's left-right extent"
    return (canon.data.shape[0] - 1) / 2.0, "middle of the image grid (no atlas, no brain mask)"


def _side_of(x_index: np.ndarray, midline: float) -> tuple[str, float, float]:
    n = x_index.size
    if n == 0:
        return "none", 0.0, 0.0
    on_plane = np.count_nonzero(x_index == midline)  # split evenly between the sides
    left = (np.count_nonzero(x_index < midline) + 0.5 * on_plane) / n
    right = 1.0 - left
    if min(left, right) >= BILATERAL_MIN_FRACTION:
        return "bilateral", left, right
    return ("left" if left > right else "right"), left, right


def _crosses_midline(xs: np.ndarray, ids: np.ndarray, sizes: np.ndarray, midline: float,
                     zooms: np.ndarray) -> bool:
    """Whether one lesion reaches well into both hemispheres (see module docstring).

    ``xs``/``ids``: RAS x index and lesion id of every tumour voxel.
    """
    margin = MIDLINE_MARGIN_MM / zooms[0]
    min_voxels = MIDLINE_CROSS_MIN_ML * 1000.0 / float(np.prod(zooms))
    left = np.bincount(ids[xs < midline - margin], minlength=sizes.size)
    right = np.bincount(ids[xs > midline + margin], minlength=sizes.size)
    real = sizes >= MIN_LESION_VOXELS
    real[0] = False
    return bool(np.any(real & (left >= min_voxels) & (right >= min_voxels)))


def _contralateral_extent_mm(xs: np.ndarray, midline: float, x_mm: float) -> float:
    left, right = xs[xs < midline], xs[xs > midline]
    minority = left if left.size < right.size else right
    return float(np.abs(minority - midline).max()) * x_mm if minority.size else 0.0


def measure_side(canon: Canonical, wt: np.ndarray, components: np.ndarray, sizes: np.ndarray,
                 zooms: np.ndarray, midline: float, source: str) -> Side:
    """Side, midline crossing and contralateral extent of the tumour ``wt`` (canonical arrays)."""
    centre = (np.array(canon.data.shape[:3]) - 1) / 2.0
    world = canon.affine @ np.array([midline, centre[1], centre[2], 1.0])
    xs = np.nonzero(wt)[0]
    side, left, right = _side_of(xs, midline)
    crosses = _crosses_midline(xs, components[wt], sizes, midline, zooms)
    extent = _contralateral_extent_mm(xs, midline, float(zooms[0]))
    return Side(side, left, right, crosses, extent, float(world[0]), source)


# --------------------------------------------------------------------------- location


def atlas_location(wt: np.ndarray, voxel_ml: float, midline: float,
                   reason: str | None) -> Location:
    """Share of the tumour in each SRI24 structure, or why the location is unknown (``reason``)."""
    if reason is not None:
        return Location("unknown", f"location unknown: {reason}")
    if not wt.any():
        return Location("known", None, [], None)
    try:
        bits, stems = load_sri24_bits()
    except AtlasUnavailableError as exc:
        return Location("unknown", f"location unknown: {exc}")
    idx = np.nonzero(wt)
    codes = bits[idx]
    n = codes.size
    shares = []
    for b, stem in enumerate(stems):
        inside = (codes >> b) & 1 == 1
        frac = float(np.count_nonzero(inside)) / n
        if frac >= MIN_INVOLVED_FRACTION:
            name, kind = STRUCTURES[stem]
            side = _side_of(idx[0][inside], midline)[0]
            shares.append(StructureShare(name, kind, frac, frac * n * voxel_ml, side))
    shares.sort(key=lambda s: -s.fraction_of_tumour)
    outside = float(np.count_nonzero(codes == 0)) / n
    return Location("known", None, shares, outside)
