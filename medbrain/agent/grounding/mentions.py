"""Where a sentence names a region, method, sequence or structure: shared term finders.

Several checks need the same mentions (the anatomy terms of a sentence, the explanation
methods it names with their case rules, the sub-regions it refers to), so the compiled
term patterns and the small finders over them live here once, built from the vocabulary
in :mod:`medbrain.agent.grounding.lexicon`.
"""

from __future__ import annotations

import re

from medbrain.agent.grounding.lexicon import ANATOMY_TERMS, METHOD_TERMS, OTHER_XAI_TERMS, REGION_TERMS, SEQUENCE_TERMS


def term_pattern(terms) -> re.Pattern:
    """A case-insensitive pattern for whole-word mentions of ``terms``, longest first."""
    keys = sorted(terms, key=len, reverse=True)
    return re.compile(r"(?<![\w-])(" + "|".join(re.escape(k) for k in keys) + r")(?![\w])", re.I)


ANATOMY_RE = term_pattern(ANATOMY_TERMS)
METHOD_RE = term_pattern(METHOD_TERMS)
OTHER_XAI_RE = term_pattern(OTHER_XAI_TERMS)
SEQUENCE_RE = term_pattern(SEQUENCE_TERMS)
REGION_MENTION_RE = term_pattern({k: v for k, v in REGION_TERMS.items() if len(k) > 3 or k in ("et", "tc", "wt", "ed", "ncr")})


def region_mentions(s: str, start: int = 0, end: int | None = None) -> list[tuple[int, str]]:
    """(position, region code) of each region named in ``s[start:end]``: words in any case,
    abbreviations (WT, TC, ET, ED, NCR) only in capitals."""
    return [(m.start(), REGION_TERMS[m.group(1).lower()])
            for m in REGION_MENTION_RE.finditer(s, start, len(s) if end is None else end)
            if len(m.group(1)) > 3 or m.group(1).isupper()]


def method_mentions(s: str) -> list[tuple[int, int, str]]:
    """(start, end, method key) of each explanation method named in ``s`` ("SLICE" and "IG"
    only in capitals, "attention to" is not the method)."""
    out = []
    for m in METHOD_RE.finditer(s):
        word = m.group(1)
        key = word.lower()
        if key == "slice" and word != "SLICE":
            continue
        if key == "ig" and word != "IG":
            continue
        if key == "attention" and re.match(r"^\s*(?:to|on)\b", s[m.end():], re.I):
            continue  # "pay attention to"
        out.append((m.start(), m.end(), METHOD_TERMS[key]))
    return out


# "all four methods", "every map", "no method", "none of the methods": a claim about every method at once
# (a leading "no"/"none" is the claim's negation, read by the check)
ALL_METHODS_RE = re.compile(r"\b(?:all|every|each|no|none)(?: of the)?\s+(?:four\s+|three\s+|two\s+)?(?:scored\s+)?"
                            r"(?:explanation\s+|attribution\s+)?(?:methods?|maps?)\b", re.I)
# "all methods except attention rollout": the methods named after it are left out
EXCEPT_RE = re.compile(r"\b(?:except(?: for)?|other than|apart from|but not|besides|save for)\b", re.I)
