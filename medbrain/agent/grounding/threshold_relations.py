"""A value said to be above or below a threshold: the comparison must hold for the bound facts.

"The WT mean probability of 0.961 exceeds the 0.85 threshold" binds both numbers (the value
and the threshold, each checked on its own by :mod:`number_binding`); this module checks
the relation the words state between them, so that "0.961 falls below the 0.85 threshold"
fails although both numbers are true. A number said to be a threshold is recognised by the
fact it was bound to (a ``threshold`` concept); the comparison word is the one nearest
before the threshold in the same clause, and "does not exceed" reverses it.
"""

from __future__ import annotations

import re

from medbrain.agent.grounding.claim import Claim, make_claim
from medbrain.agent.grounding.number_match import NumberVerdict
from medbrain.agent.grounding.text import is_negated_at
from medbrain.facts import FactCatalogue

_ABOVE = r"exceed\w*|above|over|surpass\w*|greater than|higher than|more than|larger than|beyond|clear\w*|pass(?:es|ed)|tops?"
_BELOW = r"below|under|less than|lower than|smaller than|short of|beneath|miss(?:es|ed)"
_COMPARISON_RE = re.compile(rf"\b(?:(?P<above>{_ABOVE})|(?P<below>{_BELOW}))\b", re.I)
_CLAUSE_END_RE = re.compile(r"[;]|,\s*(?:but|while|whereas)\b|\b(?:but|whereas|while)\b", re.I)


def check_threshold_relations(sentence: str, verdicts: list[NumberVerdict], cat: FactCatalogue) -> list[Claim]:
    """One claim per (value, threshold) pair the sentence compares."""
    facts = {f.path: f for f in cat.facts}
    bound = [(v, facts[v.fact_path]) for v in verdicts
             if v.supported and v.fact_path and v.fact_path in facts and facts[v.fact_path].is_number]
    claims = []
    for i, (tv, threshold) in enumerate(bound):
        if "threshold" not in threshold.concepts:
            continue
        values = [(v, f) for v, f in bound[:i] if "threshold" not in f.concepts]
        if not values:
            continue
        value_verdict, value = values[-1]
        between = sentence[value_verdict.mention.end:tv.mention.start]
        if _CLAUSE_END_RE.search(between):
            continue
        words = list(_COMPARISON_RE.finditer(between))
        if not words:
            continue
        word = words[-1]
        start = value_verdict.mention.end + word.start()
        negated = is_negated_at(sentence, start, start + len(word.group(0)))
        above = bool(word.group("above")) != negated
        v, t = float(value.value), float(threshold.value)
        ok = v > t if above else v < t
        claims.append(make_claim("relation", f"{value_verdict.mention.raw} {word.group(0)} {tv.mention.raw}", ok,
                                 f"{value.display()} is {'above' if v > t else 'below' if v < t else 'at'} "
                                 f"the threshold {threshold.display()}"))
    return claims
