"""Brain mask, crop/uncrop, z-score, preprocess/restore."""

from __future__ import annotations

import numpy as np
import pytest

from medbrain.data import (
    Case,
    CropBox,
    bounding_box,
    brain_mask,
    crop,
    preprocess,
    restore,
    synthetic_case_in_memory,
    uncrop,
    zscore,
)
from medbrain.errors import InvalidImageError, ShapeMismatchError


@pytest.fixture(scope="module")
def small():
    return synthetic_case_in_memory(seed=2, shape=(48, 48, 32))


def test_brain_mask_any_modality():
    images = np.zeros((4, 5, 5, 5), dtype=np.float32)
    images[0, 1, 1, 1] = 3
    images[3, 2, 3, 4] = -1
    mask = brain_mask(images)
    assert mask.dtype == bool and mask.shape == (5, 5, 5)
    assert sorted(map(tuple, np.argwhere(mask))) == [(1, 1, 1), (2, 3, 4)]


def test_bounding_box_and_margin_clipping():
    mask = np.zeros((10, 12, 8), dtype=bool)
    mask[2:5, 0:3, 6:8] = True
    box = bounding_box(mask)
    assert box.slices == (slice(2, 5), slice(0, 3), slice(6, 8))
    assert box.full_shape == (10, 12, 8) and box.shape == (3, 3, 2) and box.start == (2, 0, 6)
    grown = bounding_box(mask, margin=2)
    assert grown.slices == (slice(0, 7), slice(0, 5), slice(4, 8))


def test_bounding_box_of_empty_mask():
    with pytest.raises(InvalidImageError, match="mask is empty"):
        bounding_box(np.zeros((4, 4, 4), dtype=bool))


@pytest.mark.parametrize("lead", [(), (3,), (2, 4)])
def test_crop_uncrop_exact_inverse(lead):
    rng = np.random.default_rng(0)
    full = np.zeros((*lead, 20, 18, 16), dtype=np.float32)
    box = CropBox((slice(3, 15), slice(2, 18), slice(0, 9)), (20, 18, 16))
    inner = rng.normal(size=(*lead, 12, 16, 9)).astype(np.float32)
    full[(..., *box.slices)] = inner
    cropped = crop(full, box)
    assert cropped.shape == (*lead, 12, 16, 9)
    np.testing.assert_array_equal(cropped, inner)
    back = uncrop(cropped, box)
    assert back.dtype == full.dtype
    np.testing.assert_array_equal(back, full)
    assert (uncrop(cropped, box, fill=-1)[..., 0:3, :, :] == -1).all()


def test_crop_shape_checks():
    box = CropBox((slice(0, 2), slice(0, 2), slice(0, 2)), (4, 4, 4))
    with pytest.raises(ShapeMismatchError, match="box made for shape"):
        crop(np.zeros((5, 4, 4)), box)
    with pytest.raises(ShapeMismatchError, match="crop box has shape"):
        uncrop(np.zeros((3, 2, 2)), box)


def test_zscore_inside_mask(small):
    images, _, _ = small
    mask = brain_mask(images)
    z = zscore(images, mask)
    assert z.dtype == np.float32 and z.shape == images.shape
    for c in range(4):
        assert abs(float(z[c][mask].mean())) < 1e-4
        assert float(z[c][mask].std()) == pytest.approx(1.0, abs=1e-4)
        assert not z[c][~mask].any()


def test_zscore_constant_modality_is_guarded():
    images = np.ones((2, 4, 4, 4), dtype=np.float32) * 7
    mask = np.ones((4, 4, 4), dtype=bool)
    z = zscore(images, mask)
    assert np.isfinite(z).all() and not z.any()


def test_preprocess_and_restore_synthetic(small):
    images, label, affine = small
    case = Case("s", images, label, affine, None, None)  # header/files unused here
    prep = preprocess(case, margin=2)
    mask = brain_mask(images)
    assert prep.images.dtype == np.float32 and prep.images.shape[0] == 4
    assert prep.mask.shape == prep.images.shape[1:] == prep.box.shape
    assert prep.mask.sum() == mask.sum()  # crop keeps every brain voxel
    assert all(s.start >= 0 for s in prep.box.slices)
    np.testing.assert_array_equal(restore(prep.mask, prep), mask)
    restored = restore(crop(label, prep.box), prep)
    np.testing.assert_array_equal(restored, label)
    probs = np.random.default_rng(0).random((3, *prep.box.shape)).astype(np.float32)
    assert restore(probs, prep).shape == (3, *images.shape[1:])


@pytest.mark.realdata
def test_preprocess_real_case(real_case):
    prep = preprocess(real_case)
    assert prep.images.shape[1:] == prep.box.shape
    assert all(c < f for c, f in zip(prep.box.shape, real_case.shape))  # really cropped
    for c in range(4):
        vals = prep.images[c][prep.mask]
        assert abs(float(vals.mean())) < 1e-3 and float(vals.std()) == pytest.approx(1, abs=1e-3)
    np.testing.assert_array_equal(restore(crop(real_case.label, prep.box), prep), real_case.label)


def test_brain_mask_finds_a_constant_negative_background(small):
    images = small[0]
    shifted = images.copy()
    brain = brain_mask(images)
    for c in range(4):  # normalised after skull stripping: background one value below the brain
        vol = shifted[c]
        vol[brain] = (vol[brain] - vol[brain].mean()) / vol[brain].std()
        vol[~brain] = vol[brain].min() - 1.0
    assert (shifted < 0).any() and not (shifted[:, ~brain] == 0).any()
    np.testing.assert_array_equal(brain_mask(shifted), brain)


def test_an_all_zero_channel_leaves_the_mask_and_is_zero_after_zscore(small):
    images = small[0].copy()
    images[[0, 2]] = 0  # t1 and t2 missing
    mask = brain_mask(images)
    np.testing.assert_array_equal(mask, brain_mask(small[0][[1, 3]]))
    z = zscore(images, mask)
    assert not z[[0, 2]].any() and z[[1, 3]][:, mask].std() > 0.5
