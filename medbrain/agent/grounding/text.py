"""Text handling for the verifier: normalisation, sentences, clauses and negation scope."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Abbreviations whose full stop does not end a sentence.
_ABBREVIATIONS = ("e.g.", "i.e.", "etc.", "vs.", "approx.", "cf.", "et al.", "dr.", "mr.", "mrs.", "ms.", "prof.", "fig.", "no.")
_LIST_MARKER_RE = re.compile(r"^\s*(?:[-*•]|\d{1,2}[.)](?!\d))\s+")
_HEADING_RE = re.compile(r"^\s*(?:#{1,6}\s+.*|\*\*[^*]{1,80}\*\*\s*:?)\s*$")
# Where a conjunct ends: "X beat random, whereas Y does not", "A is 30%, and B 15%"; shared by every check
# that reads one claim per conjunct.
CONJUNCT_RE = re.compile(r",\s*(?:and|while|whereas|but)\b|;|\b(?:whereas|while|but)\b", re.I)
_CLAUSE_BREAK_RE = re.compile(r"[;:,()\[\]]|\s[-–—]\s|\b(?:but|while|whereas|although|though|however|yet|and|or)\b", re.I)
NEGATION_CUE_RE = re.compile(
    r"\b(?:(?:incorrect|wrong|false|inaccurate|misleading) to (?:say|describe|call|state|claim)|"
    r"(?:it is )?(?:untrue|false) that|"
    r"no|not|never|none|neither|nor|without|absent|lacks?|lacking|free of|cannot|can't|isn't|aren't|wasn't|"
    r"weren't|doesn't|don't|didn't|won't|nothing|unlikely|improbable|rather than|instead of)\b|n't\b", re.I)
# Cues that look negative but are not ("no doubt" asserts, "not only" adds).
_FALSE_NEGATION_RE = re.compile(
    r"\b(?:no doubt|without (?:any )?doubt|not only|no longer than|nothing but|not least|no less than|"
    r"not to mention|cannot (?:be )?(?:ruled? out|excluded?)|can't (?:be )?(?:ruled? out|excluded?))\b", re.I)
_COPULA = r"(?:is|are|was|were|remains?|appears?|seems?|looks?|stays?|being)"
_VERB = (r"(?:is|are|was|were|stays?|remains?|lies?|has|have|shows?|extends?|cross(?:es)?|involves?|reaches?|"
         r"measures?|appears?|seems?|occupies|occupy|affects?|spans?|sits?|includes?|contains?|is|centred|centered|located)")
# "... and stays in the left hemisphere": a new predicate after and/or ends a negation's scope.
_SCOPE_END_RE = re.compile(
    r"[;:,.()]|\s[-–—]\s|\b(?:but|while|whereas|although|though|however|yet)\b|"
    r"\b(?:and|or)\s+(?:(?:it|they|this|which|that|the\s+\w+)\s+)?" + _VERB + r"\b|"
    # "does not cross the midline and confidence is high": a new subject with its own copula
    r"\band\s+(?:the\s+)?[a-z-]+\s+(?:is|are|was|were)\b", re.I)
# Words after a term that deny it ("the right hemisphere is unaffected", "X and Y are spared").
_DENIAL_AFTER_RE = re.compile(
    r"^\s*(?:(?!" + _COPULA + r"\b)[\w'/-]+\s+){0,8}?" + _COPULA
    + r"\s+(?:(?:entirely|completely|fully|largely|still|also|both|all)\s+)?"
    r"(?:spared|unaffected|uninvolved|not\b|free\b|clear\b|intact|normal|absent|uninvolved|unlikely\b)"
    r"|^\s*(?:spared|unaffected|uninvolved|(?:is|are)?\s*absent)\b"
    # a key-value answer: "Crosses midline: no", "Midline crossing = false"
    r"|^\s*[:=]\s*(?:no|none|false|absent|not (?:present|seen))\b", re.I)
_MIXED_SCRIPT_WORD_RE = re.compile(r"\w+")


@dataclass(frozen=True)
class Sentence:
    """One sentence of a text, after normalisation; ``start`` is its offset in the clean text."""

    text: str
    start: int


def strip_format_characters(text: str) -> str:
    """Remove Unicode format characters (soft hyphen, zero-width spaces/joiners, bidi marks, BOM)."""
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf")


def normalise(text: str) -> str:
    """NFKC, format characters removed, typographic quotes/dashes and non-breaking spaces made plain."""
    text = unicodedata.normalize("NFKC", strip_format_characters(text))
    table = {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2212": "-", "\u2010": "-",
             "\u2011": "-", "\u00a0": " ", "\u202f": " ", "\u2009": " "}
    return "".join(table.get(ch, ch) for ch in text)


def _script(ch: str) -> str | None:
    if not ch.isalpha():
        return None
    name = unicodedata.name(ch, "")
    return name.split(" ")[0] if name else None


def mixed_script_words(text: str) -> list[str]:
    """Words whose letters come from more than one script (e.g. Latin with Cyrillic homoglyphs)."""
    found = []
    for m in _MIXED_SCRIPT_WORD_RE.finditer(text):
        scripts = {s for s in (_script(c) for c in m.group(0)) if s}
        if len(scripts) > 1:
            found.append(m.group(0))
    return found


def non_latin_words(text: str) -> list[str]:
    """Words written entirely in a non-Latin letter script (the report language is English)."""
    out = []
    for m in _MIXED_SCRIPT_WORD_RE.finditer(text):
        scripts = {s for s in (_script(c) for c in m.group(0)) if s}
        if scripts and "LATIN" not in scripts and scripts != {"GREEK"}:
            out.append(m.group(0))
    return out


def _is_abbreviation(text: str, dot: int) -> bool:
    head = text[max(0, dot - 7): dot + 1].lower()
    return any(head.endswith(a) for a in _ABBREVIATIONS)


def conjunct_start(s: str, pos: int, lo: int = 0) -> int:
    """Where the conjunct holding position ``pos`` begins (``lo`` when no break lies in [lo, pos))."""
    ends = [m.end() for m in CONJUNCT_RE.finditer(s, lo, pos)]
    return ends[-1] if ends else lo


def conjunct_end(s: str, pos: int) -> int:
    """Where the conjunct holding position ``pos`` ends (the length of ``s`` when it runs to the end)."""
    m = CONJUNCT_RE.search(s, pos)
    return m.start() if m else len(s)


def conjuncts(s: str) -> list[tuple[int, int]]:
    """The sentence cut at every conjunct break, as (start, end) spans."""
    cuts = [0] + [m.end() for m in CONJUNCT_RE.finditer(s)] + [len(s)]
    return list(zip(cuts, cuts[1:]))


def split_sentences(text: str) -> list[Sentence]:
    """Sentences of a (normalised) text: lines first, then '.', '!' or '?' followed by space and a
    non-lower-case character; decimals, abbreviations and list markers do not split; headings
    are dropped."""
    out: list[Sentence] = []
    offset = 0
    for line in text.split("\n"):
        start_of_line = offset
        offset += len(line) + 1
        if not line.strip() or _HEADING_RE.match(line):
            continue
        marker = _LIST_MARKER_RE.match(line)
        pos = marker.end() if marker else 0
        begin = pos
        i = pos
        while i < len(line):
            ch = line[i]
            if ch in ".!?" and (i + 1 == len(line) or line[i + 1] == " "):
                rest = line[i + 1:].lstrip()
                if ch == "." and _is_abbreviation(line, i):
                    i += 1
                    continue
                if rest and rest[0].islower():
                    i += 1
                    continue
                piece = line[begin:i + 1]
                if piece.strip():
                    lead = len(piece) - len(piece.lstrip())
                    out.append(Sentence(piece.strip(), start_of_line + begin + lead))
                begin = i + 1
            i += 1
        piece = line[begin:]
        if piece.strip():
            lead = len(piece) - len(piece.lstrip())
            out.append(Sentence(piece.strip(), start_of_line + begin + lead))
    return out


def clause_bounds(sentence: str, pos: int) -> tuple[int, int]:
    """The clause of ``sentence`` around ``pos``: between the nearest clause breaks."""
    left, right = 0, len(sentence)
    for m in _CLAUSE_BREAK_RE.finditer(sentence):
        if m.end() <= pos:
            left = m.end()
        elif m.start() >= pos:
            right = m.start()
            break
    return left, right


def negation_scopes(sentence: str) -> list[tuple[int, int]]:
    """Spans a negation cue governs: from the cue to the end of its clause.

    Coordination does not end the scope of "neither ... nor" / "no X or Y" lists, so "and"/"or"
    right after a negated noun phrase keep it ("no oedema or necrosis").
    """
    scopes = []
    false_spans = [(m.start(), m.end()) for m in _FALSE_NEGATION_RE.finditer(sentence)]
    for m in NEGATION_CUE_RE.finditer(sentence):
        if any(a <= m.start() < b for a, b in false_spans):
            continue
        b = _SCOPE_END_RE.search(sentence, m.end())
        scopes.append((m.start(), b.start() if b else len(sentence)))
    return scopes


# A verb that itself denies its object: "spares the insula" denies it, "does not spare" affirms.
_DENYING_VERB_RE = re.compile(r"\b(?:spar(?:e|es|ed|ing)|exclud(?:e|es|ed|ing)|avoid(?:s|ed|ing)?)\s+(?:the\s+|both\s+|its\s+)?"
                              r"(?:[\w-]+\s+){0,3}$", re.I)
# "is not spared", "is not unaffected": the denial word is itself negated.
_NEGATED_DENIAL_RE = re.compile(r"\bnot\s+(?:\w+\s+)?(?:spared|unaffected|uninvolved|free|clear|intact|absent|excluded)\b", re.I)


def is_negated_at(sentence: str, start: int, end: int) -> bool:
    """Whether the term at [start, end) is denied: inside a negation scope, or followed by a
    denial ("is spared", "is not involved", "unaffected") in its clause, or the object of a
    denying verb ("spares the insula"); two denials cancel ("does not spare", "is not spared")."""
    clause_start = max([0] + [m.end() for m in re.finditer(r"[;:,()]|\b(?:but|while|whereas|and)\b", sentence[:start], re.I)])
    denials = 0
    if _DENYING_VERB_RE.search(sentence[clause_start:start]):
        denials += 1
    if any(a <= start < b for a, b in negation_scopes(sentence)):
        denials += 1
    stop = re.search(r"[;.()]|\b(?:but|while|whereas|although|though|however)\b", sentence[end:], re.I)
    after = sentence[end: end + stop.start()] if stop else sentence[end:]
    denial = _DENIAL_AFTER_RE.match(after)
    if denial:
        denials += 2 if _NEGATED_DENIAL_RE.search(after[:denial.end() + 20]) else 1
    return denials % 2 == 1
