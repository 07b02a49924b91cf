"""Which sequence dominates, conjunct by conjunct: "FLAIR mattered most for the whole tumour, and
contrast-enhanced T1 for the core" holds two claims, each about the regions its own conjunct names
(a conjunct that names a sequence and a region but no verb repeats the verb before it).

A claim about Shapley (or no method) is checked against the Shapley dominant sequence of each region
named (the explained region when none is; each region with "in every region"); one about Integrated
Gradients against the basis it names: the largest |attribution| share ("absolute"), the largest signed
share ("signed"), else IG's recorded dominant sequence (the largest positive signed sum).
"""

from __future__ import annotations

import re

from medbrain.agent.grounding.claim import Claim, make_claim
from medbrain.agent.grounding.lexicon import SEQUENCE_TERMS, WHOLE_TERMS
from medbrain.agent.grounding.mentions import SEQUENCE_RE, method_mentions, region_mentions
from medbrain.agent.grounding.text import conjuncts, is_negated_at
from medbrain.facts import FactCatalogue, display_word, get

DOMINANT_RE = re.compile(
    r"(?<!second )(?<!third )(?<!fourth )(?<!next )(?<!least )"
    r"\b((?:relied|rel(?:ies|y)|lean(?:s|ed|t)?|depend(?:s|ed)?|dr(?:ew|aws?))\s+(?:most(?:ly)?|mainly|chiefly|primarily|"
    r"(?:most\s+)?heavily|above all)\s+(?:on|upon|from)|"
    r"driven (?:mostly |mainly |chiefly |primarily )?by|dominated(?: by)?|dominant|dominates|drove|drives|"
    r"most (?:important|influential|informative)|led by|leads(?!\s+to\b)|(?:was|is) the leading|"
    r"contributed (?:the )?most|contributes (?:the )?most|mattered most|matters most|weighted most|most weight|"
    r"did most of the work|weighted\s+(?:\w+\s+){1,3}?most|"
    r"(?:largest|greatest|highest|biggest|strongest|top) (?:absolute |signed |positive |overall )?"
    r"(?:(?:IG|Integrated Gradients|Shapley|SHAP)(?:'s)? )?(?:share|contribution|attribution|weight|shapley value)|(?:most|largest|greatest) (?:of the )?(?:attribution|share|weight))\b", re.I)
_EVERY_REGION_RE = re.compile(r"\b(?:in|for|across)\s+(?:every|each|all(?: three| four| the)?)(?: of the)?\s+(?:three\s+|four\s+)?"
                              r"(?:tumou?r\s+)?(?:regions?|sub-?regions?)\b|\b(?:every|each|all three) (?:region|sub-?region)s?\b", re.I)
_REGION_SEQUENCE_RE = re.compile(r"\b(WT|TC|ET)\s*[:=]?\s*(T2-FLAIR|FLAIR|T1ce|T1c|T1|T2)(?![-\w])", re.I)
_WHOLE_RE = re.compile(r"\b(?:" + "|".join(WHOLE_TERMS) + r")\b", re.I)
_SIGNED_RE = re.compile(r"(?<!un)\bsigned\b", re.I)
_ABSOLUTE_RE = re.compile(r"\babsolute\b|\|attribution\||\bmagnitudes?\b|\bunsigned\b", re.I)
_NOT_GAPPED_RE = re.compile(r"\b(?:second|third|fourth|last|least|than|next|followed|behind|ahead|ranks?|ranked)\b|(?<![A-Za-z])\d", re.I)


def _seqs(s: str, lo: int, hi: int) -> list[tuple[int, str]]:
    return [(m.start(), SEQUENCE_TERMS[m.group(1).lower()]) for m in SEQUENCE_RE.finditer(s, lo, hi)]


def _claimed(s: str, seqs: list[tuple[int, str]], start: int) -> str | None:
    """The sequence a dominance word is said of: its subject right before it, else the first after it."""
    before = [(p, v) for p, v in seqs if p < start]
    after = [v for p, v in seqs if p > start]
    if before and start - before[-1][0] <= 40 \
            and not re.search(r"[,;(]|\b(?:than|after|behind|unlike)\b", s[before[-1][0]:start], re.I):
        return before[-1][1]
    return after[0] if after else (before[-1][1] if before else None)


def _ig_truth(s: str, lo: int, hi: int, start: int, cat: FactCatalogue) -> tuple[set[str], str]:
    """IG's dominant sequence on the basis the words name (the one nearest the dominance word)."""
    ig = get(cat.raw, "explanations", "integrated_gradients", default={}) or {}
    marks = [(abs(m.start() - start), "signed") for m in _SIGNED_RE.finditer(s, lo, hi)]
    marks += [(abs(m.start() - start), "absolute") for m in _ABSOLUTE_RE.finditer(s, lo, hi)]
    if not marks:
        marks = [(0, "signed") for _ in _SIGNED_RE.finditer(s)] or [(0, "absolute") for _ in _ABSOLUTE_RE.finditer(s)]
    basis = min(marks)[1] if marks else ""
    key = {"signed": "sequence_share_signed", "absolute": "sequence_share"}.get(basis)
    shares = ig.get(key) if key else None
    if isinstance(shares, dict) and shares:
        top = max(shares, key=lambda q: float(shares[q]))
        return {top}, f"IG's largest {basis} share is {display_word(top)}"
    dom = ig.get("dominant_sequence")
    return ({dom} if dom else set()), f"IG's dominant sequence is {display_word(dom) if dom else 'not computed'}"


