"""Segmentation metrics on numpy arrays: Dice, HD95, confusion statistics, BraTS scoring.

Pure numpy/scipy (no torch). Masks are boolean arrays of equal shape (any array is
accepted and read as ``value != 0``). Label maps are in the internal convention
0 background, 1 NCR, 2 ED, 4 ET; regions are WT = {1, 2, 4}, TC = {1, 4}, ET = {4}.

Empty-mask conventions follow the BraTS challenge:

* Dice is 1.0 when prediction and truth are both empty, 0.0 when exactly one is.
* HD95 is 0.0 when both are empty, :data:`HD95_EMPTY` (373.13 mm) when exactly one is.

HD95 definition (:func:`hd95`): the surface of a mask is its voxels that have at least
one background 6-neighbour (``mask & ~binary_erosion(mask)``, voxels outside the array
count as background). For each surface voxel of one mask we take the Euclidean distance
in mm (voxel centres, ``spacing`` per axis) to the nearest surface voxel of the other
mask; the directed HD95 is the 95th percentile (linear interpolation) of those
distances, and the result is the larger of the two directed values. This is the same
definition as ``monai.metrics.compute_hausdorff_distance(..., percentile=95)`` (MONAI
erodes with scipy's default 6-connected structure, measures edge-to-edge distances and
takes ``torch.quantile`` of each direction, then the max), so the two agree to float32
rounding on non-empty masks; MONAI returns nan/inf where this module returns the BraTS
constants.
"""

from __future__ import annotations

from dataclasses import dataclass

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import ndimage

from medbrain.errors import ShapeMismatchError, UnknownLabelError
from medbrain.labels import REGIONS, SUBREGION_LABELS, LabelConvention, region_masks, to_internal

#: HD95 (mm) reported when exactly one of prediction/truth is empty (BraTS convention).
HD95_EMPTY: float = 373.13

# Keys of the flat dict returned by score_labels. Region metrics are "<metric>_<region>".
#: Dice per region: dice_WT, dice_TC, dice_ET.
DICE_KEYS: dict[str, str] = {r: f"dice_{r}" for r in REGIONS}
#: HD95 (mm) per region: hd95_WT, hd95_TC, hd95_ET.
HD95_KEYS: dict[str, str] = {r: f"hd95_{r}" for r in REGIONS}
#: Sensitivity (recall) per region: sens_WT, sens_TC, sens_ET.
SENS_KEYS: dict[str, str] = {r: f"sens_{r}" for r in REGIONS}
#: Specificity per region: spec_WT, spec_TC, spec_ET.
SPEC_KEYS: dict[str, str] = {r: f"spec_{r}" for r in REGIONS}
#: Precision (positive predictive value) per region: prec_WT, prec_TC, prec_ET.
PREC_KEYS: dict[str, str] = {r: f"prec_{r}" for r in REGIONS}
#: Dice per individual label: dice_NCR (1), dice_ED (2), dice_ET_label (4).
#: dice_ET_label always equals dice_ET (ET region == label 4); it completes the label table.
LABEL_DICE_KEYS: dict[str, str] = {"NCR": "dice_NCR", "ED": "dice_ED", "ET": "dice_ET_label"}
#: Every key score_labels returns, in a stable column order.
SCORE_KEYS: tuple[str, ...] = (
    *DICE_KEYS.values(),
    *HD95_KEYS.values(),
    *SENS_KEYS.values(),
    *SPEC_KEYS.values(),
    *PREC_KEYS.values(),
    *LABEL_DICE_KEYS.values(),
)


def _as_bool(mask: ArrayLike) -> NDArray[np.bool_]:
    arr = np.asarray(mask)
    return arr if arr.dtype == np.bool_ else arr != 0


def _pair(pred: ArrayLike, truth: ArrayLike) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    p, t = _as_bool(pred), _as_bool(truth)
    if p.shape != t.shape:
        raise ShapeMismatchError(
            f"prediction shape {p.shape} differs from truth shape {t.shape}; "
            "both masks must be on the same voxel grid."
        )
    return p, t


def dice(pred: ArrayLike, truth: ArrayLike) -> float:
    """Dice 2|P∩T| / (|P|+|T|); 1.0 when both are empty, 0.0 when exactly one is."""
    p, t = _pair(pred, truth)
    total = int(np.count_nonzero(p)) + int(np.count_nonzero(t))
    if total == 0:
        return 1.0
    return 2.0 * int(np.count_nonzero(p & t)) / total


