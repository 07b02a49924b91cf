"""The evaluation pieces on the shipped model and a real BraTS slice (tiny budgets)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from medbrain.tools.compare_methods import compare_methods
from medbrain.tools.evaluation import common_cells, evaluate_slice, evaluation_slices
from medbrain.tools.method_ranking import rank_methods
from medbrain.tools.randomisation import cascading_randomisation
from medbrain.tools.slice_input import build_target, make_slice_input

pytestmark = [pytest.mark.realdata, pytest.mark.slow]

TINY = {
    "gradcam": {},
    "integrated_gradients": {"n_steps": 4, "max_steps": 4},
    "slice": {"num_samples": 16, "max_steps": 1, "n_bootstrap": 50, "sigmas": (0.0,), "n_segments": 20},
    "attention": {},
}


@pytest.fixture(scope="module")
def real_slice(real_case_dir):
    from medbrain.labels import region_masks
    from medbrain.data.loading import load_case
    from medbrain.data.preprocessing import crop, preprocess
    from medbrain.model.checkpoint import load_checkpoint
    from medbrain.model.default import default_checkpoint_path

    model = load_checkpoint(default_checkpoint_path()).model.eval()
    case = load_case(real_case_dir)
    prep = preprocess(case)
    truth = region_masks(crop(case.label, prep.box))["WT"]
    z = int(np.argmax(truth.sum(axis=(0, 1))))
    inp = make_slice_input(prep.images, z, model.config.context, prep.mask)
    return model, inp, build_target(model, inp, "WT"), truth, z


def test_every_method_scored_on_one_target_with_controls(real_slice):
    model, inp, target, truth, z = real_slice
    faith_settings = {"fractions": (0.05, 0.2), "random_maps": 1}
    rec, maps, faith = evaluate_slice(model, inp, target, "WT", TINY, truth[..., z], faith_settings, z=z)
    assert set(maps) == set(TINY) and set(faith.maps) == set(TINY)
    # an imputation that barely lowers the target when it fills the whole brain has no curves, and says why
    assert set(faith.undefined) <= {"blur"} and all("barely lowers the target" in v for v in faith.undefined.values())
    for m in TINY:
        assert set(faith.maps[m]) == {"baseline", "blur"} - set(faith.undefined)
        for imp in faith.maps[m]:
            c = faith.maps[m][imp]
            assert c.deletion[0] == 1.0 and c.insertion[-1] == 1.0 and len(c.deletion) == 4
            assert rec.margins[m][imp] == pytest.approx(c.score - faith.random_score(imp)[0])
    assert faith.clean_score == pytest.approx(target.score)
    assert rec.reference == "ground_truth" and 0 < rec.chance < 1
    cells = common_cells(inp)
    d = compare_methods(maps, inp.unpad(target.mask.numpy()), within=inp.brain, cells=cells,
                        truth=truth[..., z], faithfulness=faith, ranking=rank_methods([rec], ["baseline", "blur"])).to_dict()
    assert d["agreement_resolution"] == "superpixels" and d["localisation_reference"] == "ground_truth"
    assert d["most_faithful_method"] is None and d["faithfulness_verdict"] == "no clear winner"  # one slice
    assert set(d["beats_random"]) == set(TINY)
    for m in d["methods"]:
        assert m["deletion_auc"] == m["faithfulness"]["baseline"]["deletion_auc"]
        assert m["localisation"]["reference"] == "ground_truth"
    json.dumps(d)
    assert len(evaluation_slices(truth, z, 3)) == 3


def test_randomisation_on_the_real_model(real_slice):
    from medbrain.tools.gradcam import gradcam

    model, inp, target, truth, z = real_slice
    mask = inp.unpad(target.mask.numpy())
    explainers = {"gradcam": lambda m: gradcam(m, inp, "WT", mask=mask).map,
                  "input_copy": lambda m: inp.sequences()[3]}
    res = cascading_randomisation(model, explainers, common_cells(inp), inp.brain).to_dict()
    assert res["stages"] == ["segmentation_head", "decoder", "transformer_block", "encoder"]
    assert "input_copy" in res["failed"]
    sims = [s["spearman_abs"] for s in res["methods"]["gradcam"]["similarity"]]
    assert all(-1 <= s <= 1 for s in sims)
    print(res["methods"]["gradcam"])
