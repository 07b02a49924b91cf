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
