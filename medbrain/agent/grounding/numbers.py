"""Numbers in a sentence, each bound to the quantity its words name, checked against that fact.

A number is supported only when a fact of the named quantity (region, method, sequence,
structure, side, measure word and unit all consistent) rounds to it at the precision
written. A number with no recognisable quantity fails. Parsed forms: decimals, thousands
separators (62,291), negative values, scientific notation (6.2e4, 6.2 x 10^4), ranges
(40-50 mL, between 40 and 50 mL), dimensions (68.5 x 54.5 mm) and number words for counts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from medbrain.agent.grounding.lexicon import (
    ANATOMY_TERMS, CONCEPT_TERMS, METHOD_TERMS, PERCENT_OF_TUMOUR_RE, REGION_TERMS, SEQUENCE_TERMS, WHOLE_TERMS,
)
from medbrain.facts import Fact, FactCatalogue

_NUM = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
_SCI = rf"(?P<mant>{_NUM})\s*(?:[eE](?P<exp>[+-]?\d+)|\s*[x×*]\s*10\s*\^\s*(?P<exp2>[+-]?\d+))"
_UNITS: dict[str, tuple[str, float]] = {  # written unit -> (family, factor to the fact's unit)
    "ml": ("mL", 1.0), "millilitres": ("mL", 1.0), "milliliters": ("mL", 1.0), "cc": ("mL", 1.0),
    "cm³": ("mL", 1.0), "cm3": ("mL", 1.0), "cubic centimetres": ("mL", 1.0), "cubic centimeters": ("mL", 1.0),
    "l": ("mL", 1000.0), "litres": ("mL", 1000.0),
    "mm²": ("mm2", 1.0), "mm2": ("mm2", 1.0), "mm^2": ("mm2", 1.0), "square millimetres": ("mm2", 1.0),
    "square millimeters": ("mm2", 1.0), "cm²": ("mm2", 100.0), "cm2": ("mm2", 100.0), "cm^2": ("mm2", 100.0),
    "mm": ("mm", 1.0), "millimetres": ("mm", 1.0), "millimeters": ("mm", 1.0),
    "cm": ("mm", 10.0), "centimetres": ("mm", 10.0), "centimeters": ("mm", 10.0),
    "%": ("fraction", 0.01), "percent": ("fraction", 0.01), "per cent": ("fraction", 0.01),
    "s": ("s", 1.0), "sec": ("s", 1.0), "seconds": ("s", 1.0), "second": ("s", 1.0),
    "bits": ("bits", 1.0),
}
_UNIT_RE = re.compile(r"^\s*(" + "|".join(sorted((re.escape(u) for u in _UNITS), key=len, reverse=True)) + r")(?![\w²³])", re.I)
_OTHER_UNIT_RE = re.compile(
    r"^\s*(gy|cgy|mg|g|kg|µg|mcg|months?|years?|yrs?|weeks?|days?|hours?|hrs?|minutes?|mins?|fractions?|cycles?|"
    r"doses?|times|fold|x|mmhg|ms|hz|t|tesla|ml/min|mm/s|cm/s)\b", re.I)
NUMBER_WORDS = {"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
                "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
                "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "single": 1,
                "a single": 1, "thirty": 30, "forty": 40, "fifty": 50, "hundred": 100}
_COUNT_NOUNS = ("lesions", "voxels", "slices", "superpixels", "tokens", "layers", "heads", "steps", "samples",
                "structures", "components", "foci")
_NUMBER_RE = re.compile(
    rf"(?<![\w.\-/])(?P<neg>[-−])?(?:{_SCI}|(?P<num>{_NUM}))(?![\w]|\.\d)"
    rf"(?:\s*(?P<range>[-–]|to|and)\s*(?P<hi>{_NUM})(?![\w.]))?")
_LARGEST_RE = re.compile(r"\blargest (?:axial |cross[- ]sectional )?(?:cross[- ]section|slice|area|extent)\b", re.I)
_FRACTION_WORDS = {"half": 0.5, "a half": 0.5, "one half": 0.5, "a third": 1 / 3, "one third": 1 / 3, "two thirds": 2 / 3,
                   "two-thirds": 2 / 3, "a quarter": 0.25, "one quarter": 0.25, "three quarters": 0.75,
                   "three-quarters": 0.75, "a fifth": 0.2, "one fifth": 0.2, "a tenth": 0.1, "one tenth": 0.1}
_FRACTION_WORD_RE = re.compile(r"\b(" + "|".join(sorted((re.escape(k) for k in _FRACTION_WORDS), key=len, reverse=True))
                               + r")\s+(?=of\b)", re.I)
_LIST_GAP_RE = re.compile(r"^\s*(?:for|in|on)\s+(?:the\s+)?(?:WT|TC|ET|NCR|ED|whole[- ]tumou?r|tumou?r core|core|enhancing tumou?r|"
                          r"oedema|edema|necro\w*(?: core)?|left|right)\s*(?:,\s*(?:and\s+)?|\s+and\s+)$", re.I)
_BETWEEN_RE = re.compile(rf"\bbetween\s+$", re.I)
_DIM_SEP_RE = re.compile(r"^\s*(?:mm|cm)?\s*(?:x|×|by)\s*$", re.I)
_WORD_NUMBER_RE = re.compile(r"\b(" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True)) + r")\s+(?:\w+\s+)?("
                             + "|".join(_COUNT_NOUNS) + r"|lesion|slice|structure|component)\b", re.I)


def _term_regex(terms: dict[str, object] | tuple[str, ...]) -> re.Pattern:
    keys = sorted(terms, key=len, reverse=True)
    return re.compile(r"(?<![\w-])(" + "|".join(re.escape(k) for k in keys) + r")(?![\w])", re.I)


_REGION_RE = _term_regex({**REGION_TERMS, **{w: "WT" for w in WHOLE_TERMS}})
_METHOD_RE = _term_regex(METHOD_TERMS)
_SEQUENCE_RE = _term_regex(SEQUENCE_TERMS)
_ANATOMY_RE = _term_regex(ANATOMY_TERMS)
_CONCEPT_RE = _term_regex(CONCEPT_TERMS)
_SIDE_RE = re.compile(r"\b(left|right)\b", re.I)


@dataclass
class NumberMention:
    raw: str
    value: float
    decimals: int
    start: int
    end: int
    unit: str = ""  # family: mL | mm | mm2 | fraction | s | bits | other:<word> | ""
    factor: float = 1.0
    hi: float | None = None  # ranges: value..hi
    from_word: bool = False
    hedged: bool = False  # "about", "roughly", "~" before it
    bound: str = ""  # "min" ("more than 0.95": the value is a lower bound) | "max" ("fewer than 6%")


@dataclass
class Context:
    region: str | None = None
    methods: set[str] = field(default_factory=set)
    sequence: str | None = None
    structure: str | None = None
    side: str | None = None
    concepts: set[str] = field(default_factory=set)


def _to_float(text: str) -> float:
    return float(text.replace(",", ""))


def _decimals(text: str) -> int:
    return len(text.split(".")[1]) if "." in text else 0


def find_numbers(sentence: str) -> list[NumberMention]:
    """Every numeric mention with its unit; numbers glued to letters (T1, SRI24) are not numbers."""
    out: list[NumberMention] = []
    for m in _NUMBER_RE.finditer(sentence):
        sign = -1.0 if m.group("neg") and (m.start() == 0 or sentence[m.start() - 1] in " (") else 1.0
        if m.group("mant"):
            exp = int(m.group("exp") or m.group("exp2"))
            value = sign * _to_float(m.group("mant")) * 10 ** exp
            mention = NumberMention(m.group(0), value, max(_decimals(m.group("mant")) - exp, 0), m.start(), m.end())
        else:
            raw = m.group("num")
            mention = NumberMention(raw, sign * _to_float(raw), _decimals(raw), m.start(), m.end())
            hi = m.group("hi")
            if hi and (m.group("range") in ("-", "–", "to") or _BETWEEN_RE.search(sentence[:m.start()])):
                mention.hi = _to_float(hi)
                mention.decimals = max(mention.decimals, _decimals(hi))
            elif hi:  # "x and y" without "between": two numbers
                mention.end = m.start("num") + len(raw)
                second = NumberMention(hi, _to_float(hi), _decimals(hi), m.start("hi"), m.end("hi"))
                out.append(mention)
                mention = second
        tail = sentence[mention.end:]
        unit = _UNIT_RE.match(tail)
        if unit:
            mention.unit, mention.factor = _UNITS[unit.group(1).lower()]
            mention.end += unit.end()
        else:
            other = _OTHER_UNIT_RE.match(tail)
            if other and not (other.group(1).lower() == "x" and re.match(r"^\s*x\s*[\d(]", tail)):
                mention.unit = "other:" + other.group(1).lower()
        out.append(mention)
    for a, b in zip(out, out[1:]):
        if not b.unit and a.unit and not a.unit.startswith("other:") and _LIST_GAP_RE.match(sentence[a.end:b.start]):
            b.unit, b.factor = a.unit, a.factor
    for n in out:
        n.hedged = bool(_HEDGE_RE.search(sentence[max(0, n.start - 25):n.start]))
        bound = _BOUND_RE.search(sentence[max(0, n.start - 25):n.start])
        if bound:
            upper = bool(re.match(r"fewer|less|smaller|below|under|at most|up to", bound.group("dir"), re.I))
            n.bound = "max" if upper != bool(bound.group("not")) else "min"  # "not more than 80 mL": at most 80
    # dimensions "68.5 x 54.5 mm": the first number takes the unit of the second
    for a, b in zip(out, out[1:]):
        if not a.unit and b.unit and _DIM_SEP_RE.match(sentence[a.end:b.start]):
            a.unit, a.factor = b.unit, b.factor
    taken = [(n.start, n.end) for n in out]
    for m in _WORD_NUMBER_RE.finditer(sentence):
        if any(s <= m.start() < e for s, e in taken):
            continue
        word = m.group(1).lower()
        out.append(NumberMention(word, float(NUMBER_WORDS[word]), 0, m.start(), m.start() + len(m.group(1)),
                                 from_word=True))
    for m in _FRACTION_WORD_RE.finditer(sentence):
        if any(s <= m.start() < e for s, e in taken):
            continue
        out.append(NumberMention(m.group(1), _FRACTION_WORDS[m.group(1).lower()], 2, m.start(), m.start() + len(m.group(1)),
                                 unit="fraction", from_word=True, hedged=True))
    return sorted(out, key=lambda n: n.start)


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


def _last(items: list[tuple[int, str]], lo: int, hi: int) -> str | None:
    inside = [v for p, v in items if lo <= p < hi]
    return inside[-1] if inside else None


def _first(items: list[tuple[int, str]], lo: int, hi: int) -> str | None:
    inside = [v for p, v in items if lo <= p < hi]
    return inside[0] if inside else None


_LABEL_GAP_RE = re.compile(r"^\s*(?:[\w']+\s+){0,3}?(?:for|on|in|across|at)\s+(?:the\s+)?(?:\w+\s+)?$", re.I)
_BOUND_RE = re.compile(r"\b(?P<not>not |no )?(?P<dir>more than|greater than|larger than|bigger than|over|above|exceeds?|"
                       r"exceeding|at least|upwards of|fewer than|less than|smaller than|below|under|at most|up to)\s*$", re.I)
_EVERY_RE = re.compile(r"\b(?:in|for|across)\s+(?:every|each|all(?: three| four)?|any)(?: of the)?\s+(?:three\s+|four\s+)?"
                       r"(?:regions?|sub-?regions?|methods?)\b", re.I)
_HEDGE_RE = re.compile(r"\b(?:about|around|roughly|approximately|approx\.|nearly|almost|some|just (?:over|under)|"
                       r"close to|of the order of|on the order of|an estimated|circa|ca\.)\s*$|~\s*$|≈\s*$", re.I)
HEDGE_RELATIVE = 0.03  # "roughly 210 mL" for 213.74 mL: a hedged number may be off by 3 %


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
        self.methods = _mentions(_METHOD_RE, sentence, METHOD_TERMS)
        self.sequences = _mentions(_SEQUENCE_RE, sentence, SEQUENCE_TERMS)
        self.anatomy = [(p, ANATOMY_TERMS[k][0] or k) for p, k in
                        ((m.start(), m.group(1).lower()) for m in _ANATOMY_RE.finditer(sentence))]
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
            value = label or _last(items, prev_end, n.start) or _first(items, n.end, after_end)
            if value is None:
                value = _last(items, clause_start, n.start)
            setattr(ctx, attr, value)
        if ctx.region is None:
            ctx.region = self.carried_region
        local_methods = {v for p, v in self.methods if prev_end <= p < n.start}
        ctx.methods = local_methods or {v for p, v in self.methods if p < n.start} or \
            {v for p, v in self.methods if n.end <= p < after_end}
        # the measure word nearest before the number, or the count noun right after it
        before = [(p, c) for p, c in self.concepts if prev_end <= p < n.start]
        after_noun = re.match(r"^\s*(?:[a-z-]+\s+)?(" + "|".join(_COUNT_NOUNS) + r"|lesion|slice|voxel|structure)\b",
                              s[n.end:], re.I)
        if after_noun:
            ctx.concepts = {CONCEPT_TERMS.get(after_noun.group(1).lower(), after_noun.group(1).lower())}
        elif not before and (after := [(p, c) for p, c in self.concepts if n.end <= p <= n.end + 12]):
            ctx.concepts = {after[0][1]}
        elif before:
            last_pos, primary = before[-1]
            ctx.concepts = {primary} | {c for p, c in before[:-1] if p >= last_pos - 20 and c in _MODIFIERS}
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
_MODIFIERS = {"mean", "max", "longest", "perpendicular", "deletion", "insertion", "tta", "uncertain", "largest"}
_UNIT_COMPAT = {"mL": {"mL"}, "mm": {"mm"}, "mm2": {"mm2"}, "fraction": {"fraction"}, "s": {"s"}, "bits": {"bits"}}


def _value_matches(n: NumberMention, fact: Fact) -> bool:
    v = float(fact.value)
    written_scale = n.factor
    if n.unit == "" and fact.unit == "fraction" and abs(n.value) > 1.0:
        written_scale = 0.01  # "99.4 of the tumour" style: percentages written without the sign
    lo = n.value * written_scale
    tol = 0.5 * 10 ** (-n.decimals) * abs(written_scale) + 1e-9
    if n.hedged:
        tol = max(tol, HEDGE_RELATIVE * abs(v))
    if n.from_word and n.unit == "fraction":
        tol = max(tol, 0.05)  # "about half", "two thirds": coarse by nature
    if n.hi is not None:
        hi = n.hi * written_scale
        return lo - tol <= v <= hi + tol
    if n.bound == "min":
        return v >= lo - 1e-9
    if n.bound == "max":
        return v <= lo + 1e-9
    return abs(v - lo) <= tol


def _compatible(n: NumberMention, ctx: Context, fact: Fact, sentence_concepts: set[str]) -> bool:
    if not fact.is_number:
        return False
    if n.unit.startswith("other:"):
        return False
    if n.unit:
        percent_score = n.unit == "fraction" and fact.unit == "score" and bool(ctx.concepts & fact.concepts) \
            and 0.0 <= float(fact.value) <= 1.0
        if fact.unit not in _UNIT_COMPAT.get(n.unit, set()) and not percent_score:
            return False
    elif fact.unit in ("mL", "mm", "mm2", "s", "bits"):
        return False  # a volume or length written without its unit is not bound
    if ctx.concepts and not ctx.concepts <= (fact.concepts | _IMPLIED.get(fact.unit, set())):
        return False
    core = fact.concepts - _MODIFIERS - {"confidence", "fraction"}
    if not fact.headline and not (core and core <= (ctx.concepts | sentence_concepts | _IMPLIED.get(fact.unit, set()))):
        return False
    if fact.methods and not ctx.methods:
        return False  # a method's result needs the method named
    if fact.region and ctx.region and ctx.region != fact.region:
        return False
    if ctx.methods and fact.methods and not (ctx.methods & fact.methods):
        return False
    if len(fact.methods) == 2 and not fact.methods <= ctx.methods:
        return False
    if fact.sequence and ctx.sequence != fact.sequence:
        return False
    if fact.structure and (not ctx.structure or ctx.structure not in fact.structure):
        return False
    if fact.side and ctx.side != fact.side:
        return False
    return True


_IMPLIED = {"mL": {"volume"}, "mm2": {"area", "product"}, "mm": {"diameter", "extent"}, "slice": {"slice"},
            "fraction": {"share", "fraction", "volume", "structure", "voxels"}, "count": {"count", "voxels", "lesions"}}


_OF_CONTAINER_RE = re.compile(r"^\s*of\s+(?:the\s+)?(?:predicted\s+)?(tumou?r core|core|whole[- ]tumou?r|tumou?r|TC|WT)\b", re.I)


def _subregion_ratio(sentence: str, n: NumberMention, part: str | None, ctx: Context,
                     cat: FactCatalogue) -> "NumberVerdict | None":
    """ "ET is about 40% of the core": a share of one sub-region in another, computed from the volumes."""
    m = _OF_CONTAINER_RE.match(sentence[n.end:])
    if m and part is None:  # "a third of the whole tumour (about 35%) is enhancing tumour"
        later = re.match(r"^[^.;]{0,30}?\b(?:is|are|consists? of|comprises?)\s+(?:the\s+)?(?:peritumou?ral\s+)?(\w+(?:\s\w+)?)",
                         sentence[n.end + m.end():], re.I)
        words = later.group(1).lower() if later else ""
        part = next((v for k, v in REGION_TERMS.items() if len(k) > 3 and words.startswith(k)), None)
    if n.unit != "fraction" or not m or part not in ("ET", "NCR", "ED", "TC") or ctx.structure or ctx.side:
        return None
    ctx = Context(region=part)
    word = m.group(1).lower()
    container = "TC" if word in ("tumour core", "tumor core", "core", "tc") else "WT"
    if ctx.region == container:
        return None
    volumes = cat.get("measurements", "volumes_ml", default={}) or {}
    total = float(volumes.get(container) or 0.0)
    if not total:
        return NumberVerdict(n, False, f"{n.raw}%: the {container} volume is 0 mL")
    share = float(volumes.get(ctx.region) or 0.0) / total
    fact = Fact(path=f"measurements.volumes_ml.{ctx.region}/{container}", value=share, quantity="share",
                unit="fraction", precision=3, region=ctx.region)
    ok = _value_matches(n, fact)
    return NumberVerdict(n, ok, "" if ok else f"{n.raw}%: {ctx.region} is {round(100 * share, 1)}% of {container} "
                                              "(from the volumes)", fact.path if ok else None)


def _every_region(n: NumberMention, ctx: Context, numbers: list[Fact], sentence_concepts: set[str]) -> "NumberVerdict":
    """ "above 0.97 in every region": the bound must hold for the quantity of each region."""
    free = Context(None, ctx.methods, ctx.sequence, ctx.structure, ctx.side, ctx.concepts)
    facts = [f for f in numbers if f.region and _compatible(n, free, f, sentence_concepts)
             and (f.path.startswith("confidence.regions") or not f.path.startswith("confidence"))]
    by_region: dict[str, Fact] = {}
    for f in sorted(facts, key=lambda f: not f.path.startswith("confidence.regions")):
        by_region.setdefault(f.region, f)
    if not by_region or not ctx.concepts:
        return NumberVerdict(n, False, f"{n.raw}: no per-region tool result of this quantity")
    failing = [f for f in by_region.values() if not _value_matches(n, f)]
    shown = ", ".join(f"{f.region} {f.display()}" for f in by_region.values())
    return NumberVerdict(n, not failing, "" if not failing else f"{n.raw}: not in every region ({shown})",
                         ",".join(f.path for f in by_region.values()))


@dataclass
class NumberVerdict:
    mention: NumberMention
    supported: bool
    reason: str
    fact_path: str | None = None


def check_sentence_numbers(sentence: str, catalogue: FactCatalogue, carried_region: str | None = None) -> list[NumberVerdict]:
    """Bind and check every number of one sentence."""
    mentions = find_numbers(sentence)
    if not mentions:
        return []
    sc = SentenceContext(sentence, carried_region)
    sentence_concepts = {c for _, c in sc.concepts}
    verdicts: list[NumberVerdict] = []
    previous: Context | None = None
    numbers = catalogue.numbers()
    for i, n in enumerate(mentions):
        prev_end = mentions[i - 1].end if i else 0
        next_start = mentions[i + 1].start if i + 1 < len(mentions) else len(sentence)
        ctx = sc.context(n, prev_end, next_start, previous, mentions[i - 1].unit if i else "")
        if n.unit == "fraction" and PERCENT_OF_TUMOUR_RE.match(sentence[n.end:]):
            ctx.concepts.discard("volume")
        previous = ctx
        ratio = _subregion_ratio(sentence, n, _last(sc.regions, 0, n.start), ctx, catalogue)
        if ratio is not None:
            verdicts.append(ratio)
            continue
        if n.bound and _EVERY_RE.search(sentence[n.end:]):
            verdicts.append(_every_region(n, ctx, numbers, sentence_concepts))
            continue
        candidates = [f for f in numbers if _compatible(n, ctx, f, sentence_concepts)]
        if _LARGEST_RE.search(sentence) and any("largest" in f.concepts for f in candidates):
            candidates = [f for f in candidates if "largest" in f.concepts]  # "the largest cross-section is on slice 93"
        hit = next((f for f in candidates if _value_matches(n, f)), None)
        shown = n.raw + (f" {n.unit}" if n.unit and not n.unit.startswith("other:") else "")
        if hit:
            verdicts.append(NumberVerdict(n, True, "", hit.path))
        elif n.unit.startswith("other:"):
            verdicts.append(NumberVerdict(n, False, f"{shown} {n.unit[6:]}: no tool result has this unit"))
        elif candidates:
            best = candidates[0]
            verdicts.append(NumberVerdict(n, False, f"{shown}: the tools give {best.display()} ({best.path})"))
        else:
            what = ", ".join(filter(None, [ctx.region, *sorted(ctx.methods), ctx.sequence, ctx.structure, ctx.side,
                                           *sorted(ctx.concepts)]))
            verdicts.append(NumberVerdict(n, False, f"{shown}: no tool result of this quantity"
                                          + (f" ({what})" if what else " (no quantity named)")))
    return verdicts
