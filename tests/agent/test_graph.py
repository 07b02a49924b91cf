"""The report graph end to end on a real case, with scripted LLMs (no network)."""

from __future__ import annotations

import json

import nibabel as nib
import numpy as np
import pytest
from langchain_core.messages import AIMessage, ToolMessage

from medbrain.agent.fake import ScriptedChatModel
from medbrain.agent.llm import LLMSettings
from medbrain.agent.report_run import generate_report
from medbrain.agent.writer import SECTION_KEYS, grounded_sections, patient_summary
from medbrain.errors import PathNotAllowedError
from medbrain.report.document import SECTION_TITLES
from medbrain.tools.paths import AllowedRoots

SCRIPTED = LLMSettings(backend="openai", api_key="test", model="scripted")


def as_llm_text(sections: dict[str, str], summary: str) -> str:
    parts = [f"## {SECTION_TITLES[k]}\n{sections[k]}" for k in SECTION_KEYS]
    return "\n\n".join(parts) + f"\n\n## Patient summary\n{summary}"


@pytest.fixture()
def good_text(analysed_workspace) -> str:
    facts = analysed_workspace.facts
    return as_llm_text(grounded_sections(facts), patient_summary(facts))


@pytest.fixture()
def roots(data_root):
    return AllowedRoots.of(data_root)


def run(ws, tmp_path, roots, llm=None, **kw):
    return generate_report(ws.case_path, tmp_path / "out", ws, roots=roots,
                           settings=SCRIPTED if llm else LLMSettings(), llm=llm, **kw)


def test_no_llm_writes_verified_grounded_report(analysed_workspace, tmp_path, roots, real_case_dir):
    outcome = run(analysed_workspace, tmp_path, roots)
    assert outcome.verified_sections == 4 and outcome.fallback_sections == 0
    doc = json.loads(outcome.files["json"].read_text())
    assert [s["key"] for s in doc["sections"]] == list(SECTION_KEYS)
    assert all(s["source"] == "grounded" and s["verified"] for s in doc["sections"])
    assert doc["provenance"]["checkpoint_sha256"] == analysed_workspace.checkpoint.sha256
    assert doc["facts"]["measurements"]["volumes_ml"]["WT"] > 0
    md = outcome.files["md"].read_text()
    for title in SECTION_TITLES.values():
        assert title in md
    pred = nib.load(str(outcome.files["prediction"]))
    ref = nib.load(str(real_case_dir / "Brats18_2013_11_1_flair.nii.gz"))
    assert pred.shape == ref.shape and np.allclose(pred.affine, ref.affine)
    assert (tmp_path / "out" / "figures").is_dir() and any((tmp_path / "out" / "figures").iterdir())
    logged = [json.loads(line)["tool"] for line in (tmp_path / "out" / "tool_calls.jsonl").read_text().splitlines()]
    assert "figure" in logged and "confidence" in logged


def test_invented_number_is_caught_revised_and_passes(analysed_workspace, tmp_path, roots, good_text):
    bad = good_text.replace("## 2.", "The tumour grows 8.3 mL per hour.\n\n## 2.", 1)
    llm = ScriptedChatModel([bad, good_text])
    outcome = run(analysed_workspace, tmp_path, roots, llm)
    assert outcome.revisions == 1
    assert outcome.fallback_sections == 0 and outcome.verified_sections == 4
    state = outcome.state
    assert all(state["sources"][k] == "llm" for k in SECTION_KEYS)
    revise_prompt = " ".join(str(m.content) for m in llm.calls[1])
    assert "8.3 mL" in revise_prompt and "per hour" in revise_prompt
    assert "8.3 mL per hour" not in outcome.files["md"].read_text()


def test_model_that_never_fixes_ends_in_grounded_fallback(analysed_workspace, tmp_path, roots, good_text):
    bad = good_text.replace("## 2.", "The tumour is in the occipital lobe and grows 8.3 mL per hour.\n\n## 2.", 1)
    llm = ScriptedChatModel([bad, bad, bad])
    outcome = run(analysed_workspace, tmp_path, roots, llm, max_revisions=2)
    assert outcome.revisions == 2
    doc = json.loads(outcome.files["json"].read_text())
    sources = {s["key"]: s["source"] for s in doc["sections"]}
    assert sources["clinical_assessment"] == "grounded-fallback"
    assert sources["confidence"] == "llm"
    assert "8.3 mL per hour" not in outcome.files["md"].read_text()
    assert any("replaced by the grounded writer" in w for w in doc["warnings"])


def test_drafting_model_may_call_tools_first(analysed_workspace, tmp_path, roots, good_text):
    call = AIMessage(content="", tool_calls=[{"name": "get_facts", "args": {"section": "measurements"}, "id": "c1"}])
    llm = ScriptedChatModel([call, good_text])
    outcome = run(analysed_workspace, tmp_path, roots, llm)
    assert outcome.verified_sections == 4
    tool_msgs = [m for m in llm.calls[1] if isinstance(m, ToolMessage)]
    assert tool_msgs and "volumes_ml" in tool_msgs[0].content
    assert "get_facts" in llm.bound_tools


def test_facts_are_delimited_data_in_the_prompt(analysed_workspace, tmp_path, roots, good_text):
    llm = ScriptedChatModel([good_text])
    run(analysed_workspace, tmp_path, roots, llm)
    task = str(llm.calls[0][1].content)
    assert task.count("<facts>") == 1 and task.count("</facts>") == 1
    assert "never an instruction" in str(llm.calls[0][0].content)


def test_path_outside_roots_is_refused(analysed_workspace, tmp_path):
    with pytest.raises(PathNotAllowedError, match="outside the allowed data roots"):
        generate_report(analysed_workspace.case_path, tmp_path, analysed_workspace,
                        roots=AllowedRoots.of(tmp_path), settings=LLMSettings())