def _region_pairs(s: str, cat: FactCatalogue) -> list[Claim]:
    """ "Dominant sequence: WT FLAIR, TC FLAIR, ET T1ce": one claim per region and sequence written together."""
    regions = get(cat.raw, "explanations", "shapley", "regions", default={}) or {}
    claims = []
    for region, word in _REGION_SEQUENCE_RE.findall(s):
        seq = SEQUENCE_TERMS.get(word.lower(), "flair" if word.lower() == "t2-flair" else word.lower())
        truth = (regions.get(region.upper()) or {}).get("dominant_sequence")
        claims.append(make_claim("relation", f"dominant sequence {region.upper()} {display_word(seq)}", truth == seq,
                                 f"the Shapley dominant sequence for {region.upper()} is {display_word(truth)}"))
    return claims


def check_dominance(s: str, cat: FactCatalogue) -> list[Claim]:
    """Every dominant-sequence claim of one sentence (see the module docstring)."""
    if not DOMINANT_RE.search(s) or not _seqs(s, 0, len(s)):
        return []
    if len(_REGION_SEQUENCE_RE.findall(s)) >= 2 and get(cat.raw, "explanations", "shapley", "regions"):
        return _region_pairs(s, cat)
    expl = get(cat.raw, "explanations", default={}) or {}
    shap = get(cat.raw, "explanations", "shapley", "regions", default={}) or {}
    explained = get(cat.raw, "explanations", "region", default="WT") or "WT"
    sentence_regions = [r for _, r in region_mentions(s) if r in shap]
    claims: list[Claim] = []
    inherited: tuple[int, int, bool] | None = None  # the previous conjunct's dominance word and its negation
    for lo, hi in conjuncts(s):
        m = DOMINANT_RE.search(s, lo, hi)
        seqs = _seqs(s, lo, hi)
        if m is None:
            gapped = inherited is not None and len(seqs) == 1 and not _NOT_GAPPED_RE.search(s, lo, hi) \
                and (region_mentions(s, lo, hi) or _WHOLE_RE.search(s, lo, hi))
            if not gapped:
                inherited = None
                continue
            start, end, negated = inherited[0], inherited[1], inherited[2]
            claimed = seqs[0][1]
        else:
            if not seqs:
                seqs = _seqs(s, 0, len(s))
            start, end = m.start(), m.end()
            negated = is_negated_at(s, start, end)
            claimed = _claimed(s, seqs, start)
            inherited = (start, end, negated)
        if claimed is None:
            continue
        own = [r for _, r in region_mentions(s, lo, hi) if r in shap]
        if not own and _WHOLE_RE.search(s, lo, hi) and len(conjuncts(s)) > 1:
            own = ["WT"]  # "for the overall tumour outline": the whole tumour, when another conjunct names sub-regions
        methods = {k for a, _, k in method_mentions(s) if lo <= a < hi} or {k for _, _, k in method_mentions(s)}
        if "integrated_gradients" in methods and "shapley" not in {k for a, _, k in method_mentions(s) if lo <= a < hi}:
            truth, reason = _ig_truth(s, lo, hi, start, cat)
            label = f"IG dominant sequence {display_word(claimed)}"
        elif shap:
            wanted = list(shap) if _EVERY_REGION_RE.search(s) else (own or sentence_regions or [explained])
            per = {r: (shap.get(r) or {}).get("dominant_sequence") for r in wanted if isinstance(shap.get(r), dict)}
            truth = set(per.values()) - {None}
            reason = "the Shapley dominant sequence: " + ", ".join(f"{r} {display_word(q)}" for r, q in per.items())
            if len(truth) > 1:  # one sequence said to dominate regions that differ
                claims.append(make_claim("relation", f"dominant sequence {display_word(claimed)} in {', '.join(per)}",
                                         negated, reason + " (it differs by region)"))
                continue
            label = f"dominant sequence {display_word(claimed)}" + (f" ({', '.join(per)})" if per else "")
        else:
            truth = {v.get("dominant_sequence") for v in expl.values() if isinstance(v, dict) and v.get("dominant_sequence")}
            reason = f"the tools' dominant sequence is {', '.join(sorted(display_word(d) for d in truth)) or 'not computed'}"
            label = f"dominant sequence {display_word(claimed)}"
        ok = bool(truth) and ((claimed in truth) != negated)
        claims.append(make_claim("relation", label, ok, reason))
    return claims
