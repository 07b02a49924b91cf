"""The ``measure`` tool: volumes, lesions, RANO-style diameters, side and location.

Everything is computed from a label map (internal labels 0/1 NCR/2 ED/4 ET) and its
affine. Arrays are first reoriented to RAS+ from the affine (no resampling), so sides,
"axial" and world coordinates never depend on how the array is stored; indices that are
reported (slices, centroid voxel) are given back in the input array's own indexing.

Definitions (constants below):

- Volumes: voxel count x voxel volume / 1000, in mL. The voxel volume is |det| of the
  affine's 3x3 part (right for sheared and rotated grids, where the product of the axis
  lengths is not); with ``spacing`` the axis lengths are spacing's and the angles the
  affine's. TC = NCR + ET, WT = NCR + ED + ET.
- Lesions: connected components of WT with 26-connectivity; components smaller than
  ``MIN_LESION_VOXELS`` voxels are "specks": ``lesions.count`` ignores them,
  ``lesions.count_including_specks`` does not.
- Largest axial slice: the axial (superior-inferior normal) slice with the largest WT
  area; ties go to the most inferior slice.
- Bidimensional product (RANO-style): on the axial slice of largest area of the region,
  within its largest 8-connected cross-section, the longest diameter (maximum Feret
  diameter, measured between pixel outer edges) and the longest chord of the lesion
  perpendicular to it; product in mm². RANO measures the contrast-enhancing lesion, so the
  ``rano`` entry uses TC (enhancing tumour + necrotic core) when TC is present, else WT.
  The same measurement is also given for WT.
- Side: WT voxels left / right of the mid-sagittal plane (RAS x). The plane is the SRI24
  atlas midline on the SRI24 grid, else the middle of ``brain_mask``'s left-right extent
  when given, else the middle of the grid. ``bilateral`` when each hemisphere holds at
  least ``BILATERAL_MIN_FRACTION`` of the tumour. Mass effect (midline shift) is not
  modelled.
- Midline crossing: one lesion (connected component) with at least
  ``MIDLINE_CROSS_MIN_ML`` of tissue more than ``MIDLINE_MARGIN_MM`` beyond the midline on
  each side. The margin absorbs a few mm of registration error and midline shift, which
  an atlas midline cannot see (e.g. Brats18_2013_11_1 reaches 3.8 mm past it without
  crossing). Two separate lesions, one per hemisphere, are bilateral, not crossing.
  ``contralateral_extent_mm`` is how far the tumour reaches past the midline into the
  hemisphere holding less of it (voxel centres).
- Location: share of WT voxels inside each SRI24 atlas structure (structures overlap and
  do not cover all white matter, so shares need not sum to 1); listed when at least
  ``MIN_INVOLVED_FRACTION``. Off the SRI24 grid the location is "unknown" with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
from nibabel import aff2axcodes
from scipy import ndimage
from scipy.spatial import ConvexHull

from medbrain.errors import GeometryMismatchError, ShapeMismatchError, UnknownLabelError
from medbrain.tools.atlas import (
    ATLAS_SOURCE,
    SRI24_MIDLINE_RAS_INDEX,
    STRUCTURES,
    AtlasUnavailableError,
    Canonical,
    load_sri24_bits,
    sri24_mismatch,
    to_canonical,
)

MIN_LESION_VOXELS = 10
BILATERAL_MIN_FRACTION = 0.10
MIDLINE_MARGIN_MM = 5.0
MIDLINE_CROSS_MIN_ML = 0.05
MIN_INVOLVED_FRACTION = 0.01
SUBREGIONS = {"NCR": 1, "ED": 2, "ET": 4}
DEFINITIONS: dict[str, Any] = {
    "lesion_connectivity": 26,
    "min_lesion_voxels": MIN_LESION_VOXELS,
    "rano_region": "TC if present, else WT",
    "bilateral_min_fraction": BILATERAL_MIN_FRACTION,
    "midline_margin_mm": MIDLINE_MARGIN_MM,
    "midline_cross_min_ml": MIDLINE_CROSS_MIN_ML,
    "min_involved_fraction": MIN_INVOLVED_FRACTION,
}


def _r(value: float | None, ndigits: int) -> float | None:
    return None if value is None else round(float(value), ndigits)


@dataclass
class Bidimensional:
    """RANO-style longest axial diameter, its perpendicular and their product."""

    region: str
    slice_index: int  # along the input array's axial axis
    area_mm2: float  # area of the measured cross-section
    longest_diameter_mm: float
    perpendicular_diameter_mm: float

    @property
    def product_mm2(self) -> float:
        return self.longest_diameter_mm * self.perpendicular_diameter_mm

    def to_dict(self) -> dict[str, Any]:
        return {
            "region": self.region,
            "slice_index": int(self.slice_index),
            "cross_section_area_mm2": _r(self.area_mm2, 1),
            "longest_diameter_mm": _r(self.longest_diameter_mm, 1),
            "perpendicular_diameter_mm": _r(self.perpendicular_diameter_mm, 1),
            "product_mm2": _r(self.product_mm2, 1),
        }


@dataclass
class StructureShare:
    """Share of the tumour inside one atlas structure."""

    name: str
    kind: str
    fraction_of_tumour: float
    volume_ml: float
    side: str  # side of the tumour part inside this structure

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind,
                "fraction_of_tumour": _r(self.fraction_of_tumour, 3),
                "volume_ml": _r(self.volume_ml, 2), "side": self.side}


@dataclass
class Location:
    """Atlas location of the whole tumour, or why it is unknown."""

    status: str  # "known" | "unknown"
    reason: str | None = None
    structures: list[StructureShare] = field(default_factory=list)
    fraction_outside_structures: float | None = None

    @property
    def lobes(self) -> list[str]:
        return [s.name for s in self.structures if s.kind == "lobe"]

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "reason": self.reason,
            "atlas": ATLAS_SOURCE if self.status == "known" else None,
            "region": "WT",
            "lobes": self.lobes,
            "primary_lobe": self.lobes[0] if self.lobes else None,
            "structures": [s.to_dict() for s in self.structures],
            "fraction_outside_atlas_structures": _r(self.fraction_outside_structures, 3),
        }


@dataclass
class Side:
    """Hemisphere of the tumour relative to the mid-sagittal plane."""

    side: str  # "left" | "right" | "bilateral" | "none"
    left_fraction: float
    right_fraction: float
    crosses_midline: bool
    contralateral_extent_mm: float
    midline_x_mm: float
    midline_source: str

    def to_dict(self) -> dict[str, Any]:
        return {"side": self.side, "left_fraction": _r(self.left_fraction, 3),
                "right_fraction": _r(self.right_fraction, 3),
                "crosses_midline": bool(self.crosses_midline),
                "contralateral_extent_mm": _r(self.contralateral_extent_mm, 1),
                "midline_x_mm": _r(self.midline_x_mm, 2), "midline_source": self.midline_source}


@dataclass
class Measurements:
    """Everything ``measure_tumour`` reports; ``to_dict()`` is JSON-ready."""

    volumes_ml: dict[str, float]
    lesion_volumes_ml: list[float]
    lesion_count_including_specks: int
    largest_axial_slice: tuple[int, float] | None  # (input slice index, WT area mm²)
    rano: Bidimensional | None
    wt_bidimensional: Bidimensional | None
    centroid_voxel: tuple[float, float, float] | None
    centroid_world_mm: tuple[float, float, float] | None
    side: Side
    location: Location
    spacing_mm: tuple[float, float, float]
    orientation: str
    axial_axis: int

    @property
    def lesion_count(self) -> int:
        return len(self.lesion_volumes_ml)

    def to_dict(self) -> dict[str, Any]:
        slice_ = self.largest_axial_slice
        return {
            "voxel_spacing_mm": [_r(s, 3) for s in self.spacing_mm],
            "orientation": self.orientation,
            "axial_axis": int(self.axial_axis),
            "volumes_ml": {k: _r(v, 2) for k, v in self.volumes_ml.items()},
            "lesions": {
                "count": self.lesion_count,
                "count_including_specks": int(self.lesion_count_including_specks),
                "min_lesion_voxels": MIN_LESION_VOXELS,
                "volumes_ml": [_r(v, 2) for v in self.lesion_volumes_ml],
            },
            "largest_axial_slice": None if slice_ is None else {
                "region": "WT", "slice_index": int(slice_[0]), "area_mm2": _r(slice_[1], 1)},
            "rano": None if self.rano is None else self.rano.to_dict(),
            "wt_bidimensional": None if self.wt_bidimensional is None
            else self.wt_bidimensional.to_dict(),
            "centroid": None if self.centroid_voxel is None else {
                "region": "WT",
                "voxel": [_r(c, 1) for c in self.centroid_voxel],
                "world_mm": [_r(c, 1) for c in self.centroid_world_mm or ()],
                "world_frame": "RAS+ (nibabel: +x right, +y anterior, +z superior)",
            },
            "side": self.side.to_dict(),
            "location": self.location.to_dict(),
            "definitions": dict(DEFINITIONS),
        }


# --------------------------------------------------------------------------- checks


def _check_inputs(label: np.ndarray, affine: np.ndarray,
                  brain_mask: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    label = np.asarray(label)
    affine = np.asarray(affine, dtype=np.float64)
    if label.ndim != 3:
        raise ShapeMismatchError(f"measure needs a 3-D label map, got shape {label.shape}.")
    if affine.shape != (4, 4) or not np.isfinite(affine).all():
        raise GeometryMismatchError(
            f"measure needs a finite 4x4 affine, got shape {affine.shape}. "
            "Fix: pass the case's NIfTI affine (Case.affine).")
    if abs(np.linalg.det(affine[:3, :3])) < 1e-9:
        raise GeometryMismatchError("The affine is singular (zero voxel size).")
    present = (np.flatnonzero(np.bincount(label.ravel(), minlength=5))
               if label.dtype == np.uint8 else np.unique(label))
    bad = np.setdiff1d(present, (0, 1, 2, 4))
    if bad.size:
        raise UnknownLabelError(
            f"Label values {bad.tolist()} are not internal labels 0/1/2/4. "
            "Fix: convert the map with medbrain.labels.to_internal first.")
    if brain_mask is not None and np.shape(brain_mask) != label.shape:
        raise ShapeMismatchError(
            f"brain_mask shape {np.shape(brain_mask)} differs from label {label.shape}.")
    return label, affine


def _voxel_sizes(affine: np.ndarray, spacing: Sequence[float] | None) -> np.ndarray:
    """Input-axis voxel sizes (mm); ``spacing`` must agree with the affine within 1%."""
    zooms = np.sqrt((affine[:3, :3] ** 2).sum(axis=0))
    if spacing is None:
        return zooms
    given = np.asarray(spacing, dtype=np.float64)
    if given.shape != (3,) or not np.all(given > 0):
        raise GeometryMismatchError(f"spacing must be 3 positive numbers, got {spacing}.")
    if np.any(np.abs(given - zooms) > 0.01 * zooms):
        raise GeometryMismatchError(
            f"spacing {tuple(given)} disagrees with the affine's voxel sizes "
            f"{tuple(np.round(zooms, 4))}. Fix: pass the affine and spacing of the same image.")
    return given


# --------------------------------------------------------------------------- lesions


def _lesions(wt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(component map, voxel count per component id; index 0 = background)."""
    components, _ = ndimage.label(wt, structure=np.ones((3, 3, 3), dtype=bool))
    return components, np.bincount(components.ravel())


