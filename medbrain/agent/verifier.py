"""The deterministic grounding check: every claim in a text must come from a tool result.

The text is NFKC-normalised (format characters stripped), split into sentences, and each
sentence is checked on its own:

- every number is bound to the quantity its words name (region, method, sequence,
  structure, side, measure word, unit) and must match that fact at the precision written;
  a number with no recognisable quantity fails (:mod:`medbrain.agent.grounding.number_binding`);
- sides, midline, anatomy, atlas coverage, sub-regions, methods, relation claims (agreement,
  controls, chance, pointing game, signs), dominant sequence and confidence words are checked
  against the facts (``location_claims``, ``method_claims``, ``agreement_claims``,
  ``dominance_claims``, ``confidence_claims``, ``location_relations``, ``method_relations``,
  ``localisation_claims``, ``sign_claims``, ``reliability_claims``, ``threshold_relations``,
  ``run_claims``, ``mirror_claims`` in :mod:`medbrain.agent.grounding`); clinical content (diagnosis,
  grade, markers, prognosis, treatment, drugs, referrals, identifiers, prior-scan
  comparisons), meta text, unknown proper names and mixed-script words fail
  (:mod:`medbrain.agent.grounding.content_claims`).

A sentence is ``supported`` (claims, all true), ``unsupported`` (any claim false) or
``no_claim``. A text passes when no sentence is unsupported and at least one claim was
checked; a text with nothing checkable is ``unverified``, never ``passed``.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from medbrain.agent.grounding.case_claims import check_case_claims
from medbrain.agent.grounding.claim import Claim
from medbrain.agent.grounding.confidence_claims import check_confidence
from medbrain.agent.grounding.content_claims import check_clinical, check_meta, check_names
from medbrain.agent.grounding.input_claims import check_input_sequences
from medbrain.agent.grounding.location_claims import check_anatomy, check_atlas_coverage, check_sides, check_subregions
from medbrain.agent.grounding.location_relations import (
    check_compound_lobes, check_focality, check_laterality, check_structure_comparisons, check_structure_rank, check_subregion_proportions,
)
from medbrain.agent.grounding.localisation_claims import check_localisation
from medbrain.agent.grounding.method_claims import check_methods, check_sequences
from medbrain.agent.grounding.method_relations import check_method_results, check_sequence_relations
from medbrain.agent.grounding.mirror_claims import check_mirror
from medbrain.agent.grounding.number_binding import check_sentence_numbers
from medbrain.agent.grounding.number_context import SentenceContext
from medbrain.agent.grounding.ratio_relations import check_multiples
from medbrain.agent.grounding.reliability_claims import check_reliability
from medbrain.agent.grounding.run_claims import check_randomisation_followup, check_run_claims
from medbrain.agent.grounding.sign_claims import check_signs
from medbrain.agent.grounding.size_analogies import check_size_analogies
from medbrain.agent.grounding.text import normalise, split_sentences
from medbrain.agent.grounding.threshold_relations import check_threshold_relations
from medbrain.facts import FactCatalogue

_BIDI_RE = re.compile("[\u202a-\u202e\u2066-\u2069]")
_PRONOUN_RE = re.compile(r"^\s*(?:it|its|this|that|they|these|those|the latter|the former)\b", re.I)

__all__ = ["Claim", "SentenceResult", "VerificationResult", "verify_text", "catalogue_of"]


@dataclass
class SentenceResult:
    """One sentence with its claims and verdict."""

    text: str
    claims: list[Claim] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        if not self.claims:
            return "no_claim"
        return "supported" if all(c.supported for c in self.claims) else "unsupported"

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "verdict": self.verdict, "claims": [asdict(c) for c in self.claims]}


@dataclass
class VerificationResult:
    sentences: list[SentenceResult] = field(default_factory=list)
    extra: list[Claim] = field(default_factory=list)  # claims not tied to one sentence

    @property
    def claims(self) -> list[Claim]:
        return [c for s in self.sentences for c in s.claims] + self.extra

    @property
    def unsupported(self) -> list[Claim]:
        return [c for c in self.claims if not c.supported]

    @property
    def status(self) -> str:
        """``passed`` | ``failed`` | ``unverified`` (nothing checkable)."""
        if self.unsupported:
            return "failed"
        return "passed" if self.claims else "unverified"

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    def findings(self) -> list[str]:
        """Human-readable list of what is wrong (fed back to the reviser)."""
        return [f"{c.text!r}: {c.reason}" for c in self.unsupported]

    def supported_text(self) -> str:
        """The text with every unsupported sentence removed."""
        return " ".join(s.text for s in self.sentences if s.verdict != "unsupported")

    def to_dict(self) -> dict[str, Any]:
        return {"passed": self.passed, "status": self.status, "claims_checked": len(self.claims),
                "unsupported": [asdict(c) for c in self.unsupported],
                "claims": [asdict(c) for c in self.claims],
                "sentences": [s.to_dict() for s in self.sentences]}


def catalogue_of(facts: dict | FactCatalogue) -> FactCatalogue:
    return facts if isinstance(facts, FactCatalogue) else FactCatalogue.from_facts(facts)


def verify_sentence(sentence: str, cat: FactCatalogue, carried_region: str | None = None) -> SentenceResult:
    """Every claim of one (normalised) sentence."""
    result = SentenceResult(sentence)
    verdicts = check_sentence_numbers(sentence, cat, carried_region)
    for v in verdicts:
        unit = v.mention.unit_text or (v.mention.unit if not v.mention.unit.startswith("other:") else "")
        shown = v.mention.raw + (f" {unit}" if unit else "")
        result.claims.append(Claim("number", shown, v.supported, v.reason))
    for check in (check_sides, check_anatomy, check_subregions, check_methods,
                  check_sequences, check_confidence, check_clinical, check_names,
                  check_laterality, check_structure_rank, check_subregion_proportions,
                  check_method_results, check_reliability, check_compound_lobes,
                  check_sequence_relations, check_input_sequences, check_run_claims, check_focality,
                  check_size_analogies, check_structure_comparisons, check_case_claims, check_localisation,
                  check_signs, check_atlas_coverage, check_mirror):
        result.claims.extend(check(sentence, cat))
    result.claims.extend(check_threshold_relations(sentence, verdicts, cat))
    result.claims.extend(check_multiples(sentence, verdicts, cat))
    result.claims.extend(check_meta(sentence))
    return result


def verify_text(text: str, facts: dict | FactCatalogue) -> VerificationResult:
    """Check every sentence of ``text`` against the facts."""
    cat = catalogue_of(facts)
    result = VerificationResult()
    if _BIDI_RE.search(text):
        result.extra.append(Claim("hidden text", "bidirectional control character", False,
                                  "right-to-left overrides reorder what a reader sees"))
    clean = normalise(text)
    carried: str | None = None
    previous = ""
    for sentence in split_sentences(clean):
        pronoun_led = bool(_PRONOUN_RE.match(sentence.text))
        verdict = verify_sentence(sentence.text, cat, carried if pronoun_led else None)
        verdict.claims.extend(check_randomisation_followup(sentence.text, previous, cat))
        result.sentences.append(verdict)
        previous = sentence.text
        regions = SentenceContext(sentence.text).regions
        if regions:
            carried = regions[-1][1]
        elif not pronoun_led:
            carried = None
    return result


# --------------------------------------------------------------------------- per-kind helpers (evals)
def claims_of_kind(text: str, facts: dict | FactCatalogue, *kinds: str) -> list[Claim]:
    """Claims of the given kinds in ``text`` (all kinds when none given)."""
    result = verify_text(text, facts)
    return [c for c in result.claims if not kinds or c.kind in kinds]


def is_negated(text: str, start: int, end: int) -> bool:
    """Whether the span [start, end) of ``text`` is denied in its sentence."""
    from medbrain.agent.grounding.text import is_negated_at

    for s in split_sentences(text):
        if s.start <= start < s.start + len(s.text):
            return is_negated_at(s.text, start - s.start, end - s.start)
    return False


def number_supported(value: float, decimals: int, unit: str, facts: dict | FactCatalogue) -> bool:
    """Whether some fact of the unit's family rounds to ``value`` (unbound: for planting test values)."""
    from medbrain.agent.grounding.number_binding import value_matches
    from medbrain.agent.grounding.number_mentions import UNITS, NumberMention

    family, factor = UNITS.get((unit or "").lower(), ("", 1.0))
    n = NumberMention(str(value), float(value), decimals, 0, 0, family, factor)
    return any(value_matches(n, f) for f in catalogue_of(facts).numbers() if not family or f.unit == family)
