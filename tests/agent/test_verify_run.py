"""`medbrain verify` on texts and JSONL items against a report.json."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from medbrain.cli import app
from tests.agent.facts_fixture import sample_facts

runner = CliRunner()


def _report(tmp_path):
    path = tmp_path / "report.json"
    path.write_text(json.dumps({"facts": sample_facts()}))
    return path


def test_supported_text_exits_0_and_wrong_text_exits_1(tmp_path):
    facts = _report(tmp_path)
    good = tmp_path / "good.md"
    good.write_text("The whole tumour measures 81.79 mL and lies in the left hemisphere.")
    bad = tmp_path / "bad.md"
    bad.write_text("The whole tumour measures 12.07 mL. The mass is a glioblastoma.")
    ok = runner.invoke(app, ["verify", str(good), "--facts", str(facts)])
    assert ok.exit_code == 0, ok.output
    assert "Status: passed" in ok.output
    res = runner.invoke(app, ["verify", str(bad), "--facts", str(facts), "--json"])
    assert res.exit_code == 1
    data = json.loads(res.output)
    assert data["status"] == "failed" and len(data["sentences"]) == 2
    assert all(s["verdict"] == "unsupported" for s in data["sentences"])


def test_jsonl_items(tmp_path):
    facts = _report(tmp_path)
    items = tmp_path / "items.jsonl"
    items.write_text(json.dumps({"id": "a", "section": "x", "text": "Overall confidence is moderate."}) + "\n"
                     + json.dumps({"id": "b", "text": "Overall confidence is high."}) + "\n")
    res = runner.invoke(app, ["verify", "--facts", str(facts), "--jsonl", str(items)])
    rows = [json.loads(line) for line in res.output.splitlines()]
    assert res.exit_code == 1 and [r["passed"] for r in rows] == [True, False]


def test_usage_errors_exit_2(tmp_path):
    res = runner.invoke(app, ["verify", str(tmp_path / "none.md"), "--facts", str(tmp_path / "missing.json")])
    assert res.exit_code == 2 and "no such file" in " ".join(res.output.split())
    (tmp_path / "x.json").write_text("{}")
    (tmp_path / "t.md").write_text("text")
    res = runner.invoke(app, ["verify", str(tmp_path / "t.md"), "--facts", str(tmp_path / "x.json")])
    assert res.exit_code == 2


def test_a_report_md_is_checked_on_its_prose_only():
    from medbrain.agent.verify_run import assessment_text

    md = ("# MedBrainInsight report: case `X`\n\n> **Disclaimer.** Research tool, not a medical device.\n\n"
          "## 1. Clinical assessment\n\n*Source: grounded writer (deterministic, from the tool facts)*\n\n"
          "The whole tumour measures 81.79 mL.\n\n## Figures\n\n![m.png](figures/m.png)\n\n"
          "## Patient summary\n\nThis is not a diagnosis.\n\n## Facts (from the tools)\n\n| Region | Dice |\n|---|---|\n"
          "| WT | 0.910 |\n\n## Appendix: raw tool results\n\n```json\n{\"seed\": 7}\n```\n")
    text, is_report = assessment_text(md)
    assert is_report
    assert "81.79 mL" in text and "not a diagnosis" in text and "Research tool" in text
    assert "Source:" not in text and "| WT |" not in text and "seed" not in text and "Disclaimer" not in text
    plain = "The whole tumour measures 81.79 mL."
    assert assessment_text(plain) == (plain, False)
