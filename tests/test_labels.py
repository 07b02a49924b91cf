"""Label conventions, regions and the region -> label rule."""

from __future__ import annotations

import numpy as np
import pytest

from medbrain.errors import ConfigError, MedBrainError, UnknownLabelError
from medbrain.labels import (
    INTERNAL_LABELS,
    REGIONS,
    SUBREGION_LABELS,
    LabelConvention,
    convention_values,
    from_internal,
    region_masks,
    regions_to_labels,
    to_internal,
)

# (convention, on-disk values for NCR, ED, ET)
ENCODINGS = [
    (LabelConvention.BRATS2018, (1, 2, 4)),
    (LabelConvention.BRATS2023, (1, 2, 3)),
    (LabelConvention.MSD, (2, 1, 3)),
]


def _internal_sample(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.choice(np.array(INTERNAL_LABELS, dtype=np.uint8), size=(7, 6, 5))


def test_constants():
    assert INTERNAL_LABELS == (0, 1, 2, 4)
    assert REGIONS == ("WT", "TC", "ET")
    assert SUBREGION_LABELS == {"NCR": 1, "ED": 2, "ET": 4}
    assert LabelConvention("msd") is LabelConvention.MSD
    assert LabelConvention.BRATS2023 == "brats2023"


@pytest.mark.parametrize("convention,disk", ENCODINGS, ids=lambda v: str(v))
def test_to_internal_maps_each_subregion(convention, disk):
    ncr, ed, et = disk
    raw = np.array([0, ncr, ed, et], dtype=np.int16)
    out = to_internal(raw, convention)
    assert out.dtype == np.uint8
    assert out.tolist() == [0, 1, 2, 4]
    assert from_internal(out, convention).tolist() == [0, ncr, ed, et]


@pytest.mark.parametrize("convention", list(LabelConvention), ids=lambda c: c.value)
@pytest.mark.parametrize("dtype", [np.uint8, np.int16, np.int32, np.float32, np.float64])
def test_round_trip(convention, dtype):
    internal = _internal_sample()
    disk = from_internal(internal, convention).astype(dtype)
    back = to_internal(disk, convention)
    assert back.dtype == np.uint8 and back.shape == internal.shape
    np.testing.assert_array_equal(back, internal)
    # and the other way round, starting from values on disk
    values = np.array(convention_values(convention), dtype=dtype)
    np.testing.assert_array_equal(from_internal(to_internal(values, convention), convention),
                                  values)


def test_convention_given_as_string():
    np.testing.assert_array_equal(to_internal(np.array([3]), "brats2023"), [4])


@pytest.mark.parametrize("convention,bad", [
    (LabelConvention.BRATS2018, 3),
    (LabelConvention.BRATS2023, 4),
    (LabelConvention.MSD, 4),
    (LabelConvention.MSD, 7),
])
def test_unknown_values_are_rejected_and_named(convention, bad):
    raw = np.array([0, 1, 2, bad, bad], dtype=np.int16)
    with pytest.raises(UnknownLabelError) as info:
        to_internal(raw, convention)
    msg = str(info.value)
    assert f"Label values {bad} " in msg
    assert convention.value in msg


def test_unknown_message_suggests_a_fitting_convention():
    with pytest.raises(UnknownLabelError, match="brats2023 or msd"):
        to_internal(np.array([0, 1, 2, 3]), LabelConvention.BRATS2018)


@pytest.mark.parametrize("raw,expected", [
    (np.array([0, -1, 2]), "-1"),
    (np.array([0, 300, 1]), "300"),
    (np.array([0.0, 1.5]), "1.5"),
    (np.array([0.0, np.nan]), "NaN"),
])
def test_out_of_range_and_non_integer_values(raw, expected):
    with pytest.raises(UnknownLabelError, match=expected.replace(".", r"\.")):
        to_internal(raw, LabelConvention.BRATS2018)


def test_from_internal_rejects_non_internal_values():
    with pytest.raises(UnknownLabelError, match="Label values 3 .*internal"):
        from_internal(np.array([0, 3]), LabelConvention.MSD)


def test_unknown_convention_name():
    with pytest.raises(ConfigError, match="brats2018, brats2023, msd"):
        to_internal(np.zeros(3), "brats2030")
    assert issubclass(ConfigError, MedBrainError)


def test_region_masks():
    lab = np.array([0, 1, 2, 4], dtype=np.uint8)
    masks = region_masks(lab)
    assert list(masks) == list(REGIONS)
    assert masks["WT"].tolist() == [False, True, True, True]
    assert masks["TC"].tolist() == [False, True, False, True]
    assert masks["ET"].tolist() == [False, False, False, True]
    assert all(m.dtype == bool for m in masks.values())


def test_regions_to_labels_priority_and_nesting():
    wt = np.array([0, 1, 1, 1, 0, 0], dtype=bool)
    tc = np.array([0, 0, 1, 1, 1, 0], dtype=bool)
    et = np.array([0, 0, 0, 1, 0, 1], dtype=bool)
    lab = regions_to_labels(wt, tc, et)
    assert lab.dtype == np.uint8
    # ET wins, then NCR (tc), then ED (wt); ET/TC outside WT are still kept, nested
    assert lab.tolist() == [0, 2, 1, 4, 1, 4]
    m = region_masks(lab)
    assert not (m["ET"] & ~m["TC"]).any() and not (m["TC"] & ~m["WT"]).any()


def test_regions_to_labels_inverts_region_masks():
    internal = _internal_sample(3)
    m = region_masks(internal)
    np.testing.assert_array_equal(regions_to_labels(m["WT"], m["TC"], m["ET"]), internal)


def test_regions_to_labels_thresholds_probabilities():
    probs = [np.array([0.2, 0.7, 0.9]), np.array([0.1, 0.4, 0.8]), np.array([0.0, 0.6, 0.3])]
    assert regions_to_labels(*probs).tolist() == [0, 4, 1]
    assert regions_to_labels(*probs, threshold=0.85).tolist() == [0, 0, 2]
