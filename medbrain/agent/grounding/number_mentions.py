"""Numbers as written in a sentence: value, precision, unit, range, hedge and bound.

:func:`find_numbers` is the extraction half of number grounding, kept apart from the
binding half (:mod:`medbrain.agent.grounding.number_binding`) so that how a number is
read never depends on the facts. Parsed forms: decimals, thousands separators (62,291),
negative values, scientific notation (6.2e4, 6.2 x 10^4), ranges (40-50 mL, between 40
and 50 mL), dimensions (68.5 x 54.5 mm), number words for counts and fraction words
("about half of"); units map to the fact units they are compared in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NUM = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
_SCI = rf"(?P<mant>{_NUM})\s*(?:[eE](?P<exp>[+-]?\d+)|\s*[x×*]\s*10\s*\^\s*(?P<exp2>[+-]?\d+))"
UNITS: dict[str, tuple[str, float]] = {  # written unit -> (family, factor to the fact's unit)
    "ml": ("mL", 1.0), "millilitres": ("mL", 1.0), "milliliters": ("mL", 1.0), "cc": ("mL", 1.0),
    "cm³": ("mL", 1.0), "cm3": ("mL", 1.0), "cubic centimetres": ("mL", 1.0), "cubic centimeters": ("mL", 1.0),
    "l": ("mL", 1000.0), "litres": ("mL", 1000.0),
    "mm³": ("mL", 0.001), "mm3": ("mL", 0.001), "mm^3": ("mL", 0.001), "cubic millimetres": ("mL", 0.001),
    "cubic millimeters": ("mL", 0.001),
    "mm²": ("mm2", 1.0), "mm2": ("mm2", 1.0), "mm^2": ("mm2", 1.0), "square millimetres": ("mm2", 1.0),
    "square millimeters": ("mm2", 1.0), "cm²": ("mm2", 100.0), "cm2": ("mm2", 100.0), "cm^2": ("mm2", 100.0),
    "mm": ("mm", 1.0), "millimetres": ("mm", 1.0), "millimeters": ("mm", 1.0),
    "cm": ("mm", 10.0), "centimetres": ("mm", 10.0), "centimeters": ("mm", 10.0),
    "%": ("fraction", 0.01), "percent": ("fraction", 0.01), "per cent": ("fraction", 0.01),
    "s": ("s", 1.0), "sec": ("s", 1.0), "seconds": ("s", 1.0), "second": ("s", 1.0),
    "bits": ("bits", 1.0),
}
_UNIT_RE = re.compile(r"^\s*(" + "|".join(sorted((re.escape(u) for u in UNITS), key=len, reverse=True)) + r")(?![\w²³])", re.I)
_OTHER_UNIT_RE = re.compile(
    r"^\s*(gy|cgy|mg|g|kg|µg|mcg|months?|years?|yrs?|weeks?|days?|hours?|hrs?|minutes?|mins?|fractions?|cycles?|"
    r"doses?|times|fold|x|mmhg|ms|hz|t|tesla|ml/min|mm/s|cm/s)\b", re.I)
NUMBER_WORDS = {"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
                "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
                "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "single": 1,
                "a single": 1, "thirty": 30, "forty": 40, "fifty": 50, "hundred": 100}
COUNT_NOUNS = ("lesions", "voxels", "slices", "superpixels", "tokens", "layers", "heads", "steps", "samples",
                "structures", "components", "foci", "specks", "satellites", "seeds", "runs", "cells", "variants",
                "pixels", "draws", "forward passes", "flips")
_NUMBER_RE = re.compile(
    rf"(?<![\w.\-])(?<![^\d\s]/)(?P<neg>[-−])?(?:{_SCI}|(?P<num>{_NUM}))(?![\w]|\.\d)"
    rf"(?:\s*(?P<range>[-–]|to|and)\s*(?P<hi>{_NUM})(?![\w]|\.\d))?")
_FRACTION_WORDS = {"half": 0.5, "a half": 0.5, "one half": 0.5, "a third": 1 / 3, "one third": 1 / 3, "two thirds": 2 / 3,
                   "two-thirds": 2 / 3, "a quarter": 0.25, "one quarter": 0.25, "three quarters": 0.75,
                   "three-quarters": 0.75, "a fifth": 0.2, "one fifth": 0.2, "a tenth": 0.1, "one tenth": 0.1}
_FRACTION_WORD_RE = re.compile(r"\b(" + "|".join(sorted((re.escape(k) for k in _FRACTION_WORDS), key=len, reverse=True))
                               + r")\s+(?=of\b)", re.I)
_LIST_GAP_RE = re.compile(r"^\s*(?:for|in|on)\s+(?:the\s+)?(?:WT|TC|ET|NCR|ED|whole[- ]tumou?r|tumou?r core|core|enhancing tumou?r|"
                          r"oedema|edema|necro\w*(?: core)?|left|right)\s*(?:,\s*(?:and\s+)?|\s+and\s+)$", re.I)
# "BraTS 2018", "MICCAI 2021", "et al. (2021)", "et al., 2021": a year that is part of a name or citation
_YEAR_NAME_RE = re.compile(r"(?:\b(?:brats|miccai|isbi|cvpr|iccv|neurips|nips|eccv|lgg|tcia)\s*|\bet al\.?,?\s*\(?)$", re.I)
_NEAR_OR_BOUND_RE = re.compile(r"\b(?:close to|near|around|about|at) or (?:above|over|higher than|more than)\s*$", re.I)
# "four times the core", "1.6 times the longest core diameter", "48-fold": a multiple, checked as a ratio
MULTIPLE_RE = re.compile(
    r"(?P<bound>more than |over |at least |less than |under |almost |nearly |roughly |about |around |approximately |some )?"
    r"(?:(?P<num>\d+(?:\.\d+)?)\s*(?:times|-fold|fold|x(?=\s))|(?P<word>twice|double|thrice|two times|three times|four times|"
    r"five times|six times|ten times)|"
    # "about half the size of the core", "a third as large as": a fraction said as a multiple
    r"(?P<part>half|a half|one half|a third|one third|two thirds|two-thirds|a quarter|one quarter|three quarters|"
    r"three-quarters|a fifth|one fifth|a tenth|one tenth)(?=\s+(?:the\s+(?:size|volume|extent)\s+of|as\s+(?:large|big|much|great)\s+as)\b))"
    r"(?=\s+(?:as (?:much|large|big|great|many)|the(?!\s+same\b)|that|larger|bigger|greater|more|higher|its|what|those|chance\b|"
    r"[A-Z][\w-]*'s?\b))", re.I)
_LIST_SEP_RE = re.compile(r"^\s*(?:,|,?\s*and|/|vs\.?|versus)\s*$", re.I)
_OF_LITRE_RE = re.compile(r"^of\s+(?:a|one)\s+(?:litre|liter)\b", re.I)
_BETWEEN_RE = re.compile(r"\bbetween\s+$", re.I)
_DIM_SEP_RE = re.compile(r"^\s*(?:mm|cm)?\s*(?:x|×|by|±|\+/-|of)\s*$", re.I)  # "68 x 33.5 mm", "74.5 ± 2 mL", "26 of 129 mL"
_WORD_NUMBER_RE = re.compile(r"\b(" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True)) + r")\s+(?:(\w+)\s+)?(?:[\w]+-[\w]+\s+)?("
                             + "|".join(COUNT_NOUNS) + r"|lesion|slice|structure|component)\b", re.I)
# "the three other components": a count of the lesions besides the main one
_OTHERS_RE = re.compile(r"^\s*(?:other|remaining|further|additional)\s+(?:[\w-]+\s+)?(?:lesions?|components?|foci|focus)\b", re.I)
# "one dominant lesion": one member of the set, not its size
_MEMBER_WORDS = {"dominant", "main", "largest", "large", "big", "principal", "major", "primary", "biggest"}


_BOUND_RE = re.compile(r"\b(?P<not>not |no )?(?P<dir>more than|greater than|larger than|bigger than|over|above|exceed(?:s|ed|ing)?|"
                       r"surpass(?:es|ed|ing)?|at least|upwards of|fewer than|less than|smaller than|below|under|at most|up to)\s*$", re.I)
_EVERY_RE = re.compile(r"\b(?:in|for|across)\s+(?:every|each|all(?: three| four)?|any)(?: of the)?\s+(?:three\s+|four\s+)?"
                       r"(?:regions?|sub-?regions?|methods?)\b", re.I)
_HEDGE_RE = re.compile(r"\b(?:about|around|roughly|approximately|approx\.|nearly|almost|some|just (?:over|under)|"
                       r"close to|of the order of|on the order of|an estimated|circa|ca\.)\s*$|~\s*$|≈\s*$", re.I)


@dataclass
class NumberMention:
    """One number as written: value, precision, position and unit family."""

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
    others: bool = False  # "three other lesions": the count besides the largest one
    unit_text: str = ""  # the unit as written ("cm"), for messages
    near_bound: bool = False  # "close to or above 0.9": at least about 0.9


def _to_float(text: str) -> float:
    return float(text.replace(",", ""))


def _decimals(text: str) -> int:
    return len(text.split(".")[1]) if "." in text else 0


# "averaged over 10 draws", "computed over two seeds": "over" after a verb of aggregating, before what is
# aggregated over, is a preposition, not a bound ("measured over 100 mL" stays a bound)
_OVER_PREPOSITION_RE = re.compile(r"\b(?:averaged|computed|calculated|evaluated|estimated|assessed|pooled|summed|aggregated|"
                                  r"repeated|iterated|sampled|tested|performed|run|ran|done|taken|spread|distributed)\s+$", re.I)
_OVER_WHAT_RE = re.compile(r"^\s*(?:[a-z-]+\s+)?(?:draws|seeds|runs|slices|steps|samples|repeats|repetitions|iterations|trials|"
                           r"passes|folds|cases|variants|flips|maps|pairs)\b", re.I)
# "0.98 or higher", "5% or less": a bound written after the number
_BOUND_AFTER_RE = re.compile(r"^\s*(?:%|percent|mL|mm)?\s*(?:or|and)\s+(?P<dir>higher|more|above|greater|better|over|"
                             r"lower|less|below|fewer|under|smaller|worse)\b", re.I)


def _bound_before(sentence: str, start: int) -> str:
    """ "more than 0.95" -> ``min``, "fewer than 6%" -> ``max``, "not more than 80 mL" -> ``max``; else ""."""
    bound = _BOUND_RE.search(sentence[max(0, start - 25):start])
    if not bound:
        return ""
    if bound.group("dir").lower() == "over" and not bound.group("not") \
            and _OVER_PREPOSITION_RE.search(sentence[:max(0, start - 25) + bound.start("dir")]) \
            and _OVER_WHAT_RE.match(re.sub(r"^[\d,.]+|^[a-z]+", "", sentence[start:], count=1, flags=re.I)):
        return ""
    upper = bool(re.match(r"fewer|less|smaller|below|under|at most|up to", bound.group("dir"), re.I))
    return "max" if upper != bool(bound.group("not")) else "min"


_TUPLE_RE = re.compile(r"\(\s*-?\d[^()]*\)")
_TUPLE_UNIT_RE = re.compile(r"^\s*(mm|cm|ml|mL)\b", re.I)


def _tuple_units(sentence: str, out: list[NumberMention]) -> None:
    """ "(-87.3, 120.4, 98.1) mm": the unit after a parenthesised tuple is each member's."""
    for t in _TUPLE_RE.finditer(sentence):
        unit = _TUPLE_UNIT_RE.match(sentence[t.end():])
        if not unit:
            continue
        family, factor = UNITS[unit.group(1).lower()]
        for n in out:
            if t.start() < n.start < t.end() and not n.unit:
                n.unit, n.factor, n.unit_text = family, factor, unit.group(1)


