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
from medbrain.agent.grounding.text import CONJUNCT_RE, conjunct_start

_REGION_RE = term_pattern({**REGION_TERMS, **{w: "WT" for w in WHOLE_TERMS}})
_CONCEPT_RE = term_pattern(CONCEPT_TERMS)
_HYPHEN_CONCEPT_RE = re.compile(r"(?<=\w-)(" + "|".join(re.escape(k) for k in sorted(CONCEPT_TERMS, key=len, reverse=True))
                                + r")(?![\w])", re.I)
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
    structure_bound: bool = False  # the structure is the number's own subject ("the parietal lobe, which holds 60%")
    inherited: bool = False  # its measure words are the previous number's ("deletion 0.35 and 0.16")


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


def _outside_definitions(s: str, items: list[tuple[int, str]], pos: int) -> list[tuple[int, str]]:
    """Mentions without those inside a closed parenthesis before ``pos`` that follows another mention:
    "the tumour core (necrotic core plus enhancing tumour) measures 40 mL" is the core's volume."""
    spans = [(a.start(), a.end()) for a in re.finditer(r"\([^()]*\)", s[:pos])]
    inside = [(p, v) for p, v in items if any(a < p < b for a, b in spans)]
    if not inside:
        return items
    kept = [(p, v) for p, v in items if (p, v) not in inside]
    return kept if any(p < min(a for a, _ in spans) for p, _ in kept) else items


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
_GAPPED_AFTER_RE = re.compile(r"^\s*(?:in\s+|of\s+)?the\s+$", re.I)  # "and about 17% the ventricles": a gapped verb
_PAREN_LABEL_GAP_RE = re.compile(r"^\s*\(\s*$")
_APPOSITION_RE = re.compile(r"^\s*\)")
_NUMBER_ASIDE_RE = re.compile(r"^[^;,.()]*?(?P<paren>\()\s*(?:about\s+|~\s*|≈\s*)?-?\d[\d.,]*\s*(?:%|mL|ml|mm²|mm2|mm|cm)?\s*\)",
                              re.I)
_REQUIREMENT_RE = re.compile(r"\b(?:requires?|required (?:for|to)|requirements?|criterion|criteria)\b", re.I)
_CRITERION_RE = re.compile(r"\b(?:removed|discarded|dropped|deleted|eliminated|filtered(?: out)?|relabell?ed|pruned|excluded|"
                           r"suppressed)\b", re.I)


