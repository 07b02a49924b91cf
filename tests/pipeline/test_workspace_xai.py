"""The workspace's full budget on a real case: several slices with intervals, randomisation,
SLICE across seeds, multi-slice Shapley (tiny method settings keep it affordable)."""

from __future__ import annotations

import json

import pytest

pytestmark = [pytest.mark.realdata, pytest.mark.slow]

TINY = {"integrated_gradients": {"n_steps": 4, "max_steps": 4},
        "slice": {"num_samples": 16, "max_steps": 1, "n_bootstrap": 50, "sigmas": (0.0,), "n_segments": 20}}


def test_full_budget_facts(real_case_dir):
    from medbrain.model.checkpoint import load_checkpoint
    from medbrain.model.default import default_checkpoint_path
    from medbrain.pipeline.workspace import CaseWorkspace

    ws = CaseWorkspace(load_checkpoint(default_checkpoint_path()), tta=False, budget="full", method_settings=TINY)
    ws.plan.update(slices=3, shapley_slices=2, faithfulness={"fractions": (0.05, 0.2), "random_maps": 2})
    ws.randomisation_settings["slice"].update(num_samples=8, n_bootstrap=20, n_segments=12)
    ws.load(real_case_dir)
    ws.segment()
    z = ws.default_slice("WT")
    for method in ("gradcam", "slice", "shapley"):
        ws.explain(method, "WT", z)
    comp = ws.compare()
    ev = comp["evaluation"]
    assert ev["n_slices"] == 3 and ev["interval"].startswith("95% percentile bootstrap") and ev["slices"][0] == z
    for m in ("gradcam", "slice"):
        s = ev["methods"][m]["margin_vs_random"]["baseline"]
        assert s["ci"][0] <= s["mean"] <= s["ci"][1]
        assert ev["methods"][m]["beats_random"]["basis"] == "bootstrap interval over slices"
    assert comp["budget"] == "full" and "budget_note" not in comp
    rnd = comp["randomisation"]
    assert rnd["run"] is True and set(rnd["methods"]) == {"gradcam", "slice"} and len(rnd["stages"]) == 4
    sl = ws.facts["explanations"]["slice"]
    assert sl["consistency"]["runs"] == 2 and sl["consistency"]["seeds"] == [0, 1]
    assert sl["stability"]["consistent"] == sl["consistency"]["consistent"]
    shap = ws.facts["explanations"]["shapley"]["regions"]["WT"]
    assert len(shap["slices"]) == 2 and shap["efficiency_ok"]
    conf = ws.confidence()
    assert conf["explanation"]["faithfulness_verdict"] == comp["faithfulness_verdict"]
    json.dumps(ws.facts)


def test_fast_budget_runs_the_last_stage_of_the_randomisation_check(tmp_path):
    from medbrain.agent.writer import grounded_sections
    from medbrain.model.checkpoint import load_checkpoint
    from medbrain.pipeline.toollog import ToolLog
    from medbrain.pipeline.workspace import CaseWorkspace

    from ..cli_helpers import make_tiny_checkpoint, tiny_case

    ws = CaseWorkspace(load_checkpoint(make_tiny_checkpoint(tmp_path / "ckpt")), tta=False, budget="fast",
                       log=ToolLog(), method_settings=TINY)
    ws.load(tiny_case(tmp_path / "data", "Fast", seed=5))
    ws.segment()
    z = ws.default_slice("WT")
    for method in ("gradcam", "integrated_gradients", "slice"):
        ws.explain(method, "WT", z)
    sl = ws.facts["explanations"]["slice"]
    assert sl["consistency"]["runs"] == 2 and sl["consistency"]["seeds"] == [0, 1]  # two seeds in fast too
    assert sl["settings"]["precision"] == ws.scoring_precision
    comp = ws.compare()
    assert comp["faithfulness"]["settings"]["precision"] == ws.scoring_precision
    rnd = comp["randomisation"]
    assert rnd["run"] is True and rnd["stages"] == ["all_layers"] and rnd["settings"]["final_only"] is True
    assert set(rnd["methods"]) == {"gradcam", "integrated_gradients", "slice"}
    assert set(rnd["passed"]) | set(rnd["failed"]) == {"gradcam", "integrated_gradients", "slice"}
    # Grad-CAM's map was computed with the check's settings and is reused; IG's settings differ (16 steps)
    assert rnd["settings"]["reused_originals"] == ["gradcam"]
    assert "fully randomised network only" in grounded_sections(ws.facts)["method_comparison"]
    assert [e["tool"] for e in ws.log.entries].count("randomisation") == 1
    cons = comp["consistency"]  # one consistency test per method: SLICE over seeds, the others under a mirror
    assert cons["slice"]["test"] == "independent seeds" and cons["slice"]["consistent"] == sl["consistency"]["consistent"]
    for m in ("gradcam", "integrated_gradients"):
        assert cons[m]["test"] == "mirror" and cons[m]["seed_free"] is True
        assert cons[m]["consistent"] is None or cons[m]["consistent"] == (cons[m]["spearman_abs"] >= 0.5)
    assert [m["consistency"] for m in comp["methods"]] == [cons[m["method"]] for m in comp["methods"]]
    assert "randomisation check on the fully randomised network only" in comp["budget_note"]


def test_comparison_without_deletion_records_that_the_randomisation_check_was_not_run(tmp_path):
    from medbrain.agent.writer import grounded_sections
    from medbrain.model.checkpoint import load_checkpoint
    from medbrain.pipeline.workspace import CaseWorkspace

    from ..cli_helpers import make_tiny_checkpoint, tiny_case

    ws = CaseWorkspace(load_checkpoint(make_tiny_checkpoint(tmp_path / "ckpt")), tta=False, budget="fast",
                       method_settings=TINY)
    ws.load(tiny_case(tmp_path / "data", "NoDel", seed=6))
    ws.segment()
    ws.explain("gradcam", "WT", ws.default_slice("WT"))
    comp = ws.compare(deletion=False)
    assert comp["randomisation"] == {"run": False, "reason": "the comparison ran without deletion curves"}
    assert "randomisation sanity check was not run" in grounded_sections(ws.facts)["method_comparison"]
