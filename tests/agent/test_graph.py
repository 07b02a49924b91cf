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
    kw.setdefault("drafting", "free")  # these scripts answer in free text; structured drafting has its own tests
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


def test_model_that_never_fixes_loses_only_the_bad_sentence(analysed_workspace, tmp_path, roots, good_text):
    bad = good_text.replace("## 2.", "The tumour is in the occipital lobe and grows 8.3 mL per hour.\n\n## 2.", 1)
    llm = ScriptedChatModel([bad, bad, bad])
    outcome = run(analysed_workspace, tmp_path, roots, llm, max_revisions=2)
    assert outcome.revisions == 2
    doc = json.loads(outcome.files["json"].read_text())
    sections = {s["key"]: s for s in doc["sections"]}
    assert sections["clinical_assessment"]["source"] == "llm-pruned" and sections["clinical_assessment"]["verified"]
    assert sections["confidence"]["source"] == "llm"
    assert not any("8.3 mL per hour" in s["text"] or "occipital" in s["text"] for s in sections.values())
    assert "whole-tumour (WT) volume" in sections["clinical_assessment"]["text"]  # the good sentences stay
    removed = doc["verifier"]["sections"]["clinical_assessment"]["removed_sentences"]
    assert removed == ["The tumour is in the occipital lobe and grows 8.3 mL per hour."]
    assert any("were removed" in w for w in doc["warnings"])


def test_section_with_nothing_supported_ends_in_grounded_fallback(analysed_workspace, tmp_path, roots, good_text):
    start = good_text.index("## 1.")
    end = good_text.index("## 2.")
    bad = good_text[:start] + "## 1. Clinical assessment\nThe tumour is in the occipital lobe and grows 8.3 mL per hour.\n\n" \
        + good_text[end:]
    llm = ScriptedChatModel([bad, bad, bad])
    outcome = run(analysed_workspace, tmp_path, roots, llm, max_revisions=2)
    doc = json.loads(outcome.files["json"].read_text())
    sources = {s["key"]: s["source"] for s in doc["sections"]}
    assert sources["clinical_assessment"] == "grounded-fallback" and sources["confidence"] == "llm"
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


# --------------------------------------------------------------------------- structured drafting
def _structured_draft(**override) -> str:
    draft = {
        "clinical_assessment": [
            "The whole tumour measures {measurements.volumes_ml.WT}, of which {measurements.volumes_ml.ET} is "
            "enhancing tumour.",
            "The tumour core measures {measurements.volumes_ml.TC}.",
        ],
        "method_comparison": ["{comparison.most_agreeing_pair} agree most closely of the explanation methods."],
        "confidence": ["Overall confidence is {confidence.level}."],
        "recommendations": ["A radiologist should review the whole tumour on slice {explanations.slice_index}."],
        "patient_summary": ["The program outlined an area of {measurements.volumes_ml.WT} that your doctor will review."],
    }
    draft.update(override)
    return json.dumps(draft)


def test_structured_draft_cites_facts_and_code_renders_the_values(analysed_workspace, tmp_path, roots):
    llm = ScriptedChatModel([_structured_draft()])
    outcome = run(analysed_workspace, tmp_path, roots, llm, drafting="structured")
    facts = analysed_workspace.facts
    doc = json.loads(outcome.files["json"].read_text())
    sections = {s["key"]: s for s in doc["sections"]}
    assert all(s["source"] == "llm" and s["verified"] for s in sections.values()), sections
    wt = facts["measurements"]["volumes_ml"]["WT"]
    assert f"The whole tumour measures {wt:g} mL" in sections["clinical_assessment"]["text"]
    assert "{" not in outcome.files["md"].read_text().split("## Facts")[0]
    prompt = llm.calls[0][-1].content
    assert "{measurements.volumes_ml.WT}" in prompt and f"{wt:g} mL" in prompt  # the menu shows how each renders
    logged = doc["provenance"]["llm_calls"][0]
    assert logged["drafting"] == "structured" and logged["sentences"]["clinical_assessment"] == {"drafted": 2, "rendered": 2}


def test_structured_draft_drops_typed_numbers_and_misplaced_references(analysed_workspace, tmp_path, roots):
    bad = _structured_draft(clinical_assessment=[
        "The whole tumour measures 250 mL.",  # typed: dropped before verification
        "The whole tumour measures {measurements.volumes_ml.ET}.",  # right value, wrong quantity: verifier
        "The tumour core measures {measurements.volumes_ml.TC}.",
        "It lies in {measurements.nope}.",  # unknown reference
    ])
    llm = ScriptedChatModel([bad, bad, bad])
    outcome = run(analysed_workspace, tmp_path, roots, llm, drafting="structured")
    doc = json.loads(outcome.files["json"].read_text())
    section = next(s for s in doc["sections"] if s["key"] == "clinical_assessment")
    tc = analysed_workspace.facts["measurements"]["volumes_ml"]["TC"]
    assert section["source"] == "llm-pruned" and section["text"] == f"The tumour core measures {tc:g} mL."
    assert outcome.revisions == 2
    revise_prompt = llm.calls[1][-1].content
    assert "types a number" in revise_prompt and "measurements.nope" in revise_prompt


def test_structured_draft_that_is_not_json_falls_back(analysed_workspace, tmp_path, roots):
    llm = ScriptedChatModel(["Sure! Here is the report.", "still not json", "no"])
    outcome = run(analysed_workspace, tmp_path, roots, llm, drafting="structured")
    doc = json.loads(outcome.files["json"].read_text())
    assert all(s["source"] == "grounded-fallback" for s in doc["sections"])
    assert any("not JSON" in w for w in doc["warnings"])
