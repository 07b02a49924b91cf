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
from medbrain.agent.grounding.text import conjunct_start

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
    counted: bool = False  # bound by the count noun right after it ("four lesions", "one slice")
    requirement: bool = False  # framed as a rule ("requires a mean probability above 0.85")


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


_PLUS_MINUS_GAP_RE = re.compile(r"^\s*(?:±|\+/-|\+-|plus or minus)\s*$", re.I)
_PLUS_MINUS_AFTER_RE = re.compile(r"^\s*(?:±|\+/-|\+-|plus or minus)\s*\d+(?:\.\d+)?\s*(?:%|mm|mL)?", re.I)
_LABEL_GAP_RE = re.compile(r"^\s*(?:[\w']+\s+){0,3}?(?:for|on|in|across|at|to)\s+(?:the\s+)?(?:\w+\s+)?$", re.I)


_TOUCH_BEFORE_RE = re.compile(r"^[\w/+-]+(?:\s+(?!(?:and|or|but|with|than|to)\b)[\w-]+)?\s*:?\s*(?:of\s+|was\s+|is\s+|=\s*)?$",
                              re.I)  # "WT 0.918", "TC: 0.9"
_TOUCH_AFTER_RE = re.compile(r"^\s*(?:of\s+)?$")
_PAREN_LABEL_GAP_RE = re.compile(r"^\s*\(\s*$")
_APPOSITION_RE = re.compile(r"^\s*\)")
_REQUIREMENT_RE = re.compile(r"\b(?:requires?|required (?:for|to)|requirements?|criterion|criteria)\b", re.I)
_NO_COMPOUND = {"share", "confidence", "volume", "slice", "lesions", "voxels", "structure"}


