"""The quantity a number's words name: region, methods, sequence, structure, side, measure.

A number is only as checkable as the quantity it is bound to. :class:`SentenceContext`
finds the word mentions of one sentence by position and gives each number the
:class:`Context` around it (labels right after it, words before it in its clause, the
region carried over from the previous sentence, the measure word or count noun nearest
to it). Matching that context to a fact is :mod:`medbrain.agent.grounding.number_binding`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from medbrain.agent.grounding.lexicon import (
    ANATOMY_TERMS, CONCEPT_TERMS, METHOD_TERMS, REGION_TERMS, SEQUENCE_TERMS, WHOLE_TERMS,
)
from medbrain.agent.grounding.mentions import ANATOMY_RE, METHOD_RE, SEQUENCE_RE, term_pattern
from medbrain.agent.grounding.number_mentions import COUNT_NOUNS, NumberMention

_REGION_RE = term_pattern({**REGION_TERMS, **{w: "WT" for w in WHOLE_TERMS}})
_CONCEPT_RE = term_pattern(CONCEPT_TERMS)
_SIDE_RE = re.compile(r"\b(left|right)\b", re.I)


@dataclass
class Context:
    """The quantity the words around one number name."""

    region: str | None = None
    methods: set[str] = field(default_factory=set)
    sequence: str | None = None
    structure: str | None = None
    side: str | None = None
    concepts: set[str] = field(default_factory=set)


def _mentions(pattern: re.Pattern, text: str, table: dict) -> list[tuple[int, str]]:
    out = []
    for m in pattern.finditer(text):
        word = m.group(1)
        key = word.lower()
        if table is METHOD_TERMS and key == "slice" and word != "SLICE":
            continue
        if table is METHOD_TERMS and key == "ig" and word != "IG":
            continue
        if table is REGION_TERMS and key in ("et", "ed", "tc", "wt", "ncr") and word != word.upper():
            continue
        value = table.get(key, "WT") if table is REGION_TERMS else table[key]
        out.append((m.start(), value))
    return out


def last_in(items: list[tuple[int, str]], lo: int, hi: int) -> str | None:
    """The value of the last mention at a position in [lo, hi), or None."""
    inside = [v for p, v in items if lo <= p < hi]
    return inside[-1] if inside else None


def _first(items: list[tuple[int, str]], lo: int, hi: int) -> str | None:
    inside = [v for p, v in items if lo <= p < hi]
    return inside[0] if inside else None


_LABEL_GAP_RE = re.compile(r"^\s*(?:[\w']+\s+){0,3}?(?:for|on|in|across|at)\s+(?:the\s+)?(?:\w+\s+)?$", re.I)


def _label_after(s: str, end: int, items: list[tuple[int, str]]) -> str | None:
    """A label written right after a number ("0.926 for TC", "15% on the right")."""
    for pos, value in items:
        if end <= pos <= end + 30 and _LABEL_GAP_RE.match(s[end:pos]):
            return value
    return None


class SentenceContext:
    """Word mentions of one sentence by position, to give each number its context."""

    def __init__(self, sentence: str, carried_region: str | None = None):
        self.s = sentence
        self.regions = _mentions(_REGION_RE, sentence, REGION_TERMS)
        self.methods = _mentions(METHOD_RE, sentence, METHOD_TERMS)
        self.sequences = _mentions(SEQUENCE_RE, sentence, SEQUENCE_TERMS)
        self.anatomy = [(p, ANATOMY_TERMS[k][0] or k) for p, k in
                        ((m.start(), m.group(1).lower()) for m in ANATOMY_RE.finditer(sentence))]
        self.sides = [(m.start(), m.group(1).lower()) for m in _SIDE_RE.finditer(sentence)]
        self.concepts = [(m.start(), CONCEPT_TERMS[m.group(1).lower()]) for m in _CONCEPT_RE.finditer(sentence)
                         if m.group(1) != "SLICE"]
        self.carried_region = carried_region

    def context(self, n: NumberMention, prev_end: int, next_start: int, previous: Context | None,
                previous_unit: str = "") -> Context:
        s = self.s
        ctx = Context()
        clause_start = s.rfind(";", 0, n.start) + 1
        prev_end = max(prev_end, clause_start)
        after_end = next_start
        clause = re.search(r"[;,.()]|\band\b", s[n.end:next_start])
        if clause:
            after_end = n.end + clause.start()
        for attr, items in (("region", self.regions), ("sequence", self.sequences), ("structure", self.anatomy),
                            ("side", self.sides)):
            label = _label_after(s, n.end, items)
            value = label or last_in(items, prev_end, n.start) or _first(items, n.end, after_end)
            if value is None:
                value = last_in(items, clause_start, n.start)
            setattr(ctx, attr, value)
        if ctx.region is None:
            ctx.region = self.carried_region
        local_methods = {v for p, v in self.methods if prev_end <= p < n.start}
        ctx.methods = local_methods or {v for p, v in self.methods if p < n.start} or \
            {v for p, v in self.methods if n.end <= p < after_end}
        # the measure word nearest before the number, or the count noun right after it
        before = [(p, c) for p, c in self.concepts if prev_end <= p < n.start]
        after_noun = re.match(r"^\s*(?:[a-z-]+\s+)?(" + "|".join(COUNT_NOUNS) + r"|lesion|slice|voxel|structure)\b",
                              s[n.end:], re.I)
        if after_noun:
            ctx.concepts = {CONCEPT_TERMS.get(after_noun.group(1).lower(), after_noun.group(1).lower())}
        elif not before and (after := [(p, c) for p, c in self.concepts if n.end <= p <= n.end + 12]):
            ctx.concepts = {after[0][1]}
        elif before:
            last_pos, primary = before[-1]
            ctx.concepts = {primary} | {c for p, c in before[:-1] if p >= last_pos - 20 and c in MODIFIERS}
        elif previous is not None and previous.concepts and previous_unit == n.unit:
            ctx.concepts = set(previous.concepts)
        if n.unit == "fraction":
            ctx.concepts.discard("lesions")  # "(~7%) components": a share, never a lesion count
        if ctx.concepts and ctx.concepts <= {"mean", "max", "longest", "perpendicular", "deletion", "insertion"}:
            ctx.concepts = set()
        if n.unit in _CONCEPT_UNIT.values():  # the written unit outranks a loose word ("an area of 81 mL")
            ctx.concepts = {c for c in ctx.concepts if _CONCEPT_UNIT.get(c, n.unit) == n.unit}
        return ctx


_CONCEPT_UNIT = {"area": "mm2", "product": "mm2", "diameter": "mm", "longest": "mm", "perpendicular": "mm",
                 "extent": "mm", "volume": "mL"}
MODIFIERS = {"mean", "max", "longest", "perpendicular", "deletion", "insertion", "tta", "uncertain", "largest"}
