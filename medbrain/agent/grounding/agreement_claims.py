"""Agreement between two named explanation methods, checked against the comparison's pair verdicts.

"A and B agree" needs the pair's verdict to be ``agree`` or ``partial`` (or the pair to be the most
agreeing one), "strongly" the most agreeing pair or ``agree``, "fully" / "(verdict: agree)" the
verdict ``agree`` itself; "partly" / "only partial" needs ``partial``; "disagree" needs ``disagree``
(or the least agreeing pair). Pairs written as such ("Grad-CAM–SLICE and IG–SLICE are only partial")
are each checked against the words of their own clause; otherwise the first two methods named are
the pair. "No pair reached the 'agree' verdict" is checked against every pair, and "four of the six
pairs agree" against the number of pairs with that verdict.
"""

from __future__ import annotations

import re

from medbrain.agent.grounding.claim import Claim, make_claim
from medbrain.agent.grounding.mentions import method_mentions
from medbrain.agent.grounding.number_mentions import NUMBER_WORDS
from medbrain.agent.grounding.text import conjunct_end, is_negated_at
from medbrain.facts import FactCatalogue, display_word, get

_AGREE_RE = re.compile(r"\b(agree(?:s|d|ment|ing)?|concur|align|coincide|overlap|consistent with each other|similar)\b", re.I)
_DISAGREE_RE = re.compile(r"\b(disagree(?:s|d|ment|ing)?|differ(?:s|ed)?|diverge(?:s|d)?|conflict|inconsistent|"
                          r"agree (?:the )?least|least agreeing|dissimilar)\b", re.I)
_STRONG_RE = re.compile(r"\b(strong(?:ly)?|most|closely|well|highly|best|clearly|substantially|largely)\b", re.I)
_FULL_RE = re.compile(r"\b(?:fully|completely|perfectly|entirely|totally|wholly|unanimously)\b", re.I)
_PARTIAL_RE = re.compile(r"\b(?:partial(?:ly)?|partly|somewhat|moderately|to some extent|in part)\b", re.I)
_VERDICT_RE = re.compile(r"\bverdict\s*(?:is\s+|was\s+|of\s+)?[:=]?\s*['\"]?(agree|partial|disagree)\b|"
                         r"\b(?:rated|classed|classified|labell?ed)\s+(?:as\s+)?['\"]?(agreeing|agree|partial|disagreeing|disagree)\b",
                         re.I)
_PAIR_GAP_RE = re.compile(r"^\s*(?:[-–—/]|vs\.?|versus)\s*$", re.I)
_NO_PAIR_RE = re.compile(r"\b(?:no|none of the)\s+(?:\w+\s+)?(?:method\s+)?pairs?\b[^.;]{0,40}?['\"]?\b(agree\w*|partial|disagree\w*)\b", re.I)


def _verdict_word(word: str) -> str:
    word = word.lower()
    return "disagree" if word.startswith("disagree") else "partial" if word == "partial" else "agree"


def _pair_rows(cat: FactCatalogue) -> dict[frozenset[str], dict]:
    return {frozenset(p["pair"]): p for p in get(cat.raw, "comparison", "pairs", default=[]) or []
            if isinstance(p, dict) and p.get("pair")}


def _explicit_pairs(s: str) -> list[tuple[frozenset[str], int, int]]:
    """Pairs written as one ("Grad-CAM–SLICE", "IG vs SLICE"), each with the ';'-clause it stands in."""
    mentions = method_mentions(s)
    out = []
    for (a0, a1, a), (b0, _, b) in zip(mentions, mentions[1:]):
        if a != b and _PAIR_GAP_RE.match(s[a1:b0]):
            lo = s.rfind(";", 0, a0) + 1
            hi = s.find(";", b0)
            # "Three pairs agree (A–B, A–C, B–C), and every disagreeing pair involves D": the pair's own conjunct
            out.append((frozenset((a, b)), lo, min(len(s) if hi < 0 else hi, conjunct_end(s, b0))))
    return out


