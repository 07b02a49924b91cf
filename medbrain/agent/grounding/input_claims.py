"""Claims about which sequences the segmentation used and which were missing.

"Segmented from T1ce and FLAIR only (T1 and T2 missing)" must match ``facts.case.sequences``
and ``facts.case.sequences_missing``; older facts without them mean all four were used. A
sentence is checked only when it speaks about the input: a used-from phrase ("segmented
from", "using only", "sequences used") or a sequence named beside a missing word ("T2
missing", "no T1 image", "without FLAIR").
"""

from __future__ import annotations

import re

from medbrain.agent.grounding.claim import Claim, make_claim
from medbrain.agent.grounding.lexicon import SEQUENCE_TERMS
from medbrain.agent.grounding.mentions import SEQUENCE_RE
from medbrain.facts import FactCatalogue, display_word, get

ALL_FOUR = ("t1", "t1ce", "t2", "flair")
_USED_RE = re.compile(r"(?i)\b(?:segment(?:ed|ation)?|predict(?:ed|ion)?|analys(?:ed|is)|run|computed)\s+"
                      r"(?:only\s+)?(?:from|on|with|using)\b|\busing only\b|\bsequences?\s+(?:used|available|present)\b|"
                      r"\b(?:used|available|present)\s+sequences?\b")
_MISSING_RE = re.compile(r"(?i)\b(?:missing|absent|unavailable|not available|lacking|lacks?|not provided)\b")
_NO_SEQUENCE_RE = re.compile(r"(?i)\b(?:no|without)\s+(?:the\s+|an?\s+|any\s+)?(?=(?:t1|t2|flair))")
_SEGMENT_SPLIT = re.compile(r"[;,()]|\bbut\b", re.IGNORECASE)
_ALL_FOUR_RE = re.compile(r"(?i)\ball (?:four|4) (?:sequences|mri sequences|inputs)\b")


def _sequences_in(text: str) -> list[str]:
    return [SEQUENCE_TERMS[m.group(1).lower()] for m in SEQUENCE_RE.finditer(text)]


def _says_missing(segment: str) -> bool:
    """A missing word in the clause, or "no"/"without" directly before a sequence name."""
    return bool(_MISSING_RE.search(segment) or _NO_SEQUENCE_RE.search(segment))


def _case_sequences(cat: FactCatalogue) -> tuple[set[str], set[str]]:
    used = get(cat.raw, "case", "sequences")
    missing = get(cat.raw, "case", "sequences_missing")
    if not isinstance(used, list):
        return set(ALL_FOUR), set()
    return set(used), set(missing if isinstance(missing, list) else [q for q in ALL_FOUR if q not in used])


def check_input_sequences(s: str, cat: FactCatalogue) -> list[Claim]:
    """Sequences said to be used, or missing, against the case's facts."""
    segments = [seg for seg in _SEGMENT_SPLIT.split(s) if seg.strip()]
    said_missing = [q for seg in segments if _says_missing(seg) for q in _sequences_in(seg)]
    said_used_from = bool(_USED_RE.search(s))
    all_four = bool(_ALL_FOUR_RE.search(s)) and said_used_from
    if not said_missing and not said_used_from and not all_four:
        return []
    used, missing = _case_sequences(cat)
    claims: list[Claim] = []
    for q in dict.fromkeys(said_missing):
        claims.append(make_claim("input", f"{display_word(q)} missing", q in missing,
                                 f"the case has {display_word(q)}" if q in used else f"{q} is not a sequence of this case"))
    if said_used_from:
        said_used = [q for seg in segments if not _says_missing(seg) for q in _sequences_in(seg)]
        for q in dict.fromkeys(said_used):
            claims.append(make_claim("input", f"segmented from {display_word(q)}", q in used,
                                     f"{display_word(q)} was missing from this case"))
    if all_four:
        claims.append(make_claim("input", "all four sequences used", not missing,
                                 f"this case lacks {', '.join(sorted(display_word(q) for q in missing))}"))
    return claims
