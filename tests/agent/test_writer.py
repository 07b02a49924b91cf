"""The grounded writer: four sections, only facts, always passes the verifier."""

from __future__ import annotations

import pytest

from medbrain.agent.verifier import verify_text
from medbrain.agent.writer import SECTION_KEYS, grounded_sections, patient_summary
from tests.agent.facts_fixture import sample_facts

VARIANTS = {
    "typical": sample_facts(),
    "no_enhancement": sample_facts(measurements__volumes_ml={"NCR": 3.0, "ED": 40.0, "ET": 0.0, "TC": 3.0, "WT": 43.0}),
    "unknown_location": sample_facts(measurements__location={"status": "unknown", "reason": "not SRI24 (182, 218, 182)"}),
    "low_confidence": sample_facts(confidence__level="low"),
    "bilateral": sample_facts(measurements__side={"side": "bilateral", "left_fraction": 0.55, "right_fraction": 0.45,
                                                  "crosses_midline": True}),
    "empty": sample_facts(measurements__volumes_ml={"NCR": 0.0, "ED": 0.0, "ET": 0.0, "TC": 0.0, "WT": 0.0}),
    "synthetic": sample_facts(case__synthetic=True),
}


@pytest.mark.parametrize("name", list(VARIANTS))
def test_every_section_passes_the_verifier(name):
    facts = VARIANTS[name]
    sections = grounded_sections(facts)
    assert list(sections) == list(SECTION_KEYS)
    for key, text in sections.items():
        assert text.strip(), key
        result = verify_text(text, facts)
        assert result.passed, (name, key, result.findings(), text)
    summary = patient_summary(facts)
    assert verify_text(summary, facts).passed, summary


def test_sections_cite_the_key_facts():
    facts = sample_facts()
    s = grounded_sections(facts)
    assert "81.79 mL" in s["clinical_assessment"] and "left" in s["clinical_assessment"]
    assert "frontal lobe" in s["clinical_assessment"]
    assert "Grad-CAM and attention rollout agree most" in s["method_comparison"]
    assert "Overall confidence is moderate" in s["confidence"]
    assert "slice 78" in s["recommendations"]


def test_no_enhancement_is_stated_as_absent():
    s = grounded_sections(VARIANTS["no_enhancement"])
    assert "No enhancing tumour was predicted" in s["clinical_assessment"]
    assert "12.07" not in " ".join(s.values())


def test_synthetic_case_says_so():
    s = grounded_sections(VARIANTS["synthetic"])
    assert "synthetic case" in s["clinical_assessment"]
    assert "computer-made test scan" in patient_summary(VARIANTS["synthetic"])


def _real_facts() -> list[dict]:
    """Facts of the eval fixtures: real cases, today's tools (comparison, Shapley, confidence)."""
    import json
    from pathlib import Path

    import medbrain.evals

    doc = json.loads((Path(medbrain.evals.__file__).parent / "fixtures" / "real.json").read_text())
    return [item["facts"] for item in doc["items"]]


@pytest.mark.parametrize("index", range(4))
def test_real_case_sections_pass_and_say_what_the_comparison_found(index):
    import copy

    facts = copy.deepcopy(_real_facts()[index])
    s = grounded_sections(facts)
    for key, text in s.items():
        assert verify_text(text, facts).passed, (key, verify_text(text, facts).findings(), text)
    comp, text = facts["comparison"], s["method_comparison"]
    for ms in comp["methods"]:
        assert f"insertion AUC {ms['faithfulness']['blur']['insertion_auc']:.6g}" in text
    if comp["most_faithful_method"] is None:
        assert "Most faithful" not in text and f"Faithfulness over {comp['evaluation']['n_slices']} slice" in text
    losers = comp["not_beating_random"]
    assert ("Not better than a random map" in text) == bool(losers)
    for region, r in facts["explanations"]["shapley"]["regions"].items():
        assert "Sequence Shapley values for the" in text and f"({region}):" in text
    assert "randomisation sanity check was not run" in text  # fast-budget fixtures


def test_randomisation_result_and_slice_reliability_are_reported():
    import copy

    facts = copy.deepcopy(_real_facts()[0])
    facts["comparison"]["randomisation"] = {"passed": ["gradcam", "integrated_gradients"], "failed": ["attention"]}
    facts["explanations"]["slice"]["stability"]["reliable"] = False
    text = grounded_sections(facts)["method_comparison"]
    assert "Randomisation check passed (maps change when the weights are randomised): Grad-CAM, Integrated Gradients." in text
    assert "Randomisation check failed" in text and "attention rollout" in text.split("Randomisation check failed")[1]
    assert "SLICE did not pass its own checks" in text and "SLICE stability score" not in text


def test_a_method_with_an_empty_map_is_untestable_not_passed():
    import copy

    facts = copy.deepcopy(_real_facts()[0])
    facts["comparison"]["randomisation"] = {"run": True, "passed": ["gradcam"], "failed": ["integrated_gradients"],
                                            "untestable": ["attention"]}
    text = grounded_sections(facts)["method_comparison"]
    line = next(x for x in text.splitlines() if "not applicable" in x)
    assert "attention rollout" in line and "empty" in line
    assert "attention" not in text.split("Randomisation check passed")[1].splitlines()[0]
    assert verify_text(line, facts).status != "failed", verify_text(line, facts).findings()
    for said in ("Attention rollout passed the randomisation check.", "Attention rollout failed the randomisation check."):
        assert not verify_text(said, facts).passed, said  # an empty map is neither
    assert verify_text("Grad-CAM passed the randomisation check.", facts).passed


def test_likely_undersegmentation_is_named_in_confidence_and_recommendations():
    import copy

    facts = copy.deepcopy(_real_facts()[0])
    facts["confidence"]["likely_undersegmented_regions"] = ["ET"]
    facts["confidence"]["regions"]["ET"]["likely_undersegmentation"] = True
    s = grounded_sections(facts)
    assert "Likely under-segmentation" in s["confidence"] and "enhancing tumour" in s["confidence"]
    assert "The enhancing tumour is likely under-segmented" in s["recommendations"]
    for key in ("confidence", "recommendations"):
        assert verify_text(s[key], facts).passed, verify_text(s[key], facts).findings()
    clean = grounded_sections(_real_facts()[0])
    assert "under-segment" not in clean["confidence"] + clean["recommendations"]


@pytest.mark.parametrize("missing", [("t1",), ("t1ce",), ("t2",), ("flair",), ("t1", "t2"), ("t1", "t1ce", "t2")])
@pytest.mark.parametrize("measured", [True, False])
def test_the_grounded_writer_states_the_sequences_used_and_passes(missing, measured):
    from medbrain.agent.section_checks import verify_section
    from medbrain.model.expected_accuracy import expected_accuracy

    present = [q for q in ("t1", "t1ce", "t2", "flair") if q not in missing]
    name = "+".join(present)
    table = {"validation": {"by_sequences": {"method": "3-fold CV", "subsets": {name: {
        "cases": 27, "folds": [0, 1, 2], **{r: {"mean": m, "sd": 0.05} for r, m in (("WT", 0.74), ("TC", 0.39), ("ET", 0.02))}}}}}}
    facts = sample_facts()
    facts["case"].update(sequences=present, sequences_missing=list(missing),
                         expected_accuracy=expected_accuracy(table if measured else {}, present))
    sections = grounded_sections(facts)
    assert "Segmented from" in sections["confidence"] and ("0.74" in sections["confidence"]) is measured
    for key, text in sections.items():
        record = verify_section(text, facts, key)
        assert record["passed"], (key, record["unsupported"], text)
