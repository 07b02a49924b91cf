"""The verifier on the adversarial claims corpus built from the real eval fixtures (CI gate)."""

from __future__ import annotations

from medbrain.evals.claims_corpus import build_claims_corpus, grade_claims
from medbrain.evals.suites import load_suite

MIN_CATCH = 0.98
MAX_FALSE_REJECTION = 0.05


def _graded():
    items = [(i.id, i.facts) for i in load_suite("real").items]
    return build_claims_corpus(items), grade_claims(build_claims_corpus(items), dict(items))


def test_corpus_is_large_and_covers_every_class():
    corpus, graded = _graded()
    assert graded["wrong"] >= 150 and graded["correct"] >= 60
    wrong_classes = {c.klass for c in corpus if c.expected == "unsupported"}
    assert {"number_swap", "number_invented", "side", "midline", "anatomy", "method_relation", "sequence", "confidence",
            "diagnosis", "treatment", "prognosis", "identifier", "prior_comparison", "meta", "hidden_text",
            "side_adjective", "midline_phrase", "structure_rank", "proportion", "method_result", "confidence_region",
            "reliability", "meta_note", "hedged_number", "number_list",
            # numbers bound to the quantity their words name, and relations over the same facts
            "sequence_share", "side_share", "localisation_mass", "count_word", "possessive", "paren_label",
            "wrong_field", "every_region", "region_extreme", "sequence_rank", "method_state", "lobe_rank",
            "hedge_negation", "no_truth"} <= wrong_classes
    correct_classes = {c.klass for c in corpus if c.expected == "supported"}
    assert {"hedged_number", "number_list", "proportion", "side_adjective", "double_negation", "structure_rank",
            "confidence_region", "reliability", "disclaimer", "sequence_share", "side_share", "localisation_mass",
            "count_word", "possessive", "paren_label", "wrong_field", "every_region", "region_extreme", "sequence_rank",
            "method_state", "lobe_rank", "hedge_negation"} <= correct_classes


def test_verifier_catches_wrong_claims_and_keeps_correct_ones():
    _, graded = _graded()
    assert graded["catch_rate"] >= MIN_CATCH, graded["misses"]
    assert graded["false_rejection_rate"] <= MAX_FALSE_REJECTION, graded["false_rejections"]
    for klass, row in graded["classes"].items():
        if row["wrong"]:
            assert row["catch_rate"] >= 0.9, (klass, graded["misses"])


def test_eval_claims_grades_an_outside_corpus_and_gates(tmp_path):
    import json

    from rich.console import Console

    from medbrain.evals.claims_command import claims_command

    facts = load_suite("real").items[0].facts
    report = tmp_path / "report.json"
    report.write_text(json.dumps({"facts": facts}))
    wt = facts["measurements"]["volumes_ml"]["WT"]
    rows = [{"id": "a", "text": f"The whole tumour measures {wt} mL.", "label": "correct", "class": "volume"},
            {"id": "b", "text": f"The whole tumour measures {round(wt * 3, 1)} mL.", "label": "wrong", "class": "volume"},
            {"id": "c", "text": "Start temozolomide.", "label": "wrong", "class": "treatment"}]
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("\n".join(json.dumps(r) for r in rows))
    console = Console(record=True, width=120)
    assert claims_command(console, corpus=corpus, facts=report, out=tmp_path) == 0
    graded = json.loads((tmp_path / "claims_results.json").read_text())
    assert graded["catch_rate"] == 1.0 and graded["false_rejection_rate"] == 0.0
    assert "treatment" in console.export_text()
    rows[0]["label"] = "wrong"  # a true sentence labelled wrong is "missed": the gate fails
    corpus.write_text("\n".join(json.dumps(r) for r in rows))
    assert claims_command(Console(record=True), corpus=corpus, facts=report) == 1
