"""Tests for medbrain.metrics: hand-built masks with known answers, and MONAI parity."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from medbrain.errors import ShapeMismatchError, UnknownLabelError
from medbrain.labels import region_masks
from medbrain.metrics import (
    HD95_EMPTY,
    LABEL_DICE_KEYS,
    SCORE_KEYS,
    confusion_stats,
    dice,
    hd95,
    mean_scores,
    score_labels,
)

SHAPE = (24, 24, 24)


def cube(start: tuple[int, int, int], size: int, shape: tuple[int, ...] = SHAPE) -> np.ndarray:
    m = np.zeros(shape, dtype=bool)
    m[tuple(slice(s, s + size) for s in start)] = True
    return m


# --- Dice -----------------------------------------------------------------------------


def test_dice_identical_disjoint_empty():
    a = cube((4, 4, 4), 6)
    assert dice(a, a) == 1.0
    assert dice(a, cube((14, 14, 14), 6)) == 0.0
    empty = np.zeros(SHAPE, bool)
    assert dice(empty, empty) == 1.0
    assert dice(a, empty) == 0.0
    assert dice(empty, a) == 0.0


def test_dice_known_overlap_fraction():
    # 4x4x4 = 64 voxels each, shifted by 1 along x: overlap 3x4x4 = 48 -> 2*48/128 = 0.75
    a = cube((4, 4, 4), 4)
    b = cube((5, 4, 4), 4)
    assert dice(a, b) == pytest.approx(0.75, abs=1e-12)
    # different sizes: 8 voxels inside 27 -> 2*8/35
    assert dice(cube((2, 2, 2), 3), cube((2, 2, 2), 2)) == pytest.approx(16 / 35, abs=1e-12)


def test_dice_accepts_int_arrays_and_checks_shape():
    a = cube((4, 4, 4), 4).astype(np.uint8) * 7
    assert dice(a, a > 0) == 1.0
    with pytest.raises(ShapeMismatchError):
        dice(np.zeros((4, 4, 4)), np.zeros((4, 4, 5)))


# --- HD95 -----------------------------------------------------------------------------


def test_hd95_empty_conventions():
    a = cube((4, 4, 4), 6)
    empty = np.zeros(SHAPE, bool)
    assert hd95(empty, empty) == 0.0
    assert hd95(a, empty) == HD95_EMPTY == 373.13
    assert hd95(empty, a) == 373.13
    assert hd95(a, a) == 0.0


@pytest.mark.parametrize("k", [1, 2, 3, 5])
@pytest.mark.parametrize("axis", [0, 1, 2])
def test_hd95_offset_cubes_equal_offset(k, axis):
    a = cube((6, 6, 6), 8)
    b = np.roll(a, k, axis=axis)
    assert hd95(a, b) == pytest.approx(k, abs=1e-9)
    assert hd95(b, a) == pytest.approx(k, abs=1e-9)


@pytest.mark.parametrize("axis", [0, 1, 2])
def test_hd95_offset_scaled_by_anisotropic_spacing(axis):
    spacing = (0.8, 1.5, 3.0)
    a = cube((6, 6, 6), 8)
    b = np.roll(a, 2, axis=axis)
    assert hd95(a, b, spacing) == pytest.approx(2 * spacing[axis], abs=1e-9)


def test_hd95_single_voxels_euclidean():
    a = np.zeros(SHAPE, bool)
    b = np.zeros(SHAPE, bool)
    a[2, 2, 2] = True
    b[5, 6, 2] = True  # 3-4-5 triangle
    assert hd95(a, b) == pytest.approx(5.0)
    assert hd95(a, b, (2.0, 2.0, 1.0)) == pytest.approx(10.0)


def test_hd95_mask_touching_border_and_crop_invariance():
    # Masks touching the array border: cropping must not change the answer.
    a = np.zeros((10, 10, 10), bool)
    a[0:5, 0:10, 0:3] = True
    b = np.roll(a, 1, axis=0)
    big_a = np.zeros((30, 30, 30), bool)
    big_b = np.zeros((30, 30, 30), bool)
    big_a[10:20, 10:20, 10:20] = a
    big_b[10:20, 10:20, 10:20] = b
    # voxels on the array border count as surface (outside = background), as in MONAI
    assert hd95(a, b) == pytest.approx(1.0)
    # the same pair embedded in a larger volume (no border contact) gives the same shift
    assert hd95(big_a, big_b) == pytest.approx(1.0)


def test_hd95_2d_and_spacing_validation():
    a = np.zeros((12, 12), bool)
    a[2:6, 2:6] = True
    assert hd95(a, np.roll(a, 3, axis=1), spacing=(1.0, 1.0)) == pytest.approx(3.0)
    with pytest.raises(ShapeMismatchError):
        hd95(a, a, spacing=(1.0, 1.0, 1.0))
    with pytest.raises(ValueError):
        hd95(a, a, spacing=(1.0, 0.0))


# --- confusion stats ------------------------------------------------------------------


def test_confusion_stats_hand_counted():
    # 1-D: truth 4 positives, pred 3 positives, 2 of them true.
    truth = np.array([1, 1, 1, 1, 0, 0, 0, 0, 0, 0], bool)
    pred = np.array([1, 1, 0, 0, 1, 0, 0, 0, 0, 0], bool)
    s = confusion_stats(pred, truth)
    assert (s["tp"], s["fp"], s["fn"], s["tn"]) == (2, 1, 2, 5)
    assert s["sensitivity"] == pytest.approx(2 / 4)
    assert s["specificity"] == pytest.approx(5 / 6)
    assert s["precision"] == pytest.approx(2 / 3)


def test_confusion_stats_mask_restricts_volume():
    truth = np.array([1, 1, 1, 1, 0, 0, 0, 0, 0, 0], bool)
    pred = np.array([1, 1, 0, 0, 1, 0, 0, 0, 0, 0], bool)
    brain = np.array([1, 1, 1, 1, 1, 1, 0, 0, 0, 0], bool)  # last 4 voxels are "air"
    s = confusion_stats(pred, truth, mask=brain)
    assert (s["tp"], s["fp"], s["fn"], s["tn"]) == (2, 1, 2, 1)
    assert s["specificity"] == pytest.approx(1 / 2)
    with pytest.raises(ShapeMismatchError):
        confusion_stats(pred, truth, mask=np.ones(3, bool))


def test_confusion_stats_empty_denominators():
    empty = np.zeros(5, bool)
    some = np.array([1, 0, 0, 0, 0], bool)
    both = confusion_stats(empty, empty)
    assert (both["sensitivity"], both["specificity"], both["precision"]) == (1.0, 1.0, 1.0)
    fp_only = confusion_stats(some, empty)  # truth empty, pred not
    assert fp_only["sensitivity"] == 0.0 and fp_only["precision"] == 0.0
    fn_only = confusion_stats(empty, some)  # pred empty, truth not
    assert fn_only["sensitivity"] == 0.0 and fn_only["precision"] == 0.0
    assert fn_only["specificity"] == 1.0
    full = np.ones(5, bool)
    assert confusion_stats(full, full)["specificity"] == 1.0  # no negatives at all


# --- regions and score_labels ---------------------------------------------------------


def test_region_construction_from_labels():
    label = np.array([0, 1, 2, 4])
    r = region_masks(label)
    assert r["WT"].tolist() == [False, True, True, True]
    assert r["TC"].tolist() == [False, True, False, True]
    assert r["ET"].tolist() == [False, False, False, True]


def test_single_oedema_voxel_counts_in_wt_only():
    truth = np.zeros((5, 5, 5), np.uint8)
    truth[2, 2, 2] = 2
    s = score_labels(truth, truth)
    assert s["dice_WT"] == 1.0 and s["sens_WT"] == 1.0
    # TC and ET are empty on both sides -> perfect by convention
    assert (s["dice_TC"], s["hd95_TC"], s["dice_ET"], s["hd95_ET"]) == (1.0, 0.0, 1.0, 0.0)
    s = score_labels(np.zeros_like(truth), truth)
    assert s["dice_WT"] == 0.0 and s["hd95_WT"] == HD95_EMPTY and s["sens_WT"] == 0.0
    assert s["dice_TC"] == 1.0 and s["dice_ET"] == 1.0


def test_score_labels_oedema_counts_in_wt_only():
    truth = np.zeros(SHAPE, np.uint8)
    truth[4:10, 4:10, 4:10] = 2  # oedema only
    truth[12:16, 12:16, 12:16] = 1
    truth[12:14, 12:14, 12:14] = 4
    pred = truth.copy()
    pred[pred == 2] = 0  # drop all oedema
    s = score_labels(pred, truth)
    assert set(s) == set(SCORE_KEYS)
    assert s["dice_TC"] == 1.0 and s["dice_ET"] == 1.0 and s["hd95_TC"] == 0.0
    assert s["dice_WT"] == pytest.approx(2 * 64 / (64 + 64 + 216))
    assert s["sens_WT"] == pytest.approx(64 / (64 + 216))
    assert s["prec_WT"] == 1.0
    assert s["dice_ED"] == 0.0 and s["dice_NCR"] == 1.0
    assert s[LABEL_DICE_KEYS["ET"]] == s["dice_ET"]


def test_score_labels_empty_et_conventions_and_spacing():
    truth = np.zeros(SHAPE, np.uint8)
    truth[4:12, 4:12, 4:12] = 2
    truth[6:10, 6:10, 6:10] = 1
    pred = np.roll(truth, 2, axis=2)
    s = score_labels(pred, truth, spacing=(1.0, 1.0, 2.0))
    assert s["dice_ET"] == 1.0 and s["hd95_ET"] == 0.0  # both empty
    assert s["hd95_WT"] == pytest.approx(4.0) and s["hd95_TC"] == pytest.approx(4.0)
    pred[pred == 1] = 4
    s = score_labels(pred, truth)
    assert s["dice_ET"] == 0.0 and s["hd95_ET"] == HD95_EMPTY


def test_score_labels_brain_mask_changes_specificity_only():
    truth = np.zeros(SHAPE, np.uint8)
    truth[4:10, 4:10, 4:10] = 2
    pred = np.zeros_like(truth)
    pred[5:11, 4:10, 4:10] = 2
    brain = np.zeros(SHAPE, bool)
    brain[2:14, 2:14, 2:14] = True
    full = score_labels(pred, truth)
    inside = score_labels(pred, truth, brain_mask=brain)
    assert inside["spec_WT"] < full["spec_WT"]
    fp = 36
    assert inside["spec_WT"] == pytest.approx(1 - fp / (12**3 - 216))
    for key in ("dice_WT", "hd95_WT", "sens_WT", "prec_WT"):
        assert inside[key] == full[key]


def test_score_labels_rejects_bad_labels_and_shapes():
    ok = np.zeros((4, 4, 4), np.uint8)
    bad = ok.copy()
    bad[0, 0, 0] = 3
    with pytest.raises(UnknownLabelError, match="3"):
        score_labels(bad, ok)
    with pytest.raises(UnknownLabelError):
        score_labels(ok + 0.5, ok)
    with pytest.raises(ShapeMismatchError):
        score_labels(ok, np.zeros((4, 4, 5), np.uint8))


def test_mean_scores():
    rows = [
        {"case_id": "a", "dice_WT": 1.0, "hd95_WT": 2.0},
        {"case_id": "b", "dice_WT": 0.5, "hd95_WT": 4.0, "n": 3},
    ]
    m = mean_scores(rows)
    assert m == {"dice_WT": 0.75, "hd95_WT": 3.0, "n": 3.0}
    assert mean_scores([]) == {}
    assert math.isnan(mean_scores([{"x": float("nan")}, {"x": 1.0}])["x"])


# --- ours vs MONAI --------------------------------------------------------------------


def random_blobs(rng: np.random.Generator, shape: tuple[int, int, int], n: int) -> np.ndarray:
    grid = np.ogrid[tuple(slice(0, s) for s in shape)]
    out = np.zeros(shape, bool)
    for _ in range(n):
        centre = rng.uniform(4, np.array(shape) - 4)
        radii = rng.uniform(2.0, 7.0, size=3)
        out |= sum(((g - c) / r) ** 2 for g, c, r in zip(grid, centre, radii)) <= 1.0
    return out


# Our HD95 uses the same surface (6-connected erosion), the same edge-to-edge Euclidean
# distances and the same linear-interpolation percentile as MONAI, so it agrees to float32
# rounding; the documented tolerance is 1e-4 mm (far inside the 1-voxel budget).
HD95_TOLERANCE_MM = 1e-4


@pytest.mark.parametrize("spacing", [(1.0, 1.0, 1.0), (0.9, 1.25, 2.5)])
def test_hd95_and_dice_match_monai(spacing):
    torch = pytest.importorskip("torch")
    monai_metrics = pytest.importorskip("monai.metrics")
    rng = np.random.default_rng(20240611)
    for _ in range(4):
        pred = random_blobs(rng, (36, 32, 28), int(rng.integers(1, 4)))
        truth = random_blobs(rng, (36, 32, 28), int(rng.integers(1, 4)))
        p_t = torch.from_numpy(pred)[None, None].float()
        t_t = torch.from_numpy(truth)[None, None].float()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref_hd = monai_metrics.compute_hausdorff_distance(
                p_t, t_t, include_background=True, percentile=95, spacing=list(spacing)
            ).item()
            ref_dice = monai_metrics.compute_dice(p_t, t_t, include_background=True).item()
        assert hd95(pred, truth, spacing) == pytest.approx(ref_hd, abs=HD95_TOLERANCE_MM)
        assert dice(pred, truth) == pytest.approx(ref_dice, abs=1e-6)


def test_hd95_matches_monai_on_noisy_masks_touching_the_border():
    torch = pytest.importorskip("torch")
    monai_metrics = pytest.importorskip("monai.metrics")
    rng = np.random.default_rng(7)
    spacing = (0.7, 1.3, 2.0)
    for _ in range(3):
        pred = rng.random((12, 10, 9)) > 0.6
        truth = rng.random((12, 10, 9)) > 0.5
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref = monai_metrics.compute_hausdorff_distance(
                torch.from_numpy(pred)[None, None].float(),
                torch.from_numpy(truth)[None, None].float(),
                include_background=True,
                percentile=95,
                spacing=list(spacing),
            ).item()
        assert hd95(pred, truth, spacing) == pytest.approx(ref, abs=HD95_TOLERANCE_MM)


# --------------------------------------------------------------------------- lesion-wise
def _cube(shape, corner, size):
    m = np.zeros(shape, dtype=bool)
    x, y, z = corner
    m[x:x + size, y:y + size, z:z + size] = True
    return m


def test_lesionwise_counts_matched_missed_and_spurious_lesions():
    from medbrain.metrics import LESION_HD95_MISS, lesionwise

    shape = (40, 40, 40)
    a, b, c = _cube(shape, (2, 2, 2), 5), _cube(shape, (20, 20, 20), 5), _cube(shape, (30, 2, 30), 4)
    truth = a | b
    pred = a | c  # a found exactly, b missed, c spurious
    out = lesionwise(pred, truth, min_voxels=10)
    assert out["lesions"] == 2 and out["missed"] == 1 and out["spurious"] == 1
    assert out["lw_dice"] == pytest.approx(1 / 3)
    assert out["lw_hd95"] == pytest.approx(2 * LESION_HD95_MISS / 3)
    assert lesionwise(truth, truth, min_voxels=10)["lw_dice"] == 1.0
    empty = np.zeros(shape, dtype=bool)
    assert lesionwise(empty, empty) == {"lw_dice": 1.0, "lw_hd95": 0.0, "lesions": 0, "missed": 0, "spurious": 0}


def test_lesionwise_ignores_truth_specks_below_the_size_threshold():
    from medbrain.metrics import lesionwise

    shape = (30, 30, 30)
    big, speck = _cube(shape, (2, 2, 2), 6), _cube(shape, (20, 20, 20), 2)
    out = lesionwise(big, big | speck, min_voxels=50)
    assert out["lesions"] == 1 and out["missed"] == 0 and out["lw_dice"] == 1.0


def test_precomputed_truth_lesions_score_like_the_plain_call():
    from medbrain.metrics import lesionwise, truth_lesions

    shape = (40, 40, 40)
    truth = _cube(shape, (2, 2, 2), 5) | _cube(shape, (20, 20, 20), 5)
    pred = _cube(shape, (3, 2, 2), 5) | _cube(shape, (30, 2, 30), 4)
    plain = lesionwise(pred, truth, min_voxels=10)
    tl = truth_lesions(truth, min_voxels=10)
    assert lesionwise(pred, tl) == plain
    fast = lesionwise(pred, tl, with_hd95=False)
    assert math.isnan(fast["lw_hd95"]) and fast["lw_dice"] == plain["lw_dice"] and 0 < plain["lw_dice"] < 1