def after_clause_end(s: str, pos: int) -> int:
    """Where the clause holding ``pos`` ends (the next ';', ',' or stop, else the end of ``s``)."""
    m = re.search(r"[;,]|\.(?!\d)", s[pos:])
    return pos + m.start() if m else len(s)


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
        ends = {e for _, e, _ in spans}
        # "mean-probability bar", "TTA-Dice": the second word of a hyphenated compound of measure words
        spans += [(m.start(), m.end(), CONCEPT_TERMS[m.group(1).lower()]) for m in _HYPHEN_CONCEPT_RE.finditer(sentence)
                  if m.start() - 1 in ends or sentence[m.start() - 2:m.start() - 1].isdigit()]  # "26-connectivity"
        spans.sort()
        self.concepts = [(p, c) for p, _, c in spans]
        self._concept_ends = {p: e for p, e, _ in spans}
        self.carried_region = carried_region

    def _structure_bound(self, n: NumberMention) -> bool:
        """Whether a structure names this number itself: after it, or before it with no comma between
        (a relative clause, "the parietal lobe, which contains 60.2%", still binds)."""
        if any(n.end <= p <= n.end + 40 for p, _ in self.anatomy):
            return True
        before = [p for p, _ in self.anatomy if p < n.start]
        if not before:
            return False
        gap = self.s[before[-1]:n.start]
        if any(before[-1] < p < n.start for p, _ in self.regions):
            return False  # "a left frontal lobe tumour of 81.79 mL": the structure qualifies the tumour named after it
        return "," not in gap or bool(re.search(r",\s*(?:which|that|where|whose)\b", gap, re.I))

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
        aside = _NUMBER_ASIDE_RE.match(s[n.end:])
        aside_end = None
        if clause and aside and aside.start("paren") == clause.start():
            aside_end = n.end + aside.end()
            # "two-thirds of the tumour (63.56 mL) lies within the right parietal lobe": a number in parentheses
            # is an aside; the words after it still name this number
            rest = s[n.end + aside.end():]
            stop = re.search(r"[;,.()]|\band\b", rest)
            after_end = n.end + aside.end() + (stop.start() if stop else len(rest))
        close = _APPOSITION_RE.match(s[n.end:next_start])
        if close and re.search(r"\(\s*(?:[~≈]|about|around|roughly|approximately|nearly)?\s*$", s[:n.start], re.I):
            # "all of the tumour (99.9%) is on the left": the words around the parentheses name it
            rest = s[n.end + close.end():next_start]
            stop = re.search(r"[;,.()]|\band\b", rest)
            after_end = n.end + close.end() + (stop.start() if stop else len(rest))
        # "30% of the tumour overlaps cortex, and about 15% overlaps the ventricles": the number's own conjunct first
        own_start = conjunct_start(s, n.start, prev_end)
        # a label named only before the previous number does not reach past a new conjunct or a newly named method
        # ("(… 71.7% for WT, TC and ET), in line with IG's signed attribution (48.9%)")
        earlier_methods = {v for p, v in self.methods if p < prev_end}
        new_methods = [p for p, v in self.methods if prev_end <= p < n.start and v not in earlier_methods] \
            if prev_end > clause_start else []
        fresh_subject = bool(CONJUNCT_RE.search(s, prev_end, n.start)) or bool(new_methods)
        label_lo = max(own_start, new_methods[0]) if new_methods else own_start
        for attr, items in (("region", self.regions), ("sequence", self.sequences), ("structure", self.anatomy),
                            ("side", self.sides)):
            items = _outside_definitions(s, items, n.start)
            label = _label_after(s, label_end, items)
            # "WT 0.918", "13.24 mL enhancing tissue": a mention right next to the number names it
            touching_before = [v for p, v in items if own_start <= p < n.start and _TOUCH_BEFORE_RE.match(s[p:n.start])]
            touching_after = [v for p, v in items if n.end <= p <= n.end + 9 and (_TOUCH_AFTER_RE.match(s[n.end:p])
                              or (attr == "structure" and _GAPPED_AFTER_RE.match(s[n.end:p])))]
            comma = s.rfind(",", prev_end, n.start)
            after_comma = _first(items, n.end, after_end) if comma >= 0 and last_in(items, comma, n.start) is None else None
            value = label or (touching_before[-1] if touching_before else None) \
                or (touching_after[0] if touching_after and n.unit else None) \
                or after_comma or last_in(items, label_lo, n.start) or _first(items, n.end, after_end) \
                or last_in(items, max(prev_end, label_lo), n.start)
            if value is None and not (attr in ("structure", "side") and "," in s[clause_start:n.start]) \
                    and not (attr == "region" and fresh_subject and prev_end > clause_start):
                value = last_in(items, clause_start, n.start)
            setattr(ctx, attr, value)
        ctx.structure_bound = ctx.structure is not None and (self._structure_bound(n) or (
            aside_end is not None and any(aside_end <= p < after_end for p, _ in self.anatomy)))
        if ctx.region is None:
            ctx.region = self.carried_region
        if ctx.region is None and len({r for _, r in self.regions}) == 1 \
                and not (fresh_subject and prev_end > clause_start and self.regions[0][0] < label_lo):
            ctx.region = self.regions[0][1]  # "At just under a tenth of a litre, the whole tumour is sizeable"
        local_methods = {v for p, v in self.methods if prev_end <= p < n.start}
        method_label = _label_after(s, label_end, self.methods)
        ctx.methods = ({method_label} if method_label else set()) or local_methods or \
            {v for p, v in self.methods if p < n.start} or {v for p, v in self.methods if n.end <= p < after_end}
        if not ctx.methods and ctx.sequence and re.search(r"\battributions?\b", s, re.I):
            ctx.methods = {"integrated_gradients"}  # "by signed attribution, T1 contributes 53%": IG's sequence shares
        if not ctx.methods and len({v for _, v in self.methods}) == 1:
            ctx.methods = {self.methods[0][1]}  # "Of 39 superpixels, SLICE retained 8": the one method the sentence names
        if not ctx.methods:
            ctx.methods = {v for k, v in _IMPLIED_METHODS.items() if re.search(rf"\b{k}\b", s, re.I)}
        # the measure word nearest before the number, or the count noun right after it
        closed = [(a.start(), a.end()) for a in re.finditer(r"\([^()]*\)", s[:n.start])]
        before = [(p, c) for p, c in self.concepts if prev_end <= p < n.start and not any(a < p < b for a, b in closed)]
        after_noun = _AFTER_NOUN_RE.match(s[n.end:]) or _LIST_NOUN_RE.match(s[n.end:])
        if after_noun and after_noun.group("noun") == "SLICE":
            after_noun = None  # "seeds 0 and 1, SLICE showed ...": the method, not a count of slices
        dimension = previous is not None and previous.concepts and re.match(
            r"^\s*(?:mm|cm)?\s*(?:x|×|by)\s*$", s[prev_end:n.start], re.I)
        if len(before) >= 2 and before[-1][1] in ("seeds", "slice") and _OVER_WHAT_RE.search(s[:before[-1][0]]):
            before = before[:-1]  # "the Jaccard between seeds was 0.89": what the measure is taken over, not the measure
        right_after = [(p, c) for p, c in self.concepts if n.end <= p <= n.end + 2]
        if before and right_after and re.search(r",|\band\b|\bwith\b|\b(?:in|within|inside|into)\s+(?:the|a|an)\s*$",
                                                s[self._concept_ends[before[-1][0]]:n.start]):
            # "test-time augmentation and a 0.5 probability threshold", "voxels in the 0.2–0.5 probability band":
            # the words after it name it
            before = []
        if dimension:  # "73.4 x 55.2 mm": the second number is the same kind of measure as the first
            ctx.concepts = set(previous.concepts)
        elif after_noun:
            noun = after_noun.group("noun").lower()
            ctx.concepts = {_COUNTED.get(noun) or CONCEPT_TERMS.get(noun, noun)}
            ctx.counted = not n.unit
            for word in re.findall(r"[\w-]+", after_noun.group("mods") or ""):
                # "742 tumour-core pixels", "3,223 brain pixels": a modifier names the region or a qualifier
                region = _region_word(word)
                if region:
                    ctx.region = region
                elif word.lower() in _COUNT_MODIFIERS:
                    ctx.concepts.add(_COUNT_MODIFIERS[word.lower()])
        elif not before and (after := [(p, c) for p, c in self.concepts if n.end <= p <= min(n.end + 12, after_end)]):
            ctx.concepts = {after[0][1]}
            end = self._concept_ends[after[0][0]]
            for p, c in self.concepts:  # "a 0.5 probability threshold": the compound after it
                if p > after[0][0] and re.fullmatch(r"[\s-]*", s[end:p]) and c not in _NO_COMPOUND:
                    ctx.concepts.add(c)
                    end = self._concept_ends[p]
        elif before:
            last_pos, primary = before[-1]
            chance = [(p, c) for p, c in before[:-1] if c == "chance"
                      and _OF_MEASURE_RE.fullmatch(s[self._concept_ends[p]:last_pos])]
            if chance:  # "the chance level for relevance mass accuracy is 0.2232": the chance level, of that measure
                last_pos, primary = chance[-1]
                before = [(p, c) for p, c in before if p <= last_pos]
            ctx.concepts = {primary} | {c for p, c in before[:-1] if p >= last_pos - 20 and c in MODIFIERS
                                        and "," not in s[p:last_pos]}
            chain = last_pos
            for p, c in reversed(before[:-1]):  # "probability threshold", "TTA Dice": a compound names one quantity
                if re.fullmatch(r"[\s-]*", s[self._concept_ends[p]:chain]) and c not in _NO_COMPOUND:
                    ctx.concepts.add(c)
                    chain = p
                else:
                    break
        elif previous is not None and previous.concepts == {"slice"} and n.unit in ("mm", "mm2", "mL") and (
                earlier := [(p, c) for p, c in self.concepts if clause_start <= p < prev_end and c != "slice"
                            and _CONCEPT_UNIT.get(c, n.unit) == n.unit]):
            ctx.concepts = {earlier[-1][1]}  # "the core's cross-sectional area on slice 87 is 1459 mm²": past the slice label
        elif previous is not None and previous.concepts and previous_unit == n.unit:
            ctx.concepts = set(previous.concepts)
            ctx.inherited = True
        if ctx.concepts and not ctx.counted and any(c == "threshold" and re.fullmatch(r"[\s-]*", s[n.end:p])
                                                    for p, c in right_after):
            ctx.concepts.add("threshold")  # "a TTA Dice above the 0.9 bar": the number is the bar itself
        if n.bound == "max" and ctx.concepts & {"voxels", "lesions"} and (
                _CRITERION_RE.search(s, n.end, after_clause_end(s, n.end)) or _CRITERION_RE.search(s, clause_start, n.start)):
            # "WT components smaller than 10,000 voxels were removed": the clean-up's size cut-off itself, exactly
            ctx.requirement = True
        if _REQUIREMENT_RE.search(s[clause_start:n.start]):
            ctx.concepts.add("threshold")  # "high confidence requires a mean probability of 0.85": a rule's threshold
            ctx.requirement = True
        if ctx.concepts & {"spearman", "iou"}:
            ctx.concepts.discard("superpixels")  # "superpixel Spearman": the resolution it was computed at
        if n.unit == "fraction":
            ctx.concepts.discard("lesions")  # "(~7%) components": a share, never a lesion count
        if ctx.concepts and ctx.concepts <= {"deletion", "insertion"}:
            ctx.concepts.add("auc")  # "deletion 0.1245, insertion 0.889": the curves' areas
        if ctx.concepts and ctx.concepts <= {"mean", "max", "longest", "perpendicular"}:
            ctx.concepts = set()
        if n.unit in _CONCEPT_UNIT.values():  # the written unit outranks a loose word ("an area of 81 mL")
            ctx.concepts = {c for c in ctx.concepts if _CONCEPT_UNIT.get(c, n.unit) == n.unit}
        return ctx


