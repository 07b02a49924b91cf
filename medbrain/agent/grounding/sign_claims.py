"""The sign of a sequence's contribution: "T1 had a negative Shapley value for the enhancing tumour",
"all four sequences made positive contributions in every region", "IG's signed attribution for T2 was
negative".

The Shapley value of each sequence named (every sequence with "all sequences") in each region named
(every region with "in every region", else the explained region) must have the sign said; with
Integrated Gradients named, its signed per-sequence sums. Interactions are checked in
:mod:`medbrain.agent.grounding.method_relations`.
"""

from __future__ import annotations

import re

from medbrain.agent.grounding.claim import Claim, make_claim
from medbrain.agent.grounding.lexicon import SEQUENCE_TERMS
from medbrain.agent.grounding.mentions import SEQUENCE_RE, method_mentions, region_mentions
from medbrain.agent.grounding.text import conjunct_end, conjunct_start, is_negated_at
from medbrain.facts import FactCatalogue, display_word, get

_SIGN_RE = re.compile(r"\b(?P<sign>negative|positive|negatively|positively)\b(?=[^.;]{0,30}?\b(?:shapley|contribut\w*|"
                      r"attribution|value|share|effect)\b)|\b(?:shapley values?|contributions?|attributions?|sums?)\s+(?:\w+\s+){0,4}?"
                      r"(?:was|were|is|are|came out|stayed?)\s+(?P<sign2>negative|positive)\b|"
                      r"\bcontribut\w*\s+(?P<sign3>negatively|positively)\b", re.I)
_ALL_SEQUENCES_RE = re.compile(r"\b(?:all|every|each)(?: of the)?\s+(?:four\s+)?(?:input\s+)?sequences?\b", re.I)
_EVERY_REGION_RE = re.compile(r"\b(?:in|for|across)\s+(?:every|each|all(?: three)?)(?: of the)?\s+(?:three\s+)?regions?\b", re.I)


def check_signs(s: str, cat: FactCatalogue) -> list[Claim]:
    """One claim per sign statement about sequences' contributions."""
    shap = get(cat.raw, "explanations", "shapley", "regions", default={}) or {}
    ig_sums = get(cat.raw, "explanations", "integrated_gradients", "sequence_share_signed", default={}) or {}
    claims = []
    for m in _SIGN_RE.finditer(s):
        own, end = conjunct_start(s, m.start()), conjunct_end(s, m.end())
        if re.search(r"\binteract", s[own:end], re.I) or re.search(r"\b(?:interaction|correlat|spearman|margin|delta|score)\w*",
                                                                   s[own:end], re.I):
            continue
        seqs = [SEQUENCE_TERMS[x.group(1).lower()] for x in SEQUENCE_RE.finditer(s, own, end)]
        if _ALL_SEQUENCES_RE.search(s, own, end):
            seqs = ["t1", "t1ce", "t2", "flair"]
        if not seqs:
            continue
        positive = (m.group("sign") or m.group("sign2") or m.group("sign3")).lower().startswith("positive")
        says = positive != is_negated_at(s, m.start(), m.end())
        methods = {k for _, _, k in method_mentions(s)}
        if "integrated_gradients" in methods and "shapley" not in methods:
            values = {f"IG {display_word(q)}": ig_sums.get(q) for q in seqs}
        else:
            named = [r for p, r in region_mentions(s) if r in shap]
            explained = get(cat.raw, "explanations", "region", default="WT") or "WT"
            regions = list(shap) if _EVERY_REGION_RE.search(s) else (named or [explained])
            values = {f"{r} {display_word(q)}": ((shap.get(r) or {}).get("values") or {}).get(q) for r in regions for q in seqs}
        values = {k: float(v) for k, v in values.items() if isinstance(v, (int, float))}
        if not values:
            continue
        wrong = [k for k, v in values.items() if (v > 0) != says or v == 0]
        shown = ", ".join(f"{k} {v:+.4g}" for k, v in values.items())
        claims.append(make_claim("relation", f"{'positive' if says else 'negative'} contribution: {', '.join(values)}",
                                 not wrong, f"the signed contributions: {shown}"))
    return claims
