"""Seeded synthetic BraTS-like cases (for tests, demos and smoke runs).

The phantom mimics a skull-stripped BraTS case: 1 mm voxels on the BraTS LPS grid
(affine diag(-1, -1, 1), y offset shape[1]-1), an ellipsoidal brain (~140x170x130 mm at
full size) with cortex, sulci, white matter, deep grey matter, ventricles and a midline
fissure, smooth bias fields and mild noise, raw int16-like intensities modelled on the
shared BraTS 2018 cases, and a glioma in one hemisphere: necrotic core (label 1), an
enhancing rim (4) and surrounding oedema (2) with noise-perturbed boundaries. The
ground-truth labels are exactly the tumour tissue map. Smaller shapes scale the anatomy.
"""

from __future__ import annotations

from pathlib import Path

import nibabel as nib
import numpy as np
from scipy import ndimage

from medbrain.data.discovery import MODALITIES, MSD_CHANNELS
from medbrain.data.preprocessing import bounding_box
from medbrain.data.writing import atomic_write_nifti
from medbrain.errors import ConfigError
from medbrain.labels import LabelConvention, from_internal

REFERENCE_SHAPE: tuple[int, int, int] = (240, 240, 155)
SIDES = ("left", "right")

# Tissue codes of the phantom's tissue map.
BG, CSF, GM, DGM, WM, ED, NCR, ET = range(8)
_TISSUE_LABEL = np.array([0, 0, 0, 0, 0, 2, 1, 4], dtype=np.uint8)

# Mean raw intensity per tissue for (t1, t1ce, t2, flair), modelled on BraTS 2018 cases:
# T1: WM > GM > CSF; T2: CSF > GM > WM; FLAIR: CSF dark, GM > WM; T1ce like T1.
# Tumour: NCR dark on T1/T1ce and bright on T2; ET bright on T1ce only; ED bright on
# T2/FLAIR and slightly dark on T1.
TISSUE_INTENSITY = np.array([
    [0, 0, 0, 0],  # background
    [180, 250, 1400, 90],  # CSF
    [380, 470, 620, 330],  # cortical grey matter
    [430, 510, 540, 300],  # deep grey matter
    [500, 560, 450, 270],  # white matter
    [410, 480, 900, 560],  # oedema
    [230, 220, 1150, 420],  # necrotic core
    [420, 1100, 800, 480],  # enhancing rim
], dtype=np.float32)

_FILE_NAMES = {
    "brats2018": ("_", {"t1": "t1", "t1ce": "t1ce", "t2": "t2", "flair": "flair", "seg": "seg"},
                  LabelConvention.BRATS2018),
    "brats2023": ("-", {"t1": "t1n", "t1ce": "t1c", "t2": "t2w", "flair": "t2f", "seg": "seg"},
                  LabelConvention.BRATS2023),
}


def brats_affine(shape: tuple[int, int, int]) -> np.ndarray:
    """The BraTS (SRI24, LPS) voxel-to-world affine for a 1 mm grid of ``shape``."""
    return np.array([[-1.0, 0, 0, 0], [0, -1.0, 0, shape[1] - 1], [0, 0, 1.0, 0],
                     [0, 0, 0, 1.0]])


def _field(rng: np.random.Generator, coords: list[np.ndarray], n_terms: int,
           fmin: float, fmax: float) -> np.ndarray:
    """Very smooth random field on a grid (~unit variance): separable random cosines.

    Used for slowly varying bias fields; ``coords`` are per-axis positions as fractions
    of the grid, frequencies are in cycles per grid extent.
    """
    shape = tuple(len(c) for c in coords)
    out = np.zeros(shape, dtype=np.float32)
    for _ in range(n_terms):
        freqs = rng.uniform(fmin, fmax, size=3)
        phases = rng.uniform(0, 2 * np.pi, size=3)
        parts = [np.cos(2 * np.pi * f * c + p).astype(np.float32)
                 for f, c, p in zip(freqs, coords, phases)]
        out += parts[0][:, None, None] * parts[1][None, :, None] * parts[2][None, None, :]
    out *= np.float32(np.sqrt(8.0 / n_terms))
    return out


