"""Cascading parameter randomisation: maps that depend on the weights pass, input-only maps fail."""

from __future__ import annotations

import numpy as np
import torch

from medbrain.model.config import ModelConfig
from medbrain.model.hybrid import HybridUNetPlusPlus
from medbrain.tools.gradcam import gradcam
from medbrain.tools.randomisation import cascading_randomisation, stage_groups
from medbrain.tools.slice_input import make_slice_input


def test_weight_dependent_map_passes_and_input_copy_fails():
    torch.manual_seed(0)
    model = HybridUNetPlusPlus(ModelConfig(decoder_channels=(8, 8, 8, 8, 8), context=0, transformer=None)).eval()
    volume = np.random.default_rng(0).normal(size=(4, 32, 32, 3)).astype(np.float32)
    brain = np.ones((32, 32), bool)
    inp = make_slice_input(volume, 1, 0)
    mask = np.zeros((32, 32), bool)
    mask[8:24, 8:24] = True
    cells = (np.indices((32, 32))[0] // 4) * 8 + np.indices((32, 32))[1] // 4
    before = {k: v.clone() for k, v in model.state_dict().items()}
    explainers = {
        "gradcam": lambda m: gradcam(m, inp, "WT", mask=mask, layer="x_0_4").signed,
        "input_copy": lambda m: inp.sequences()[3],  # ignores the model: must fail
        "empty": lambda m: np.zeros((32, 32), np.float32),  # no map on the intact model: cannot be tested
    }
    res = cascading_randomisation(model, explainers, cells, brain, seed=0)
    d = res.to_dict()
    assert d["methods"]["empty"]["passes"] is False and d["methods"]["empty"]["passes_signed"] is False
    assert d["untestable"] == ["empty"] and "empty" not in d["passed"] + d["failed"]  # similarity 0 is no pass
    assert d["stages"] == [name for name, _ in stage_groups(model)] == ["segmentation_head", "decoder", "encoder"]
    assert d["methods"]["input_copy"]["passes"] is False and d["methods"]["input_copy"]["final_spearman_abs"] == 1.0
    assert d["methods"]["gradcam"]["passes"] is True
    assert len(d["methods"]["gradcam"]["similarity"]) == 3
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())  # original untouched


def test_final_only_is_the_cascades_last_stage_in_two_runs_per_method():
    torch.manual_seed(0)
    model = HybridUNetPlusPlus(ModelConfig(decoder_channels=(8, 8, 8, 8, 8), context=0, transformer=None)).eval()
    volume = np.random.default_rng(1).normal(size=(4, 32, 32, 3)).astype(np.float32)
    brain = np.ones((32, 32), bool)
    inp = make_slice_input(volume, 1, 0)
    mask = np.zeros((32, 32), bool)
    mask[6:20, 10:26] = True
    cells = (np.indices((32, 32))[0] // 4) * 8 + np.indices((32, 32))[1] // 4
    calls = {"n": 0}

    def counted(m):
        calls["n"] += 1
        return gradcam(m, inp, "WT", mask=mask, layer="x_0_4").signed

    full = cascading_randomisation(model, {"gradcam": counted}, cells, brain, seed=3).to_dict()
    assert calls["n"] == 1 + 3
    calls["n"] = 0
    intact = gradcam(model, inp, "WT", mask=mask, layer="x_0_4").signed
    fast = cascading_randomisation(model, {"gradcam": counted}, cells, brain, seed=3, final_only=True,
                                   originals={"gradcam": intact}).to_dict()
    assert calls["n"] == 1  # the intact map was reused, one randomised run
    assert fast["stages"] == ["all_layers"] and fast["settings"]["final_only"] is True
    assert fast["settings"]["groups"] == full["stages"] and fast["settings"]["reused_originals"] == ["gradcam"]
    assert "every layer at once" in fast["test"] and "cascading" in full["test"]
    # the same weights as the cascade's last stage, so the same similarity and verdict
    assert fast["methods"]["gradcam"]["similarity"][0] == full["methods"]["gradcam"]["similarity"][-1]
    assert fast["methods"]["gradcam"]["passes"] == full["methods"]["gradcam"]["passes"]
    # a different seed gives different random weights (the equality above is not trivial)
    other = cascading_randomisation(model, {"gradcam": counted}, cells, brain, seed=4, final_only=True).to_dict()
    assert other["methods"]["gradcam"]["similarity"][0] != full["methods"]["gradcam"]["similarity"][-1]
