"""Mirror consistency of the seed-free methods: the mirrored input, an equivariant map, a grid-bound map,
and Grad-CAM of the real network on a real case."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from medbrain.tools.mirror_consistency import method_consistency, mirror_consistency, mirror_input
from medbrain.tools.slice_input import SliceInput


def _input(seed: int = 0) -> SliceInput:
    g = torch.Generator().manual_seed(seed)
    t = torch.zeros(1, 4, 64, 64)
    t[:, :, 3:61, 5:59] = torch.rand(1, 4, 58, 54, generator=g)  # asymmetric padding on both axes
    brain = np.zeros((58, 54), bool)
    brain[4:50, 6:48] = True
    return SliceInput(tensor=t, z=0, context=0, pad=((3, 3), (5, 5)), brain=brain)


def _cells(shape: tuple[int, int], block: int = 6) -> np.ndarray:
    xs, ys = np.indices(shape)
    return np.unique((xs // block) * 1000 + ys // block, return_inverse=True)[1].reshape(shape)


def test_mirror_input_mirrors_the_slice_grid_and_keeps_the_other_axis():
    inp = SliceInput(tensor=torch.arange(2 * 64 * 32, dtype=torch.float32).reshape(1, 2, 64, 32), z=3, context=0,
                     pad=((2, 6), (1, 3)), brain=np.eye(56, 28, dtype=bool))
    m = mirror_input(inp)
    assert m.pad == ((6, 2), (1, 3)) and m.shape == inp.shape and m.z == 3
    np.testing.assert_array_equal(m.unpad(m.tensor), inp.unpad(inp.tensor)[:, :, ::-1, :])
    np.testing.assert_array_equal(m.brain, inp.brain[::-1])
    assert inp.tensor[0, 0, 0, 0] == 0  # the original is untouched


def test_an_image_following_map_is_consistent_and_a_grid_bound_map_is_not():
    inp = _input()
    mask = np.zeros(inp.shape, bool)
    mask[10:30, 8:20] = True
    cells = _cells(inp.shape)

    def follows_image(i: SliceInput, m: np.ndarray) -> np.ndarray:
        return i.unpad(i.tensor[0, 1]) * (1 + m)

    grid = np.linspace(0, 1, inp.shape[0])[:, None] * np.ones(inp.shape)

    def grid_bound(i: SliceInput, m: np.ndarray) -> np.ndarray:
        return grid  # the same map whatever the input: it does not follow the mirror

    ok = mirror_consistency(follows_image, inp, mask, follows_image(inp, mask), cells)
    assert ok["spearman_abs"] == pytest.approx(1.0) and ok["consistent"] is True and ok["test"] == "mirror"
    bad = mirror_consistency(grid_bound, inp, mask, grid, cells)
    assert bad["spearman_abs"] < -0.9 and bad["consistent"] is False


def test_the_mirrored_target_mask_is_what_the_method_explains():
    inp = _input(1)
    mask = np.zeros(inp.shape, bool)
    mask[2:9, 30:40] = True
    seen = []

    def explain(i: SliceInput, m: np.ndarray) -> np.ndarray:
        seen.append(m.copy())
        return m.astype(float)

    res = mirror_consistency(explain, inp, mask, mask.astype(float), _cells(inp.shape))
    np.testing.assert_array_equal(seen[0], mask[::-1])
    assert res["consistent"] is True


def test_method_consistency_names_the_test_each_method_gets():
    slice_entry = method_consistency("slice", {"consistency": {"runs": 2, "seeds": [0, 1], "rank_correlation": 0.9,
                                                               "consistent": True}}, None)
    assert slice_entry["test"] == "independent seeds" and slice_entry["consistent"] is True
    assert method_consistency("gradcam", {}, None) == {"test": "not run", "seed_free": True, "consistent": None}
    mirror = {"test": "mirror", "consistent": False}
    assert method_consistency("attention", {}, mirror) == mirror


@pytest.mark.realdata
def test_gradcam_of_the_shipped_model_follows_a_mirrored_real_slice(real_case_dir):
    from medbrain.model.checkpoint import load_checkpoint
    from medbrain.model.default import default_checkpoint_path
    from medbrain.pipeline.workspace import CaseWorkspace

    ws = CaseWorkspace(load_checkpoint(default_checkpoint_path()), tta=False, budget="fast")
    ws.plan.update(randomisation=None)
    ws.load(real_case_dir)
    ws.segment()
    z = ws.default_slice("WT")
    ws.explain("gradcam", "WT", z)
    comp = ws.compare()
    entry = comp["consistency"]["gradcam"]
    assert entry["test"] == "mirror" and entry["spearman_abs"] is not None
    assert entry["consistent"] == (entry["spearman_abs"] >= entry["min_spearman"])
    assert comp["methods"][0]["consistency"] == entry
    assert any(e["tool"] == "mirror_consistency" for e in ws.log.entries)