def _waves(rng: np.random.Generator, pts: np.ndarray, n_terms: int, wl_min: float,
           wl_max: float) -> np.ndarray:
    """Isotropic random field (~unit variance) at points ``pts`` (N, 3) in voxels.

    A sum of plane waves with random directions, wavelengths in [wl_min, wl_max] voxels
    and phases - irregular, lattice-free texture, evaluated only where it is needed.
    """
    dirs = rng.normal(size=(3, n_terms))
    dirs /= np.linalg.norm(dirs, axis=0, keepdims=True)
    k = (dirs * 2 * np.pi / rng.uniform(wl_min, wl_max, size=n_terms)).astype(np.float32)
    phase = rng.uniform(0, 2 * np.pi, size=n_terms).astype(np.float32)
    x, y, z = (np.ascontiguousarray(pts[:, i]) for i in range(3))
    out = np.zeros(len(pts), dtype=np.float32)
    for t in range(n_terms):
        out += np.cos(x * k[0, t] + y * k[1, t] + z * k[2, t] + phase[t])
    out *= np.float32(np.sqrt(2.0 / n_terms))
    return out


def _ellipsoid_r2(axes: list[np.ndarray], centre, radii) -> np.ndarray:
    """Squared normalised radius of an axis-aligned ellipsoid on the grid ``axes``."""
    u, v, w = ((a - c) / r for a, c, r in zip(axes, centre, radii))
    return (u * u)[:, None, None] + (v * v)[None, :, None] + (w * w)[None, None, :]


def _points(mask: np.ndarray, offset=(0, 0, 0)) -> np.ndarray:
    """(N, 3) float32 voxel coordinates of the True voxels of ``mask``."""
    return (np.argwhere(mask) + np.asarray(offset)).astype(np.float32)


def _anatomy(rng, shape, scale) -> tuple[np.ndarray, np.ndarray]:
    """Healthy tissue map and brain mask."""
    axes = [np.arange(n, dtype=np.float32) for n in shape]
    sx, sy, sz = scale
    iso = float(np.cbrt(sx * sy * sz))
    c = np.array([(shape[0] - 1) / 2, 128.0 * sy, 72.0 * sz], dtype=np.float32)
    radii = np.array([70.0 * sx, 85.0 * sy, 65.0 * sz], dtype=np.float32)

    r = np.sqrt(_ellipsoid_r2(axes, c, radii))
    near = r < 1.15
    pts = _points(near)
    r_near = r[near] * (1 + 0.03 * _waves(rng, pts, 8, 80 * iso, 200 * iso))
    inside = r_near < 1
    brain = np.zeros(shape, dtype=bool)
    brain[near] = inside
    pts, depth = pts[inside], 1 - r_near[inside]
    labels = np.full(len(pts), WM, dtype=np.uint8)

    # Cortex of varying thickness, sulci along the zero set of a random field.
    shell = depth < 0.16
    sp = pts[shell]
    cortex = depth[shell] < 0.10 + 0.045 * _waves(rng, sp, 16, 14 * iso, 36 * iso)
    sulci = (depth[shell] < 0.12) & (np.abs(_waves(rng, sp, 16, 16 * iso, 40 * iso)) < 0.22)
    shell_labels = np.where(cortex, np.uint8(GM), np.uint8(WM))
    shell_labels[sulci | (depth[shell] < 0.012)] = CSF
    labels[shell] = shell_labels
    tissue = np.zeros(shape, dtype=np.uint8)
    tissue[brain] = labels  # argwhere order == boolean-mask order (C order)

    # Midline: interhemispheric fissure (CSF) lined by cortex, upper part of the brain.
    dx = np.abs(axes[0] - c[0])[:, None, None]
    upper = (axes[2] > c[2] - 0.25 * radii[2])[None, None, :]
    tissue[brain & upper & (dx < max(3.5 * sx, 1.5))] = GM
    tissue[brain & upper & (dx < max(1.0 * sx, 0.6)) & (r < 0.98)] = CSF

    # Deep grey matter (basal ganglia / thalami) and ventricles.
    for sgn in (-1, 1):
        dgm = (c[0] + sgn * 20 * sx, c[1], c[2] - 6 * sz)
        tissue[_ellipsoid_r2(axes, dgm, (9 * sx, 15 * sy, 10 * sz)) < 1] = DGM
        vent_c = (c[0] + sgn * 7 * sx, c[1] + 2 * sy, c[2] + 8 * sz)
        vent_r = (max(5 * sx, 1.5), 24 * sy, max(8 * sz, 1.5))
        tissue[_ellipsoid_r2(axes, vent_c, vent_r) < 1] = CSF
    third = (c[0], c[1] - 2 * sy, c[2] - 4 * sz)
    tissue[_ellipsoid_r2(axes, third, (max(1.5 * sx, 0.8), 10 * sy, 8 * sz)) < 1] = CSF
    return tissue, brain


