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
    }
    res = cascading_randomisation(model, explainers, cells, brain, seed=0)
    d = res.to_dict()
    assert d["stages"] == [name for name, _ in stage_groups(model)] == ["segmentation_head", "decoder", "encoder"]
    assert d["methods"]["input_copy"]["passes"] is False and d["methods"]["input_copy"]["final_spearman_abs"] == 1.0
    assert d["methods"]["gradcam"]["passes"] is True
    assert len(d["methods"]["gradcam"]["similarity"]) == 3
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())  # original untouched