_NOUNS = "|".join(sorted((*COUNT_NOUNS, "lesion", "slice", "voxel", "structure", "component", "pixel"), key=len, reverse=True))
_NOT_MODIFIER = r"(?!(?:of|on|in|at|for|per|across|over|from|to|and|or|with|than|the|a|an|is|are|was|were|then)\b)"
# "four lesions", "742 tumour-core pixels", "221 WT uncertain-band voxels", "617-voxel": the count noun after the number
_AFTER_NOUN_RE = re.compile(rf"^(?:-|\s*)(?P<mods>(?:{_NOT_MODIFIER}[a-z-]+\s+){{0,2}}?)(?P<noun>{_NOUNS})\b", re.I)
# "16 and then 32 steps", "0, 1 and 2 seeds": a list closed by a count noun shares it
_LIST_NOUN_RE = re.compile(rf"^(?:\s*(?:,|,?\s*and(?:\s+then)?|,?\s*or|/)\s*\d+(?:[.,]\d+)*)+\s+(?P<mods>)(?P<noun>{_NOUNS})\b",
                           re.I)
_OF_MEASURE_RE = re.compile(r"\s*(?:level|value|rate)?\s*(?:for|of|on|in)\s+(?:the\s+)?(?:relevance\s+|attribution\s+)?", re.I)
_OVER_WHAT_RE = re.compile(r"\b(?:between|across|over|among)\s+(?:the\s+)?(?:two\s+|\d+\s+)?(?:[\w-]+\s+)?$", re.I)
_COUNTED = {"slice": "slice_count", "slices": "slice_count", "pixel": "pixels", "forward passes": "passes",
            "seeds": "seed_count", "flips": "variants"}
_COUNT_MODIFIERS = {"brain": "brain"}
# words that name one method although they are not its name: only SLICE fits a surrogate model
_IMPLIED_METHODS = {"surrogate": "slice"}


def _region_word(word: str) -> str | None:
    """The region a modifier word names ("tumour-core", "WT"); abbreviations only in capitals."""
    key = word.lower().replace("-", " ")
    if key in ("et", "ed", "tc", "wt", "ncr") and word != word.upper():
        return None
    return REGION_TERMS.get(key) or REGION_TERMS.get(word.lower())


_CONCEPT_UNIT = {"area": "mm2", "product": "mm2", "diameter": "mm", "longest": "mm", "perpendicular": "mm",
                 "extent": "mm", "volume": "mL", "slice": "slice", "lesions": "count", "voxels": "count",
                 "grid": "count"}
MODIFIERS = {"mean", "max", "longest", "perpendicular", "deletion", "insertion", "tta", "uncertain", "largest", "rano"}