# --------------------------------------------------------------------------- diameters


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


def _bidimensional(region: str, mask: np.ndarray, canon: Canonical,
                   zooms: np.ndarray) -> Bidimensional | None:
    areas = mask.sum(axis=(0, 1))
    if not areas.any():
        return None
    k = int(np.argmax(areas))
    section = _largest_component_2d(mask[:, :, k])
    longest, perp = feret_diameters(section, zooms[:2])
    return Bidimensional(region=region, slice_index=canon.input_index(2, k),
                         area_mm2=float(section.sum() * zooms[0] * zooms[1]),
                         longest_diameter_mm=longest, perpendicular_diameter_mm=perp)


# --------------------------------------------------------------------------- side


def _midline_index(canon: Canonical, affine: np.ndarray, on_sri24: bool,
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


def _side(canon: Canonical, wt: np.ndarray, components: np.ndarray, sizes: np.ndarray,
          zooms: np.ndarray, midline: float, source: str) -> Side:
    centre = (np.array(canon.data.shape[:3]) - 1) / 2.0
    world = canon.affine @ np.array([midline, centre[1], centre[2], 1.0])
    xs = np.nonzero(wt)[0]
    side, left, right = _side_of(xs, midline)
    crosses = _crosses_midline(xs, components[wt], sizes, midline, zooms)
    extent = _contralateral_extent_mm(xs, midline, float(zooms[0]))
    return Side(side, left, right, crosses, extent, float(world[0]), source)


# --------------------------------------------------------------------------- location


def _location(wt: np.ndarray, voxel_ml: float, midline: float,
              reason: str | None) -> Location:
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


def _voxel_volume_ml(affine: np.ndarray, sizes: np.ndarray) -> float:
    """|det| of the affine's 3x3 part in mL, its axis lengths rescaled to ``sizes`` (mm)."""
    norms = np.sqrt((affine[:3, :3] ** 2).sum(axis=0))
    return float(abs(np.linalg.det(affine[:3, :3])) * np.prod(sizes / norms)) / 1000.0


# --------------------------------------------------------------------------- main


def _centroid(canon: Canonical, wt: np.ndarray,
              input_affine: np.ndarray) -> tuple[tuple[float, ...], tuple[float, ...]] | None:
    if not wt.any():
        return None
    com = np.array(ndimage.center_of_mass(wt))
    world = canon.affine @ np.append(com, 1.0)
    voxel = np.linalg.solve(input_affine, world)
    return tuple(float(v) for v in voxel[:3]), tuple(float(w) for w in world[:3])


def measure_tumour(label: np.ndarray, affine: np.ndarray, *,
                   spacing: Sequence[float] | None = None,
                   brain_mask: np.ndarray | None = None) -> Measurements:
    """Measure the tumour in an internal label map (0/1 NCR/2 ED/4 ET) with its affine.

    ``spacing`` (input axis order, mm) is used for sizes and must agree with the affine.
    ``brain_mask`` (same shape) only sets the midline off the SRI24 grid.
    See the module docstring for every definition.
    """
    label, affine = _check_inputs(label, affine, brain_mask)
    sizes_in = _voxel_sizes(affine, spacing)
    canon = to_canonical(label, affine)
    zooms = np.array([sizes_in[canon.input_axis(a)] for a in range(3)])
    voxel_ml = _voxel_volume_ml(affine, sizes_in)
    lab = canon.data
    sub = {name: lab == value for name, value in SUBREGIONS.items()}
    tc = sub["NCR"] | sub["ET"]
    wt = tc | sub["ED"]
    volumes = {name: float(np.count_nonzero(m)) * voxel_ml
               for name, m in (*sub.items(), ("TC", tc), ("WT", wt))}
    components, comp_sizes = _lesions(wt)
    lesion_sizes = sorted((int(s) for s in comp_sizes[1:] if s >= MIN_LESION_VOXELS), reverse=True)
    areas = wt.sum(axis=(0, 1)) * zooms[0] * zooms[1]
    k = int(np.argmax(areas))
    centroid = _centroid(canon, wt, affine)
    off_grid = sri24_mismatch(label.shape, affine)
    midline, source = _midline_index(canon, affine, off_grid is None, brain_mask)
    return Measurements(
        volumes_ml=volumes,
        lesion_volumes_ml=[s * voxel_ml for s in lesion_sizes],
        lesion_count_including_specks=int(np.count_nonzero(comp_sizes[1:])),
        largest_axial_slice=(canon.input_index(2, k), float(areas[k])) if wt.any() else None,
        rano=_bidimensional("TC" if tc.any() else "WT", tc if tc.any() else wt, canon, zooms),
        wt_bidimensional=_bidimensional("WT", wt, canon, zooms),
        centroid_voxel=None if centroid is None else centroid[0],
        centroid_world_mm=None if centroid is None else centroid[1],
        side=_side(canon, wt, components, comp_sizes, zooms, midline, source),
        location=_location(wt, voxel_ml, midline, off_grid),
        spacing_mm=tuple(float(s) for s in sizes_in),
        orientation="".join(str(c) for c in aff2axcodes(affine)),
        axial_axis=canon.input_axis(2),
    )
