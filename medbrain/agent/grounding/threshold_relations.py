"""A value said to be above or below a threshold: the comparison must hold for the bound facts.

"The WT mean probability of 0.961 exceeds the 0.85 threshold" binds both numbers (the value
and the threshold, each checked on its own by :mod:`number_binding`); this module checks
the relation the words state between them, so that "0.961 falls below the 0.85 threshold"
fails although both numbers are true. A number said to be a threshold is recognised by the
fact it was bound to (a ``threshold`` concept); the comparison word is the one nearest
before the threshold in the same clause, and "does not exceed" reverses it. A threshold named
without its number ("0.927 fell below its fidelity floor") is the threshold fact of the value's own
quantity, and two numbers of one unit with an order word between them ("FLAIR (12.9%) ranked
behind T2 (9.1%)") must stand in that order.
"""

from __future__ import annotations

import re

from medbrain.agent.grounding.claim import Claim, make_claim
from medbrain.agent.grounding.number_facts import grounding_numbers
from medbrain.agent.grounding.number_match import NumberVerdict
from medbrain.agent.grounding.text import is_negated_at
from medbrain.facts import FactCatalogue

_ABOVE = r"exceed\w*|above|over|surpass\w*|greater than|higher than|more than|larger than|beyond|clear\w*|pass(?:es|ed)|tops?"
_BELOW = r"below|under|less than|lower than|smaller than|short of|beneath|miss(?:es|ed)"
_COMPARISON_RE = re.compile(rf"\b(?:(?P<above>{_ABOVE})|(?P<below>{_BELOW}))\b", re.I)
_CLAUSE_END_RE = re.compile(r"[;]|,\s*(?:but|while|whereas)\b|\b(?:but|whereas|while)\b", re.I)


# "fell below its fidelity floor", "clears the threshold": a threshold named by its noun, without its number
_NAMED_THRESHOLD_RE = re.compile(rf"^\s*(?:(?:is|was|were|are|fell|falls|sits|lies|stays|stayed|remains?|comes?|came)\s+)?"
                                 rf"(?:well\s+|far\s+|comfortably\s+|just\s+|clearly\s+)?(?P<word>{_ABOVE}|{_BELOW})\s+"
                                 r"(?:its|the|their|this|that)\s+(?:own\s+)?(?P<what>(?:[\w-]+\s+){0,2}?)"
                                 r"(?:floor|threshold|cut-?off|bar|limit|minimum)\b(?!\s*(?:of\s+)?\d)", re.I)
# "FLAIR (12.9%) ranked behind T2 (9.1%)": an order stated between two numbers of one kind
_ORDER_RE = re.compile(r"\b(?:(?P<above>ahead of|above|higher than|greater than|larger than|more than|exceed(?:s|ed|ing)?|"
                       r"outrank(?:s|ed)?|outweigh(?:s|ed)?)|(?P<below>behind|below|lower than|smaller than|less than|"
                       r"trail(?:s|ed|ing)?))\b", re.I)
_MULTIPLE_WORD_RE = re.compile(r"\b(?:times|twice|double|thrice|fold|half|third|quarter)\b", re.I)


def _named_thresholds(sentence: str, bound: list, numbers: list) -> list[Claim]:
    """A bound value said to be above or below a threshold its words name ("SLICE's adjusted R² of 0.927 fell
    below its fidelity floor"): the threshold of the value's own quantity, nearest in the facts."""
    claims = []
    thresholds = [f for f in numbers if f.is_number and "threshold" in f.concepts]
    for v, value in bound:
        if "threshold" in value.concepts:
            continue
        m = _NAMED_THRESHOLD_RE.match(sentence[v.mention.end:])
        if not m:
            continue
        core = value.concepts - {"mean", "max", "confidence", "fraction"}
        own = [t for t in thresholds if core & t.concepts and (not value.region or not t.region or t.region == value.region)]
        if not own:
            continue

        def shared(t) -> int:
            a, b = value.path.split("."), t.path.split(".")
            return next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))

        level = [t for t in own for w in re.findall(r"\b(high|low|moderate)\b", m.group("what"), re.I) if w.lower() in t.path]
        threshold = max(level or own, key=shared)  # "the high-confidence threshold": the one of that level
        start = v.mention.end + m.start("word")
        negated = is_negated_at(sentence, start, start + len(m.group("word")))
        above = bool(re.fullmatch(_ABOVE, m.group("word"), re.I)) != negated
        x, t = float(value.value), float(threshold.value)
        claims.append(make_claim("relation", f"{v.mention.raw} {m.group('word')} the {m.group(0).split()[-1]}",
                                 x > t if above else x < t,
                                 f"{value.display()} is {'above' if x > t else 'below' if x < t else 'at'} "
                                 f"the threshold {threshold.display()} ({threshold.path})"))
    return claims


def _number_order(sentence: str, bound: list) -> list[Claim]:
    """Two bound numbers of one unit with an order word between them ("FLAIR (12.9%) ranked behind T2 (9.1%)"):
    the written values must stand in that order."""
    claims = []
    for (a, fa), (b, fb) in zip(bound, bound[1:]):
        between = sentence[a.mention.end:b.mention.start]
        words = list(_ORDER_RE.finditer(between))
        if not words or a.mention.unit != b.mention.unit or b.mention.bound or a.mention.hi is not None \
                or b.mention.hi is not None or _CLAUSE_END_RE.search(between) or _MULTIPLE_WORD_RE.search(between) \
                or "threshold" in fa.concepts or "threshold" in fb.concepts or re.search(r"(?<![A-Za-z])\d", between):
            continue
        word = words[-1]
        start = a.mention.end + word.start()
        above = bool(word.group("above")) != is_negated_at(sentence, start, start + len(word.group(0)))
        x, y = a.mention.value * a.mention.factor, b.mention.value * b.mention.factor
        if x == y:
            continue
        claims.append(make_claim("relation", f"{a.mention.raw} {word.group(0)} {b.mention.raw}", x > y if above else x < y,
                                 f"{a.mention.raw} is {'above' if x > y else 'below'} {b.mention.raw}"))
    return claims


def check_threshold_relations(sentence: str, verdicts: list[NumberVerdict], cat: FactCatalogue) -> list[Claim]:
    """One claim per (value, threshold) pair the sentence compares, per value said to clear or miss a threshold
    named without its number, and per pair of numbers set in an order."""
    facts = {f.path: f for f in cat.facts}
    bound = [(v, facts[v.fact_path]) for v in verdicts
             if v.supported and v.fact_path and v.fact_path in facts and facts[v.fact_path].is_number]
    grounded = {f.path: f for f in grounding_numbers(cat)}  # with grounding's concepts ("fidelity", "threshold")
    refined = [(v, grounded.get(f.path, f)) for v, f in bound]
    claims = _named_thresholds(sentence, refined, list(grounded.values())) + _number_order(sentence, refined)
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