def _tumour(rng, shape, scale, centre_x, side_sign):
    """Tumour voxels (N, 3), their tissue codes, oedema strength and texture factor."""
    sx, sy, sz = scale
    iso = float(np.cbrt(sx * sy * sz))
    radii = np.array([70.0 * sx, 85.0 * sy, 65.0 * sz])
    c0 = np.array([centre_x, 128.0 * sy, 72.0 * sz])
    centre = c0 + radii * np.array([side_sign * rng.uniform(0.3, 0.45),
                                    rng.uniform(-0.3, 0.3), rng.uniform(-0.05, 0.35)])
    rim = max(rng.uniform(2.5, 4.5) * iso, 1.5)
    r_tc = max(rng.uniform(14.0, 24.0) * iso, rim + 2.5)
    r_ncr = r_tc - rim
    r_wt = r_tc * rng.uniform(1.35, 1.8)
    stretch = rng.uniform(0.8, 1.2, size=3)

    reach = 1.7 * r_wt  # perturbation factors are clipped so nothing lies beyond
    half = reach * stretch
    lo = np.maximum(np.floor(centre - half), 0).astype(int)
    hi = np.minimum(np.ceil(centre + half) + 1, shape).astype(int)
    box = tuple(slice(int(a), int(b)) for a, b in zip(lo, hi))
    axes = [np.arange(s.start, s.stop, dtype=np.float32) for s in box]
    rho_box = np.sqrt(_ellipsoid_r2(axes, centre, stretch))
    near = rho_box < reach
    pts, rho = _points(near, lo), rho_box[near]

    def bumpy(amp: float, wl_min: float, wl_max: float) -> np.ndarray:
        f = 1 + amp * _waves(rng, pts, 12, wl_min * iso, wl_max * iso)
        return rho * np.clip(f, 0.6, 1.6)

    wt_rho = bumpy(0.22, 14, 40)
    tc = bumpy(0.12, 10, 30) < r_tc
    ncr = (bumpy(0.15, 8, 24) < r_ncr) & tc
    wt = (wt_rho < r_wt) | tc
    codes = np.zeros(len(pts), dtype=np.uint8)
    codes[wt] = ED
    codes[tc] = ET
    codes[ncr] = NCR
    strength = np.clip(1.35 - 0.7 * wt_rho / r_wt, 0.55, 1.0).astype(np.float32)
    texture = (1 + 0.07 * _waves(rng, pts, 12, 4 * iso, 12 * iso)).astype(np.float32)
    keep = codes > 0
    return pts[keep].astype(np.intp), codes[keep], strength[keep], texture[keep]