def _spacing(spacing: float | Sequence[float], ndim: int) -> tuple[float, ...]:
    if np.isscalar(spacing):
        out = (float(spacing),) * ndim  # type: ignore[arg-type]
    else:
        out = tuple(float(s) for s in spacing)  # type: ignore[union-attr]
    if len(out) != ndim:
        raise ShapeMismatchError(f"spacing {out} has {len(out)} values but the masks are {ndim}-D.")
    if not all(math.isfinite(s) and s > 0 for s in out):
        raise ValueError(f"spacing must be positive and finite, got {out}.")
    return out


def _surface(mask: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """Voxels of ``mask`` with at least one background 6-neighbour (outside = background)."""
    return mask & ~ndimage.binary_erosion(mask)


def _crop_joint(
    p: NDArray[np.bool_], t: NDArray[np.bool_], margin: int = 1
) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """Crop both masks to the bounding box of their union plus ``margin`` voxels."""
    coords = np.nonzero(p | t)
    box = tuple(
        slice(max(int(c.min()) - margin, 0), min(int(c.max()) + margin + 1, n))
        for c, n in zip(coords, p.shape, strict=True)
    )
    return p[box], t[box]


def directed_surface_distances(
    pred: ArrayLike, truth: ArrayLike, spacing: float | Sequence[float] = 1.0
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Distances (mm) pred-surface -> truth-surface and truth-surface -> pred-surface.

    Both masks must be non-empty (raises ValueError otherwise).
    """
    p, t = _pair(pred, truth)
    sp = _spacing(spacing, p.ndim)
    if not p.any() or not t.any():
        raise ValueError("surface distances need two non-empty masks.")
    p, t = _crop_joint(p, t)
    sp_surf, st_surf = _surface(p), _surface(t)
    # EDT of the complement: distance of each voxel to the nearest surface voxel.
    to_truth = ndimage.distance_transform_edt(~st_surf, sampling=sp)
    to_pred = ndimage.distance_transform_edt(~sp_surf, sampling=sp)
    return to_truth[sp_surf], to_pred[st_surf]


def hd95(pred: ArrayLike, truth: ArrayLike, spacing: float | Sequence[float] = (1.0, 1.0, 1.0)) -> float:
    """Symmetric 95th-percentile Hausdorff distance (mm) between the mask surfaces.

    max(P95(d(pred surface -> truth surface)), P95(d(truth surface -> pred surface))),
    see the module docstring. 0.0 when both masks are empty, :data:`HD95_EMPTY` when
    exactly one is.
    """
    p, t = _pair(pred, truth)
    _spacing(spacing, p.ndim)
    p_any, t_any = bool(p.any()), bool(t.any())
    if not p_any and not t_any:
        return 0.0
    if p_any != t_any:
        return HD95_EMPTY
    d_pt, d_tp = directed_surface_distances(p, t, spacing)
    return float(max(np.percentile(d_pt, 95), np.percentile(d_tp, 95)))


def _ratio(num: int, den: int, other_errors: int) -> float:
    """num/den; for den == 0: 1.0 if the opposite error count is 0 as well, else 0.0."""
    if den > 0:
        return num / den
    return 1.0 if other_errors == 0 else 0.0


def confusion_stats(pred: ArrayLike, truth: ArrayLike, mask: ArrayLike | None = None) -> dict[str, float]:
    """Voxel confusion counts and sensitivity, specificity, precision.

    Counts are taken over the whole array, or only over voxels where ``mask`` is true
    (voxels outside it are ignored for all four counts). Specificity depends strongly on
    that volume: pass a brain mask to get brain-only specificity instead of one inflated
    by the air around the head.

    Zero denominators (BraTS-style "both empty is perfect"):

    * sensitivity TP/(TP+FN): truth empty -> 1.0 if the prediction is empty too, else 0.0;
    * precision TP/(TP+FP): prediction empty -> 1.0 if the truth is empty too, else 0.0;
    * specificity TN/(TN+FP): no negative voxels -> 1.0 (nothing could be falsely flagged).

    Returns keys sensitivity, specificity, precision (floats) and tp, fp, fn, tn (ints).
    """
    p, t = _pair(pred, truth)
    if mask is not None:
        m = _as_bool(mask)
        if m.shape != p.shape:
            raise ShapeMismatchError(f"mask shape {m.shape} differs from mask/label shape {p.shape}.")
        p, t = p[m], t[m]
    n = p.size
    tp = int(np.count_nonzero(p & t))
    n_p, n_t = int(np.count_nonzero(p)), int(np.count_nonzero(t))
    fp, fn = n_p - tp, n_t - tp
    tn = n - tp - fp - fn
    return {
        "sensitivity": _ratio(tp, tp + fn, fp),
        "specificity": _ratio(tn, tn + fp, 0),
        "precision": _ratio(tp, tp + fp, fn),
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": tn,
    }


def check_internal_labels(label: ArrayLike, what: str = "label map") -> NDArray[np.uint8]:
    """Return ``label`` as a uint8 internal map; UnknownLabelError on values not in {0,1,2,4}."""
    # The internal convention is the BraTS 2018 one, so this is an identity map that validates.
    try:
        return to_internal(np.asarray(label), LabelConvention.BRATS2018)
    except UnknownLabelError as err:
        raise UnknownLabelError(f"{what}: {err}") from None


def score_labels(
    pred_internal: ArrayLike,
    truth_internal: ArrayLike,
    spacing: float | Sequence[float] = (1.0, 1.0, 1.0),
    brain_mask: ArrayLike | None = None,
) -> dict[str, float]:
    """All BraTS metrics for one case, as a flat dict with the keys in :data:`SCORE_KEYS`.

    Per region WT/TC/ET: dice, hd95 (mm, using ``spacing``), sens, spec, prec; per label
    NCR/ED/ET: dice. ``brain_mask`` (optional) restricts the confusion counts (so the
    specificity) to the brain; Dice and HD95 always use the whole volume.
    """
    pred = check_internal_labels(pred_internal, "prediction")
    truth = check_internal_labels(truth_internal, "truth")
    if pred.shape != truth.shape:
        raise ShapeMismatchError(
            f"prediction shape {pred.shape} differs from truth shape {truth.shape}; "
            "resample the prediction onto the truth's grid."
        )
    p_regions, t_regions = region_masks(pred), region_masks(truth)
    out: dict[str, float] = {}
    for r in REGIONS:
        out[DICE_KEYS[r]] = dice(p_regions[r], t_regions[r])
    for r in REGIONS:
        out[HD95_KEYS[r]] = hd95(p_regions[r], t_regions[r], spacing)
    stats = {r: confusion_stats(p_regions[r], t_regions[r], brain_mask) for r in REGIONS}
    for keys, name in ((SENS_KEYS, "sensitivity"), (SPEC_KEYS, "specificity"), (PREC_KEYS, "precision")):
        for r in REGIONS:
            out[keys[r]] = float(stats[r][name])
    for name, value in SUBREGION_LABELS.items():
        out[LABEL_DICE_KEYS[name]] = dice(pred == value, truth == value)
    return out


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


def mean_scores(rows: Sequence[Mapping[str, Any]]) -> dict[str, float]:
    """Mean of every numeric key over the rows that have it (non-numeric keys such as case_id are skipped).

    Keys keep their first-seen order. A NaN value makes that key's mean NaN. Empty input
    gives an empty dict.
    """
    sums: dict[str, list[float]] = {}
    for row in rows:
        for key, value in row.items():
            if _is_number(value):
                sums.setdefault(key, []).append(float(value))
    return {key: float(np.mean(values)) for key, values in sums.items()}


# --------------------------------------------------------------------------- lesion-wise (BraTS 2023 style)
LESION_MIN_VOXELS = 50  # truth lesions smaller than this are ignored, as in the BraTS 2023 lesion-wise metrics
LESION_HD95_MISS = 374.0  # HD95 (mm) charged for a missed or spurious lesion, the BraTS 2023 penalty
LESION_KEYS: dict[str, tuple[str, ...]] = {
    r: (f"lw_dice_{r}", f"lw_hd95_{r}", f"lesions_{r}", f"missed_{r}", f"spurious_{r}") for r in REGIONS}
CONNECT_26 = np.ones((3, 3, 3), dtype=bool)  # 26-connectivity, shared with the post-processing
_CONNECT = CONNECT_26


@dataclass(frozen=True)
class TruthLesions:
    """One region's truth split into lesions: each (zone, lesion) pair, and the zone labels."""

    truth: NDArray[np.bool_]
    zones: NDArray[np.int32]
    lesions: tuple[tuple[NDArray[np.bool_], NDArray[np.bool_]], ...]


def truth_lesions(truth: ArrayLike, min_voxels: int = LESION_MIN_VOXELS) -> TruthLesions:
    """Truth lesions as :func:`lesionwise` defines them; compute once to score many predictions."""
    t = _as_bool(truth)
    zones, n_zones = ndimage.label(ndimage.binary_dilation(t, _CONNECT), structure=_CONNECT)
    lesions = []
    for i in range(1, n_zones + 1):
        zone = zones == i
        lesion = t & zone  # nearby components (one voxel apart) form one lesion
        if lesion.sum() >= min_voxels:
            lesions.append((zone, lesion))
    return TruthLesions(t, zones.astype(np.int32), tuple(lesions))


def lesionwise(pred: ArrayLike, truth: ArrayLike | TruthLesions, spacing: float | Sequence[float] = (1.0, 1.0, 1.0),
               min_voxels: int = LESION_MIN_VOXELS, with_hd95: bool = True) -> dict[str, float]:
    """Lesion-wise Dice and HD95 of one binary region, with missed and spurious lesions counted.

    Truth lesions are 26-connected components (dilated by one voxel to group them, as BraTS 2023
    does) of at least ``min_voxels`` voxels. Each is scored against the predicted components
    that touch it; a truth lesion with none is missed (Dice 0, HD95 374 mm); a predicted
    component touching no truth lesion is spurious and adds a (0, 374 mm) term. The lesion-wise
    score is the sum over truth lesions divided by (truth lesions + spurious ones). No truth and
    no prediction scores Dice 1, HD95 0. ``truth`` may be a precomputed :class:`TruthLesions`
    (then ``min_voxels`` is the one it was built with); ``with_hd95=False`` skips the distances
    (lw_hd95 is then NaN), for grid searches that only need the Dice.
    """
    tl = truth if isinstance(truth, TruthLesions) else truth_lesions(truth, min_voxels)
    p, _ = _pair(pred, tl.truth)
    zones, lesions = tl.zones, tl.lesions
    p_lab, n_p = ndimage.label(p, structure=_CONNECT)
    dices, hds, missed = [], [], 0
    for zone, lesion in lesions:
        touching = np.unique(p_lab[zone & (p_lab > 0)])
        if touching.size == 0:
            missed += 1
            dices.append(0.0)
            hds.append(LESION_HD95_MISS)
            continue
        matched = np.isin(p_lab, touching)
        dices.append(dice(matched, lesion))
        hds.append(min(hd95(matched, lesion, spacing), LESION_HD95_MISS) if with_hd95 else float("nan"))
    near_truth = set(np.unique(p_lab[(zones > 0) & (p_lab > 0)]).tolist())
    spurious = sum(1 for j in range(1, n_p + 1) if j not in near_truth)
    if not lesions and not spurious:
        return {"lw_dice": 1.0, "lw_hd95": 0.0, "lesions": 0, "missed": 0, "spurious": 0}
    n = len(lesions) + spurious
    return {"lw_dice": float(sum(dices) / n), "lw_hd95": float((sum(hds) + LESION_HD95_MISS * spurious) / n),
            "lesions": len(lesions), "missed": missed, "spurious": spurious}


def lesionwise_scores(pred_internal: ArrayLike, truth_internal: ArrayLike,
                      spacing: float | Sequence[float] = (1.0, 1.0, 1.0)) -> dict[str, float]:
    """:func:`lesionwise` for WT, TC and ET of two internal label maps, keys as in :data:`LESION_KEYS`."""
    p_regions = region_masks(check_internal_labels(pred_internal, "prediction"))
    t_regions = region_masks(check_internal_labels(truth_internal, "truth"))
    out: dict[str, float] = {}
    for r in REGIONS:
        values = lesionwise(p_regions[r], t_regions[r], spacing)
        for key, name in zip(LESION_KEYS[r], ("lw_dice", "lw_hd95", "lesions", "missed", "spurious")):
            out[key] = values[name]
    return out