def _judge(s: str, own: str, whole: str, pair: frozenset[str], cat: FactCatalogue, offset: int) -> Claim | None:
    """The claim the words ``own`` (starting at ``offset`` in ``s``) make about one pair; degree words
    ("partly", "strongly") are read in ``whole``."""
    comp = get(cat.raw, "comparison", default={}) or {}
    info = _pair_rows(cat).get(pair)
    most = frozenset(comp.get("most_agreeing_pair") or ())
    least = frozenset(comp.get("least_agreeing_pair") or ())
    label = " and ".join(display_word(k) for k in sorted(pair))
    verdict = (info or {}).get("verdict")
    stated = _VERDICT_RE.search(own)
    dis, agr = _DISAGREE_RE.search(own), _AGREE_RE.search(own)
    partial = bool(_PARTIAL_RE.search(whole))
    if stated:
        said = _verdict_word(stated.group(1) or stated.group(2))
        return make_claim("relation", f"{label} verdict {said}", info is not None and verdict == said,
                          f"the comparison's verdict for {label} is {verdict!r}")
    if not (dis or agr or _PARTIAL_RE.search(own)):
        return None
    word = dis or agr
    negated = is_negated_at(s, offset + word.start(), offset + word.end()) if word else False
    says_agree = (bool(agr and not dis) != negated) if word else True
    if info is None:
        return make_claim("relation", f"{label} {'agree' if says_agree else 'disagree'}", False,
                          "these two methods were not compared")
    reason = f"the comparison's verdict for {label} is {verdict!r}"
    if says_agree and partial:
        ok = verdict == "partial" or (verdict == "agree" and pair != least)
    elif says_agree and _FULL_RE.search(own):
        ok = verdict == "agree"
    elif says_agree:
        strong = bool(_STRONG_RE.search(whole))
        ok = (pair == most or verdict == "agree") if strong else verdict in ("agree", "partial") or pair == most
        ok = ok and pair != least
        reason += " (least agreeing pair)" if pair == least else ""
    else:
        ok = verdict == "disagree" or (pair == least and verdict != "agree")
    if not partial and re.search(r"\b(?:least|lowest|weakest)\b", own, re.I):
        ok, reason = pair == least, f"the least agreeing pair is {display_word(sorted(least))}"
    elif not partial and says_agree and re.search(r"\b(?:most|best|closest|highest|strongest)\b", own, re.I):
        ok, reason = pair == most, f"the most agreeing pair is {display_word(sorted(most))}"
    return make_claim("relation", f"{label} {'agree' if says_agree else 'disagree'}", ok, reason)


# "Four of the six method pairs agree", "three pairs disagree": how many pairs hold a verdict
_PAIR_COUNT_RE = re.compile(r"\b(?P<n>one|two|three|four|five|six|\d)\s+(?:of\s+(?:the\s+|all\s+)?(?:\w+\s+)?)?(?:method\s+)?"
                            r"pairs?\s+(?:(?:were|are|was|is)\s+(?:rated\s+|classed\s+(?:as\s+)?)?)?['\"]?"
                            r"(?P<v>agree\w*|partial\w*|disagree\w*)\b", re.I)


def _pair_counts(s: str, cat: FactCatalogue) -> list[Claim]:
    rows = _pair_rows(cat)
    claims = []
    for m in _PAIR_COUNT_RE.finditer(s):
        if not rows:
            continue
        word = m.group("n").lower()
        said = int(word) if word.isdigit() else NUMBER_WORDS[word]
        verdict = "partial" if m.group("v").lower().startswith("partial") else _verdict_word(m.group("v"))
        holding = sum(1 for row in rows.values() if row.get("verdict") == verdict)
        negated = is_negated_at(s, m.start("v"), m.end("v"))
        claims.append(make_claim("relation", m.group(0), (holding == said) != negated,
                                 f"{holding} of {len(rows)} pairs have the verdict {verdict!r}"))
    return claims


def check_agreement(s: str, cat: FactCatalogue) -> list[Claim]:
    """Every agreement claim of one sentence (see the module docstring)."""
    claims = _pair_counts(s, cat)
    for m in _NO_PAIR_RE.finditer(s):
        said = _verdict_word(m.group(1))
        holding = [p for p, row in _pair_rows(cat).items() if row.get("verdict") == said]
        claims.append(make_claim("relation", m.group(0), not holding,
                                 f"pairs with the verdict {said!r}: {', '.join(display_word(sorted(p)) for p in holding)}"))
    mentions = method_mentions(s)
    named = list(dict.fromkeys(k for _, _, k in mentions))
    if len(named) < 2:
        return claims
    explicit = _explicit_pairs(s)
    if explicit:
        for pair, lo, hi in explicit:
            claim = _judge(s, s[lo:hi], s[lo:hi], pair, cat, lo)
            if claim is not None:
                claims.append(claim)
        return claims
    # "A and B agree most (…), C and D least": what the pair's own clause says
    second = max(min(p for p, _, k in mentions if k == key) for key in named[:2])
    stop = re.search(r"[,;]", s[second:])
    own = s[: second + stop.start()] if stop else s
    claim = _judge(s, own, s, frozenset(named[:2]), cat, 0)
    if claim is not None:
        claims.append(claim)
    return claims