def synthetic_case_in_memory(seed: int = 0, shape: tuple[int, int, int] = REFERENCE_SHAPE,
                             *, side: str | None = None
                             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Render a synthetic case: images (4, X, Y, Z) float32, label uint8 (internal), affine.

    ``side`` ("left"/"right", patient side as read from the affine) places the tumour;
    by default even seeds give left, odd seeds right.
    """
    shape = tuple(int(s) for s in shape)
    if len(shape) != 3 or min(shape) < 16:
        raise ConfigError(f"Synthetic shape must be 3-D with every side >= 16, got {shape}.")
    side = side or ("left" if seed % 2 == 0 else "right")
    if side not in SIDES:
        raise ConfigError(f"side must be 'left' or 'right', got {side!r}.")
    rng = np.random.default_rng(seed)
    scale = tuple(n / r for n, r in zip(shape, REFERENCE_SHAPE))
    affine = brats_affine(shape)

    tissue, brain = _anatomy(rng, shape, scale)
    # +i points to patient left when the affine's x column is negative (LPS grid).
    toward_left = -1 if affine[0, 0] > 0 else 1
    side_sign = toward_left if side == "left" else -toward_left
    centre_x = (shape[0] - 1) / 2
    pts, codes, strength, texture = _tumour(rng, shape, scale, centre_x, side_sign)
    keep = brain[tuple(pts.T)] & (side_sign * (pts[:, 0] - centre_x) > 1.5)
    pts, codes, strength, texture = pts[keep], codes[keep], strength[keep], texture[keep]
    healthy = tissue[tuple(pts.T)]
    tissue[tuple(pts.T)] = codes

    # Render intensities only on the brain's bounding box (the rest stays 0).
    bb = bounding_box(brain, margin=2).slices
    sub_tissue, sub_brain = tissue[bb], brain[bb]
    rel = tuple((pts - [s.start for s in bb]).T)
    frac = [np.arange(s.start, s.stop) / n for s, n in zip(bb, shape)]
    noise_sd = 0.05 * TISSUE_INTENSITY[WM]
    images = np.zeros((len(MODALITIES), *shape), dtype=np.float32)
    for m in range(len(MODALITIES)):
        lut = TISSUE_INTENSITY[:, m]
        vol = lut[sub_tissue]
        tumour, normal = lut[codes], lut[healthy]
        tumour = np.where(codes == ED, normal + strength * (tumour - normal), tumour)
        vol[rel] = tumour * texture
        vol *= 1 + 0.07 * _field(rng, frac, 3, 0.3, 1.2)
        vol += noise_sd[m] * rng.standard_normal(vol.shape, dtype=np.float32)
        ndimage.gaussian_filter(vol, 0.6, truncate=2.0, output=vol)
        images[m][bb] = np.where(sub_brain, np.clip(np.rint(vol), 1, 32767), 0)
    return images, _TISSUE_LABEL[tissue], affine


def _nifti(data: np.ndarray, affine: np.ndarray, dtype) -> nib.Nifti1Image:
    img = nib.Nifti1Image(np.asarray(data, dtype=dtype), affine)
    img.header.set_data_dtype(dtype)
    img.header.set_xyzt_units("mm", "sec")
    img.set_sform(affine, code=1)
    img.set_qform(affine, code=1)
    return img


def make_synthetic_case(out_dir: str | Path, *, seed: int = 0, case_id: str = "Synthetic_0001",
                        shape: tuple[int, int, int] = REFERENCE_SHAPE,
                        layout: str = "brats2018", side: str | None = None) -> Path:
    """Write a synthetic case under ``out_dir`` in ``layout``; return its path.

    brats2018/brats2023: ``out_dir/<case_id>/`` with four modalities and the seg file
    (returns the folder); msd: ``out_dir/imagesTr/<case_id>.nii.gz`` (4-D, channels
    FLAIR, T1w, T1gd, T2w) and ``out_dir/labelsTr/<case_id>.nii.gz`` (returns the image).
    """
    if layout not in (*_FILE_NAMES, "msd"):
        raise ConfigError(f"Unknown layout {layout!r}; choose brats2018, brats2023 or msd.")
    images, label, affine = synthetic_case_in_memory(seed, shape, side=side)
    root = Path(out_dir)
    if layout == "msd":
        order = sorted(MODALITIES, key=MSD_CHANNELS.__getitem__)
        stacked = np.stack([images[MODALITIES.index(m)] for m in order], axis=-1)
        image_path = root / "imagesTr" / f"{case_id}.nii.gz"
        atomic_write_nifti(_nifti(stacked, affine, np.int16), image_path)
        seg = from_internal(label, LabelConvention.MSD)
        atomic_write_nifti(_nifti(seg, affine, np.uint8), root / "labelsTr" / f"{case_id}.nii.gz")
        return image_path
    sep, names, convention = _FILE_NAMES[layout]
    folder = root / case_id
    for i, m in enumerate(MODALITIES):
        atomic_write_nifti(_nifti(images[i], affine, np.int16),
                           folder / f"{case_id}{sep}{names[m]}.nii.gz")
    atomic_write_nifti(_nifti(from_internal(label, convention), affine, np.uint8),
                       folder / f"{case_id}{sep}{names['seg']}.nii.gz")
    return folder
