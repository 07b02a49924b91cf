"""The ``measure`` tool: volumes, lesions, RANO-style diameters, side and location.

Everything is computed from a label map (internal labels 0/1 NCR/2 ED/4 ET) and its
affine. Arrays are first reoriented to RAS+ from the affine (no resampling), so sides,
"axial" and world coordinates never depend on how the array is stored; indices that are
reported (slices, centroid voxel) are given back in the input array's own indexing.

This module checks the inputs, computes volumes, lesions and the centroid and assembles
:class:`~medbrain.tools.measurements.Measurements`; the diameters are in
:mod:`medbrain.tools.diameters`, side and atlas location in
:mod:`medbrain.tools.side_and_location`, the records and constants in
:mod:`medbrain.tools.measurements`.

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

from typing import Sequence

import numpy as np
from nibabel import aff2axcodes
from scipy import ndimage

from medbrain.errors import GeometryMismatchError, ShapeMismatchError, UnknownLabelError
from medbrain.tools.atlas import Canonical, sri24_mismatch, to_canonical
from medbrain.tools.diameters import bidimensional
from medbrain.tools.measurements import MIN_LESION_VOXELS, Measurements
from medbrain.tools.side_and_location import atlas_location, measure_side, midline_index

SUBREGIONS = {"NCR": 1, "ED": 2, "ET": 4}


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
    midline, source = midline_index(canon, affine, off_grid is None, brain_mask)
    return Measurements(
        volumes_ml=volumes,
        lesion_volumes_ml=[s * voxel_ml for s in lesion_sizes],
        lesion_count_including_specks=int(np.count_nonzero(comp_sizes[1:])),
        largest_axial_slice=(canon.input_index(2, k), float(areas[k])) if wt.any() else None,
        rano=bidimensional("TC" if tc.any() else "WT", tc if tc.any() else wt, canon, zooms),
        wt_bidimensional=bidimensional("WT", wt, canon, zooms),
        centroid_voxel=None if centroid is None else centroid[0],
        centroid_world_mm=None if centroid is None else centroid[1],
        side=measure_side(canon, wt, components, comp_sizes, zooms, midline, source),
        location=atlas_location(wt, voxel_ml, midline, off_grid),
        spacing_mm=tuple(float(s) for s in sizes_in),
        orientation="".join(str(c) for c in aff2axcodes(affine)),
        axial_axis=canon.input_axis(2),
    )
