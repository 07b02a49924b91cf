"""Agreement at a common resolution on |maps|."""

from __future__ import annotations

import numpy as np
import pytest

from medbrain.tools.agreement import agreement, pool, top_cells


def grid_cells(shape=(32, 32), cell=8) -> np.ndarray:
    i, j = np.indices(shape)
    return (i // cell) * (shape[1] // cell) + j // cell


def blob(shape=(32, 32), centre=(10, 20), sigma=5.0) -> np.ndarray:
    i, j = np.indices(shape)
    return np.exp(-((i - centre[0]) ** 2 + (j - centre[1]) ** 2) / (2 * sigma**2))


def test_coarse_and_fine_versions_of_one_map_agree_at_the_common_resolution():
    cells = grid_cells()
    fine = blob() + 0.3 * np.random.default_rng(0).random((32, 32))  # pixel noise
    coarse = pool(blob(), cells)[cells]  # the same map at the cells' resolution
    pair = agreement({"integrated_gradients": fine, "gradcam": coarse}, cells)[0]
    assert pair.spearman > 0.95 and pair.iou_top == 1.0


def test_magnitudes_agree_signs_reported_separately():
    cells = grid_cells()
    m = blob() - 0.5 * blob(centre=(25, 5))
    pair = agreement({"integrated_gradients": m, "slice": -m}, cells)[0]
    assert pair.spearman == pytest.approx(1.0)  # same places matter
    assert pair.sign_spearman == pytest.approx(-1.0)  # opposite directions
    other = agreement({"gradcam": m, "slice": -m}, cells)[0]
    assert other.sign_spearman is None  # Grad-CAM is non-negative by construction


def test_top_cells_cover_the_area_and_ignore_zeros():
    pooled = np.array([3.0, 2.0, 1.0, 0.0])
    areas = np.array([10.0, 10.0, 10.0, 10.0])
    assert top_cells(pooled, areas, 0.10).tolist() == [True, False, False, False]
    assert top_cells(pooled, areas, 0.30).tolist() == [True, True, False, False]
    assert not top_cells(np.zeros(4), areas).any()
    outside = grid_cells()
    outside[:8] = -1
    assert pool(np.ones((32, 32)), outside)[:4].tolist() == [0, 0, 0, 0]
