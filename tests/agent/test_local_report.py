"""A full report with the real local backend: xllamacpp serving SmolLM2 over loopback."""

from __future__ import annotations

import json

import pytest

from medbrain.agent.llm import make_chat_model, settings_from_env
from medbrain.agent.report_run import generate_report
from medbrain.agent.writer import SECTION_KEYS
from medbrain.tools.paths import AllowedRoots


@pytest.mark.llm_local
def test_local_smollm2_report_is_produced_and_verified(smollm2_gguf, analysed_workspace, data_root, tmp_path):
    settings = settings_from_env("local", gguf=str(smollm2_gguf), max_tokens=400, n_threads=1)
    llm = make_chat_model(settings)
    outcome = generate_report(analysed_workspace.case_path, tmp_path / "out", analysed_workspace,
                              roots=AllowedRoots.of(data_root), settings=settings, llm=llm, max_revisions=1)
    doc = json.loads(outcome.files["json"].read_text())
    assert [s["key"] for s in doc["sections"]] == list(SECTION_KEYS)
    # whatever the small model wrote, nothing unverified reaches the report
    for section in doc["sections"]:
        assert section["source"] in ("llm", "grounded-fallback")
        assert section["verified"], section
    assert doc["provenance"]["llm"]["backend"] == "local"
    assert doc["provenance"]["llm_calls"], "the model was called"
    assert outcome.files["html"].is_file()