def find_numbers(sentence: str) -> list[NumberMention]:
    """Every numeric mention with its unit; numbers glued to letters (T1, SRI24) are not numbers."""
    out: list[NumberMention] = []
    multiples = [(m.start("num"), m.end("num")) for m in MULTIPLE_RE.finditer(sentence) if m.group("num")]
    for m in _NUMBER_RE.finditer(sentence):
        if any(a <= m.start() < b for a, b in multiples):
            continue  # a multiple is a ratio claim, not a quantity
        if _YEAR_NAME_RE.search(sentence[:m.start()]) and re.fullmatch(r"(?:19|20)\d\d", m.group(0)):
            continue
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
            mention.unit, mention.factor = UNITS[unit.group(1).lower()]
            mention.unit_text = {"ml": "mL", "l": "L"}.get(unit.group(1).lower(), unit.group(1))
            mention.end += unit.end()
        else:
            other = _OTHER_UNIT_RE.match(tail)
            if other and not (other.group(1).lower() == "x" and re.match(r"^\s*x\s*[\d(]", tail)):
                mention.unit = "other:" + other.group(1).lower()
        out.append(mention)
    for a, b in zip(out, out[1:]):
        if not b.unit and a.unit and not a.unit.startswith("other:") and _LIST_GAP_RE.match(sentence[a.end:b.start]):
            b.unit, b.factor, b.unit_text = a.unit, a.factor, a.unit_text
    for n in out:
        n.hedged = bool(_HEDGE_RE.search(sentence[max(0, n.start - 25):n.start]))
        n.bound = _bound_before(sentence, n.start)
        after = _BOUND_AFTER_RE.match(sentence[n.end:])
        if after and not n.bound:
            n.bound = "min" if after.group("dir").lower() in ("higher", "more", "above", "greater", "better", "over") else "max"
        if _NEAR_OR_BOUND_RE.search(sentence[max(0, n.start - 30):n.start]):
            n.hedged, n.bound, n.near_bound = True, "min", True  # "close to or above 0.9": at least about 0.9
    # dimensions "68.5 x 54.5 mm": the first number takes the unit of the second
    for a, b in zip(out, out[1:]):
        if not a.unit and b.unit and _DIM_SEP_RE.match(sentence[a.end:b.start]):
            a.unit, a.factor, a.unit_text = b.unit, b.factor, b.unit_text
    for i in range(len(out) - 1, 0, -1):  # "150.08, 69.41 and 44.83 mL": a list closed by "and" shares its unit
        last = out[i]
        if not last.unit or last.unit.startswith("other:") or out[i - 1].unit \
                or not re.match(r"^\s*(?:,?\s*and|/|vs\.?|versus)\s*$", sentence[out[i - 1].end:last.start], re.I):
            continue
        j = i - 1
        while j >= 0 and not out[j].unit and _LIST_SEP_RE.match(sentence[out[j].end:out[j + 1].start]):
            out[j].unit, out[j].factor, out[j].unit_text = last.unit, last.factor, last.unit_text
            j -= 1
    _tuple_units(sentence, out)
    taken = [(n.start, n.end) for n in out]
    for m in _WORD_NUMBER_RE.finditer(sentence):
        if any(s <= m.start() < e for s, e in taken):
            continue
        word = m.group(1).lower()
        mention = NumberMention(word, float(NUMBER_WORDS[word]), 0, m.start(), m.start() + len(m.group(1)), from_word=True)
        if NUMBER_WORDS[word] == 1 and (m.group(2) or "").lower() in _MEMBER_WORDS and not word.startswith("a"):
            mention.bound = "min"  # "one dominant lesion" says there is at least one
        out.append(mention)
    for m in _FRACTION_WORD_RE.finditer(sentence):
        if any(s <= m.start() < e for s, e in taken):
            continue
        litre = _OF_LITRE_RE.match(sentence[m.end():])
        if litre:  # "a tenth of a litre": a volume, 100 mL
            out.append(NumberMention(m.group(1), _FRACTION_WORDS[m.group(1).lower()], 2, m.start(),
                                     m.end() + litre.end(), unit="mL", factor=1000.0, unit_text="L", hedged=True,
                                     bound=_bound_before(sentence, m.start())))
            continue
        out.append(NumberMention(m.group(1), _FRACTION_WORDS[m.group(1).lower()], 2, m.start(), m.start() + len(m.group(1)),
                                 unit="fraction", from_word=True, hedged=True, bound=_bound_before(sentence, m.start())))
    for n in out:
        n.others = bool(_OTHERS_RE.match(sentence[n.end:]))
    return sorted(out, key=lambda n: n.start)