def _label_after(s: str, end: int, items: list[tuple[int, str]]) -> str | None:
    """A label written right after a number ("0.926 for TC", "15% on the right", "0.888 (TC)")."""
    for pos, value in items:
        if end <= pos <= end + 30 and (_LABEL_GAP_RE.match(s[end:pos]) or _PAREN_LABEL_GAP_RE.match(s[end:pos])):
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
        spans = [(m.start(), m.end(), CONCEPT_TERMS[m.group(1).lower()]) for m in _CONCEPT_RE.finditer(sentence)
                 if m.group(1) != "SLICE"]
        self.concepts = [(p, c) for p, _, c in spans]
        self._concept_ends = {p: e for p, e, _ in spans}
        self.carried_region = carried_region

    def context(self, n: NumberMention, prev_end: int, next_start: int, previous: Context | None,
                previous_unit: str = "") -> Context:
        s = self.s
        if previous is not None and _PLUS_MINUS_GAP_RE.match(s[prev_end:n.start]):
            # "0.673 ± 0.075 for TC": the spread of the number before it, about the same quantity
            return Context(previous.region, set(previous.methods), previous.sequence, previous.structure,
                           previous.side, set(previous.concepts) | {"sd"})
        ctx = Context()
        spread = _PLUS_MINUS_AFTER_RE.match(s[n.end:])
        label_end = n.end + spread.end() if spread else n.end  # a label after "± 0.075" is this number's
        clause_start = s.rfind(";", 0, n.start) + 1
        prev_end = max(prev_end, clause_start)
        after_end = next_start
        clause = re.search(r"[;,.()]|\band\b", s[n.end:next_start])
        if clause:
            after_end = n.end + clause.start()
        close = _APPOSITION_RE.match(s[n.end:next_start])
        if close and re.search(r"\(\s*(?:[~≈]|about|around|roughly|approximately|nearly)?\s*$", s[:n.start], re.I):
            # "all of the tumour (99.9%) is on the left": the words around the parentheses name it
            rest = s[n.end + close.end():next_start]
            stop = re.search(r"[;,.()]|\band\b", rest)
            after_end = n.end + close.end() + (stop.start() if stop else len(rest))
        # "30% of the tumour overlaps cortex, and about 15% overlaps the ventricles": the number's own conjunct first
        own_start = conjunct_start(s, n.start, prev_end)
        for attr, items in (("region", self.regions), ("sequence", self.sequences), ("structure", self.anatomy),
                            ("side", self.sides)):
            label = _label_after(s, label_end, items)
            # "WT 0.918", "13.24 mL enhancing tissue": a mention right next to the number names it
            touching_before = [v for p, v in items if own_start <= p < n.start and _TOUCH_BEFORE_RE.match(s[p:n.start])]
            touching_after = [v for p, v in items if n.end <= p <= n.end + 6 and _TOUCH_AFTER_RE.match(s[n.end:p])]
            comma = s.rfind(",", prev_end, n.start)
            after_comma = _first(items, n.end, after_end) if comma >= 0 and last_in(items, comma, n.start) is None else None
            value = label or (touching_before[-1] if touching_before else None) \
                or (touching_after[0] if touching_after and n.unit else None) \
                or after_comma or last_in(items, own_start, n.start) or _first(items, n.end, after_end) \
                or last_in(items, prev_end, n.start)
            if value is None and not (attr in ("structure", "side") and "," in s[clause_start:n.start]):
                value = last_in(items, clause_start, n.start)
            setattr(ctx, attr, value)
        if ctx.region is None:
            ctx.region = self.carried_region
        if ctx.region is None and len({r for _, r in self.regions}) == 1:
            ctx.region = self.regions[0][1]  # "At just under a tenth of a litre, the whole tumour is sizeable"
        local_methods = {v for p, v in self.methods if prev_end <= p < n.start}
        method_label = _label_after(s, label_end, self.methods)
        ctx.methods = ({method_label} if method_label else set()) or local_methods or \
            {v for p, v in self.methods if p < n.start} or {v for p, v in self.methods if n.end <= p < after_end}
        if not ctx.methods and ctx.sequence and re.search(r"\battributions?\b", s, re.I):
            ctx.methods = {"integrated_gradients"}  # "by signed attribution, T1 contributes 53%": IG's sequence shares
        # the measure word nearest before the number, or the count noun right after it
        closed = [(a.start(), a.end()) for a in re.finditer(r"\([^()]*\)", s[:n.start])]
        before = [(p, c) for p, c in self.concepts if prev_end <= p < n.start and not any(a < p < b for a, b in closed)]
        after_noun = re.match(r"^\s*(?:(?!(?:of|on|in|at|for|per|across|over|from|to)\b)[a-z-]+\s+)?(" + "|".join(COUNT_NOUNS) + r"|lesion|slice|voxel|structure|component)\b",
                              s[n.end:], re.I)
        dimension = previous is not None and previous.concepts and re.match(
            r"^\s*(?:mm|cm)?\s*(?:x|×|by)\s*$", s[prev_end:n.start], re.I)
        right_after = [(p, c) for p, c in self.concepts if n.end <= p <= n.end + 2]
        if before and right_after and re.search(r",|\band\b|\bwith\b", s[self._concept_ends[before[-1][0]]:n.start]):
            before = []  # "test-time augmentation and a 0.5 probability threshold": the words after it name it
        if dimension:  # "73.4 x 55.2 mm": the second number is the same kind of measure as the first
            ctx.concepts = set(previous.concepts)
        elif after_noun:
            noun = after_noun.group(1).lower()
            ctx.concepts = {"slice_count" if noun in ("slice", "slices") else CONCEPT_TERMS.get(noun, noun)}
            ctx.counted = not n.unit
        elif not before and (after := [(p, c) for p, c in self.concepts if n.end <= p <= min(n.end + 12, after_end)]):
            ctx.concepts = {after[0][1]}
            end = self._concept_ends[after[0][0]]
            for p, c in self.concepts:  # "a 0.5 probability threshold": the compound after it
                if p > after[0][0] and re.fullmatch(r"[\s-]*", s[end:p]) and c not in _NO_COMPOUND:
                    ctx.concepts.add(c)
                    end = self._concept_ends[p]
        elif before:
            last_pos, primary = before[-1]
            ctx.concepts = {primary} | {c for p, c in before[:-1] if p >= last_pos - 20 and c in MODIFIERS
                                        and "," not in s[p:last_pos]}
            chain = last_pos
            for p, c in reversed(before[:-1]):  # "probability threshold", "TTA Dice": a compound names one quantity
                if re.fullmatch(r"[\s-]*", s[self._concept_ends[p]:chain]) and c not in _NO_COMPOUND:
                    ctx.concepts.add(c)
                    chain = p
                else:
                    break
        elif previous is not None and previous.concepts and previous_unit == n.unit:
            ctx.concepts = set(previous.concepts)
        if _REQUIREMENT_RE.search(s[clause_start:n.start]):
            ctx.concepts.add("threshold")  # "high confidence requires a mean probability of 0.85": a rule's threshold
            ctx.requirement = True
        if ctx.concepts & {"spearman", "iou"}:
            ctx.concepts.discard("superpixels")  # "superpixel Spearman": the resolution it was computed at
        if n.unit == "fraction":
            ctx.concepts.discard("lesions")  # "(~7%) components": a share, never a lesion count
        if ctx.concepts and ctx.concepts <= {"mean", "max", "longest", "perpendicular", "deletion", "insertion"}:
            ctx.concepts = set()
        if n.unit in _CONCEPT_UNIT.values():  # the written unit outranks a loose word ("an area of 81 mL")
            ctx.concepts = {c for c in ctx.concepts if _CONCEPT_UNIT.get(c, n.unit) == n.unit}
        return ctx


_CONCEPT_UNIT = {"area": "mm2", "product": "mm2", "diameter": "mm", "longest": "mm", "perpendicular": "mm",
                 "extent": "mm", "volume": "mL", "slice": "slice", "lesions": "count", "voxels": "count",
                 "grid": "count"}
MODIFIERS = {"mean", "max", "longest", "perpendicular", "deletion", "insertion", "tta", "uncertain", "largest", "rano"}
