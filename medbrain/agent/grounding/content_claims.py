"""Content no tool can produce: clinical statements, meta text, names and hidden characters.

Clinical content is an allowlist problem: diagnoses, grades, markers, prognosis,
treatment, drugs, referrals, identifiers and prior-scan comparisons fail unless a
disclaimer scopes them ("no diagnosis can be inferred"). Meta text and instructions,
unknown proper names (people, places, institutions) and words mixing alphabets or in a
non-Latin alphabet fail too. These checks read the sentence itself; of the facts only the
case id is consulted (so that it is not taken for a name).
"""

from __future__ import annotations

import re

from medbrain.agent.grounding.claim import Claim
from medbrain.agent.grounding.lexicon import (
    ANATOMY_TERMS, CLINICAL_CLASSES, DISCLAIMER_RE, KNOWN_PROPER, META_EXTRA_RE, META_RE, METHOD_TERMS, REGION_TERMS,
    SEQUENCE_TERMS,
)
from medbrain.agent.grounding.text import mixed_script_words, non_latin_words
from medbrain.facts import FactCatalogue, get

_CAPITAL_RE = re.compile(r"(?<![\w'-])([A-Z][\w'+-]*)")
_CLINICAL_RE = {kind: [re.compile(p, re.I) for p in patterns] for kind, patterns in CLINICAL_CLASSES.items()}


_OUTSIDE_SCOPE_RE = re.compile(r"\b(?:lies|lie|is|are|falls?) (?:outside|beyond) (?:what|the scope)", re.I)
_FINITE_VERB_RE = re.compile(r"\b(?:is|are|was|were|has|have|had|shows?|showed|appears?|seems?|measures?|lies|indicates?|"
                             r"suggests?)\b", re.I)
_ASSESSMENT_OF_RE = re.compile(r"^\s*(?:any |an |the )?(?:assessment|evaluation|judgement|judgment|determination|"
                               r"measurement|tracking|estimate)s? of\b|^\s*(?:assessing|evaluating|judging|determining|"
                               r"measuring|tracking)\b", re.I)


def _disclaimer_spans(s: str) -> list[tuple[int, int]]:
    spans = []
    for m in DISCLAIMER_RE.finditer(s):
        # a disclaimer ends with its clause: ", so this is a glioma" or ", and the patient should ..." is a new claim
        stop = re.search(r"[;.]|\bbut\b|,\s*(?:so|and|which|thus|hence)\b|\band (?:is|the|this|it)\b", s[m.end():])
        start = m.start()
        if re.match(r"(?:would|will|could) (?:need|require)|(?:cannot|can't|can not|could not) be", m.group(0), re.I) \
                or _OUTSIDE_SCOPE_RE.search(m.group(0)):
            # "any assessment of growth would need a prior scan": what it would need one for is scoped too,
            # when the clause is about assessing it (not "this is a glioblastoma, although its grade cannot be ...")
            clause = max([0] + [b.end() for b in re.finditer(r"[;.,]|\bbut\b|\balthough\b", s[:m.start()])])
            subject = s[clause:m.start()]
            if _ASSESSMENT_OF_RE.match(subject) or not _FINITE_VERB_RE.search(subject):
                start = clause  # "growth or treatment response cannot be judged": the subject is what is denied
        spans.append((start, m.end() + (stop.start() if stop else len(s) - m.end())))
    for m in re.finditer(r"\b(?:no|neither|nor|not)\s+(?:a\s+)?(?:diagnos\w*|grad\w*|treatment|prognos\w*|therapy|"
                         r"recommendation)(?:\s*(?:,|or|nor|and)\s*(?:a\s+)?(?:diagnos\w*|grad\w*|treatment|prognos\w*|"
                         r"therapy|treatment recommendation))*\s+(?:can|could|may|should|is|are)\s+(?:be\s+)?"
                         r"(?:inferred|derived|made|given|drawn|offered|provided|implied|concluded)\b"
                         r"|\bno (?:treatment|clinical|diagnostic|therapeutic|medical) (?:recommendation|advice|decision)s?\b"
                         r"|\b(?:makes|gives|offers) no (?:diagnosis|treatment|clinical)\b|\bno diagnos\w*", s, re.I):
        spans.append((m.start(), m.end()))
    return spans


def check_clinical(s: str, cat: FactCatalogue) -> list[Claim]:
    spans = _disclaimer_spans(s)
    claims = []
    seen: set[str] = set()
    for kind, patterns in _CLINICAL_RE.items():
        for pattern in patterns:
            for m in pattern.finditer(s):
                if any(a <= m.start() < b for a, b in spans):
                    continue
                if kind == "grade" and re.search(r"\b(?:school|reading|flesch)", s[max(0, m.start() - 20):m.end() + 10], re.I):
                    continue
                key = m.group(0).lower()
                if key in seen:
                    continue
                seen.add(key)
                claims.append(Claim("clinical", m.group(0), False,
                                    f"{kind.replace('_', ' ')}: no tool result supports this in a research report"))
    return claims


def check_meta(s: str) -> list[Claim]:
    claims = [Claim("meta", m.group(0), False, "meta text or an instruction, not a finding")
              for pattern in (META_RE, META_EXTRA_RE) for m in pattern.finditer(s)]
    for word in mixed_script_words(s):
        claims.append(Claim("hidden text", word, False, "a word mixing alphabets (homoglyphs hide what it says)"))
    for word in non_latin_words(s)[:3]:
        claims.append(Claim("hidden text", word, False, "a word in a non-Latin alphabet"))
    return claims


_IDENTIFIER_RE = re.compile(r"\b[A-Za-z][A-Za-z0-9]*(?:[-_][A-Za-z0-9]+){2,}\b")


def _other_identifiers(s: str, case_id: str) -> list[Claim]:
    """ "Case ID BraTS-GLI-00001-001": an identifier-shaped token that is not this case's id."""
    out = []
    for m in _IDENTIFIER_RE.finditer(s):
        token = m.group(0)
        if sum(ch.isdigit() for ch in token) >= 3 and token.lower() != case_id:
            out.append(Claim("identifier", token, False, "an identifier that is not this case's"))
    return out


def check_names(s: str, cat: FactCatalogue) -> list[Claim]:
    """Capitalised words the verifier does not know, inside a sentence: possible person or place names."""
    known = set(KNOWN_PROPER) | {k.lower() for k in (*METHOD_TERMS, *SEQUENCE_TERMS, *REGION_TERMS, *ANATOMY_TERMS)}
    known |= {w for k in ANATOMY_TERMS for w in k.split()} | {w for k in METHOD_TERMS for w in k.split()}
    case_id = str(get(cat.raw, "case", "case_id", default="") or "").lower()
    claims = _other_identifiers(s, case_id)
    for m in _CAPITAL_RE.finditer(s):
        word = m.group(1)
        low = word.lower().removesuffix("'s").removesuffix("'").rstrip(".")  # "Integrated Gradients' peak"
        if m.start() == 0 or re.search(r"[:(\-–—\"]\s*$|^\s*$", s[:m.start()][-3:]) or low in known or word.isupper() \
                or (word.endswith("s") and word[:-1].isupper()):
            continue
        if case_id and low in case_id:
            continue
        if "-" in word and (word.split("-")[0].isupper() or word.split("-")[0].lower() in known):
            continue  # "RANO-style", "FLAIR-dominant", "Grad-CAM-like"
        if re.match(r"^[A-Z][a-z]*\d", word):  # T1, SRI24-like model/space names
            continue
        claims.append(Claim("name", word, False, "an unknown proper name (people, places and institutions are not facts)"))
    return claims
