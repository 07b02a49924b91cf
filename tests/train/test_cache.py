"""The preprocessing cache: compact, exact labels, quantisation error bounded."""

from __future__ import annotations

import numpy as np

from medbrain.data.discovery import resolve_case
from medbrain.data.loading import load_case
from medbrain.data.preprocessing import preprocess
from medbrain.train.cache import QUANT_SCALE, cache_case, load_cached_case, read_manifest


def test_real_case_round_trip(tmp_path, real_case_dir):
    entry = cache_case(resolve_case(real_case_dir), tmp_path)
    cached = load_cached_case(tmp_path, entry["case_id"])
    case = load_case(real_case_dir)
    prep = preprocess(case)
    np.testing.assert_array_equal(cached.label, case.label[prep.box.slices])
    np.testing.assert_array_equal(cached.mask, prep.mask)
    inside = np.abs(prep.images) < 127 / QUANT_SCALE
    err = np.abs(cached.images() - prep.images)[inside]
    assert err.max() <= 0.5 / QUANT_SCALE + 1e-6
    size_mb = (tmp_path / entry["file"]).stat().st_size / 2**20
    assert size_mb < 4.3, f"a cached case should stay small enough for 15 to fit 64 MiB, got {size_mb:.1f} MiB"
    assert entry["tumour_voxels"] == int((case.label > 0).sum())


def test_manifest_lists_every_case(tiny_cache):
    manifest = read_manifest(tiny_cache)
    assert [c["case_id"] for c in manifest["cases"]] == [f"Synthetic_{i:04d}" for i in range(4)]
    case = load_cached_case(tiny_cache, "Synthetic_0000")
    assert len(case.tumour_slices) > 0
