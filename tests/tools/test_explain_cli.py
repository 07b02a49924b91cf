"""`medbrain explain` end to end on a real case (cheap methods, fast budget)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from medbrain.cli import app

pytestmark = [pytest.mark.realdata, pytest.mark.slow]


def test_explain_writes_every_new_fact(real_case_dir, tmp_path):
    out = tmp_path / "explain"
    result = CliRunner().invoke(app, ["explain", str(real_case_dir), "--out", str(out), "--no-tta",
                                      "--methods", "gradcam,attention,shapley", "--budget", "fast"])
    assert result.exit_code == 0, result.output
    assert "Which sequence drove the prediction" in result.output and "Budget: fast" in result.output
    facts = json.loads(next(out.glob("*/explain.json")).read_text())["facts"]  # OUT/<case>/explain.json
    shap = facts["explanations"]["shapley"]
    assert set(shap["regions"]) <= {"WT", "TC", "ET"} and "WT" in shap["regions"]
    assert all(r["efficiency_ok"] for r in shap["regions"].values())
    comp = facts["comparison"]
    assert comp["budget"] == "fast" and "budget_note" in comp
    assert comp["target"]["region"] == "WT" and comp["localisation_reference"] == "ground_truth"
    assert comp["faithfulness_verdict"] == "no clear winner"  # one slice never names a winner
    assert set(comp["beats_random"]) == {"gradcam", "attention"}
    assert {"random", "probability"} <= set(comp["controls"])
    assert facts["explanations"]["attention"]["ranked"] is True
    conf = facts["confidence"]
    assert conf["calibrated"] is False and conf["explanation"]["effect"].startswith("reported beside")
    assert "outside" in conf["regions"]["WT"]
    assert list(out.glob("*/*.png"))
    bad = CliRunner().invoke(app, ["explain", str(real_case_dir), "--out", str(out), "--budget", "huge"])
    assert bad.exit_code != 0
