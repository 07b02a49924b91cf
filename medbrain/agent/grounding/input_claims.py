"""Claims about which sequences the segmentation used and which were missing.

"Segmented from T1ce and FLAIR only (T1 and T2 missing)" must match ``facts.case.sequences``
and ``facts.case.sequences_missing``; older facts without them mean all four were used. Only
phrases about the input are read: a missing word tied to the sequences it governs ("T1 and
T2 missing", "no T2 image", "without the FLAIR sequence", "missing: T1"), a used-from phrase
("segmented from", "using only", "T1 and T2 were provided") and "all four sequences". A
sequence named for what it shows ("no FLAIR hyperintensity", "absent on T1ce") is not a
claim about the input.
"""

from __future__ import annotations

import re

from medbrain.agent.grounding.claim import Claim, make_claim
from medbrain.agent.grounding.lexicon import SEQUENCE_TERMS
from medbrain.agent.grounding.text import is_negated_at
from medbrain.facts import SEQUENCES, FactCatalogue, display_word, get

_SEQ = "|".join(re.escape(t) for t in sorted(SEQUENCE_TERMS, key=len, reverse=True))
_LIST = rf"(?:{_SEQ})(?:\s*(?:,|and|or|&|\+)\s*(?:{_SEQ}))*"
_NOUN = r"(?:images?|sequences?|scans?|series|inputs?|data|volumes?)"
_MISSING_WORD = r"(?:missing|absent|unavailable|not available|not provided|not acquired|lacking)"
_MISSING_RES = [
    re.compile(rf"(?i)\b(?P<seqs>{_LIST})\s*(?:{_NOUN}\s*)?(?:(?:was|were|is|are|being)\s+)?{_MISSING_WORD}\b"),
    re.compile(rf"(?i)\b(?:no|without)\s+(?:the\s+|an?\s+|any\s+)?(?P<seqs>{_LIST})\s*{_NOUN}\b"),
    re.compile(rf"(?i)\b(?:without|{_MISSING_WORD})(?:\s+{_NOUN})?\s*[:,]?\s+(?:the\s+)?(?P<seqs>{_LIST})\b"),
    # "T1 and T2 received no attribution because they were missing"
    re.compile(rf"(?i)\b(?P<seqs>{_LIST})\b[^.;]{{0,60}}?\b(?:they|it)\s+(?:was|were|is|are)\s+{_MISSING_WORD}\b"),
]
_USED_RES = [
    re.compile(rf"(?i)\b(?:segment(?:ed|ation)?|predict(?:ed|ion)?|analys(?:ed|is)|run|computed|based)\s+(?:only\s+)?"
               rf"(?:from|on|with|using)\s+(?:only\s+)?(?:the\s+)?(?P<seqs>{_LIST})"),
    re.compile(rf"(?i)\busing only\s+(?:the\s+)?(?P<seqs>{_LIST})"),
    re.compile(rf"(?i)\b(?P<seqs>{_LIST})\s*(?:{_NOUN}\s*)?(?:was|were|is|are)\s+(?:used|available|provided|present|given)\b"),
    re.compile(rf"(?i)\b(?:had|has|with) access to\s+(?:the\s+)?(?P<seqs>{_LIST})"),
]
_COUNT_WORDS = {"one": 1, "a single": 1, "two": 2, "three": 3, "four": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_COUNT_RE = re.compile(r"(?i)(?<!of the )\b(one|a single|two|three|four|[1-4])\s+(?:of the (?:four|4)\s+)?(?:mri\s+)?(?:sequences?|inputs|contrasts)\s+"
                       r"(?:were|was|are|is)\s+(?:used|available|provided|present|given|supplied|acquired)\b")
_COUNT_MISSING_RE = re.compile(r"(?i)\b(one|a single|two|three|[1-3])\s+(?:mri\s+)?(?:sequences?|inputs)\s+"
                               r"(?:were|was|are|is)\s+(?:missing|absent|unavailable|not available)\b")
_NO_EFFECT_RE = re.compile(r"(?i)\b(?:did not|does not|didn't|doesn't|had no|has no|with no|without (?:any )?)\s+(?:\w+\s+){0,2}"
                           r"(?:affect\w*|effect|impact\w*|change\w*|reduc\w*|lower\w*|harm\w*|compromis\w*)\b[^.;]{0,40}\baccura\w*"
                           r"|\baccura\w*[^.;]{0,40}\b(?:unaffected|unchanged|not affected|similarly high|as high|equally high|"
                           r"acceptable|comparable|preserved)\b")
_MEASURED_RE = re.compile(r"(?i)\b(?:expected|cross-validated|validated)\s+(?:dice|accuracy)\b[^.;]{0,40}?\b(?:was|is|were|has been)\s+"
                          r"(?:measured|computed|established|available|known|validated)\b")
_SYNTHESISED_RE = re.compile(r"(?i)\b(?:synthesi[sz]ed|imputed|generated|reconstructed|hallucinated|filled in|interpolated)\b")
_ALL_FOUR_RE = re.compile(r"(?i)\ball (?:four|4)(?: of the)? (?:mri )?(?:sequences|inputs|images|contrasts)\b")
_SEQ_RE = re.compile(rf"(?i)\b({_SEQ})\b")


def _sequences_in(text: str) -> list[str]:
    return [SEQUENCE_TERMS[m.group(1).lower()] for m in _SEQ_RE.finditer(text)]


def _case_sequences(cat: FactCatalogue) -> tuple[set[str], set[str]]:
    used = get(cat.raw, "case", "sequences")
    missing = get(cat.raw, "case", "sequences_missing")
    if not isinstance(used, list):
        return set(SEQUENCES), set()
    return set(used), set(missing if isinstance(missing, list) else [q for q in SEQUENCES if q not in used])


def _named(patterns: list[re.Pattern], s: str) -> list[str]:
    return list(dict.fromkeys(q for p in patterns for m in p.finditer(s) for q in _sequences_in(m.group("seqs"))))


def _effect_claims(s: str, cat: FactCatalogue, used: set[str], missing: set[str]) -> list[Claim]:
    """What a missing sequence did: "it did not affect accuracy", "the missing T2 was synthesised",
    "two sequences were missing", "the expected accuracy for this subset was measured"."""
    claims = []
    expected = get(cat.raw, "case", "expected_accuracy", default={}) or {}
    if missing:
        for m in _NO_EFFECT_RE.finditer(s) if re.search(r"(?i)\b(?:missing|absent|absence|without|lack\w*)\b", s) else []:
            claims.append(make_claim("input", m.group(0), False, "accuracy drops without a sequence; "
                                     + ("cross-validation measured this subset lower" if expected.get("measured")
                                        else "no cross-validated accuracy exists for this subset")))
        for m in _SYNTHESISED_RE.finditer(s):
            before = s[max(0, m.start() - 50):m.start()]
            if any(q in missing for q in _sequences_in(before)) and re.search(r"(?i)\b(?:was|were|been|is|are)\s+(?:\w+\s+)?$", before) \
                    and not is_negated_at(s, m.start(), m.end()) and not re.match(r"(?i)\s*rather than", s[m.end():]):
                claims.append(make_claim("input", m.group(0), False, "a missing sequence is blanked to zero, not synthesised"))
    for m in _COUNT_MISSING_RE.finditer(s):
        n = {"one": 1, "a single": 1, "two": 2, "three": 3}.get(m.group(1).lower()) or int(m.group(1))
        claims.append(make_claim("input", m.group(0), n == len(missing), f"{len(missing)} sequence(s) missing"))
    for m in _MEASURED_RE.finditer(s):
        ok = bool(expected.get("measured")) != is_negated_at(s, m.start(), m.end())
        claims.append(make_claim("input", m.group(0), ok, "cross-validation measured this subset" if expected.get("measured")
                                 else "no cross-validated accuracy exists for this subset"))
    return claims


def check_input_sequences(s: str, cat: FactCatalogue) -> list[Claim]:
    """Sequences said to be used, or missing, against the case's facts."""
    said_missing = _named(_MISSING_RES, s)
    said_used = [q for q in _named(_USED_RES, s) if q not in said_missing]
    all_four = _ALL_FOUR_RE.search(s)
    count = _COUNT_RE.search(s)
    used, missing = _case_sequences(cat)
    claims = _effect_claims(s, cat, used, missing)
    if not said_missing and not said_used and not all_four and not count:
        return claims
    claims += [make_claim("input", f"{display_word(q)} missing", q in missing,
                          f"the case has {display_word(q)}" if q in used else f"{q} is not a sequence of this case")
               for q in said_missing]
    only = next((m for p in _USED_RES for m in p.finditer(s) if re.search(r"\bonly\b", s[max(0, m.start() - 12):m.end()], re.I)),
                None)
    if only:  # "only T1ce and FLAIR were available": exactly these
        listed = set(_sequences_in(only.group("seqs")))
        claims.append(make_claim("input", "only " + ", ".join(sorted(display_word(q) for q in listed)), listed == used,
                                 f"the case has {', '.join(sorted(display_word(q) for q in used))}"))
    claims += [make_claim("input", f"segmented from {display_word(q)}", q in used,
                          f"{display_word(q)} was missing from this case") for q in said_used]
    if count:
        n = _COUNT_WORDS[count.group(1).lower()]
        claims.append(make_claim("input", count.group(0), n == len(used), f"the case has {len(used)} sequences"))
    if all_four:
        negated = bool(re.search(r"(?i)\b(?:not|without|lacks?|lacking|instead of)\b[^.;]{0,12}$", s[:all_four.start()]))
        claims.append(make_claim("input", ("not " if negated else "") + "all four sequences used", (not missing) != negated,
                                 f"this case lacks {', '.join(sorted(display_word(q) for q in missing))}" if missing
                                 else "this case has all four sequences"))
    return claims
