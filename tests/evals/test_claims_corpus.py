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
            "diagnosis", "treatment", "prognosis", "identifier", "prior_comparison", "meta", "hidden_text"} <= wrong_classes


def test_verifier_catches_wrong_claims_and_keeps_correct_ones():
    _, graded = _graded()
    assert graded["catch_rate"] >= MIN_CATCH, graded["misses"]
    assert graded["false_rejection_rate"] <= MAX_FALSE_REJECTION, graded["false_rejections"]
    for klass, row in graded["classes"].items():
        if row["wrong"]:
            assert row["catch_rate"] >= 0.9, (klass, graded["misses"])
