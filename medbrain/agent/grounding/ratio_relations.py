"""Multiples between two quantities: "the oedema is about four times the core", "FLAIR contributed
more than twice as much as T1ce", "the longest diameter is 1.6 times the core's", "48-fold".

A multiple is a claim about the ratio of two facts. The two quantities are the sub-regions
(their volumes), the sequences (their Shapley shares for the region named, IG's when IG is
named) or, failing those, the two numbers of the sentence the number binding bound; "(9.1%), three
times that of the core" divides the number by the same fact of the region (or sequence) named after
the multiple. "Half the size of", "a third as large as" are multiples below one. The
written multiple must match the ratio (within 10 % when hedged, else at its precision, or as
a bound: "more than twice"). The number of a multiple is not a quantity, so number extraction leaves it to this module.
"""

from __future__ import annotations

import re

from medbrain.agent.grounding.claim import Claim, make_claim
from medbrain.agent.grounding.lexicon import SEQUENCE_TERMS
from medbrain.agent.grounding.mentions import SEQUENCE_RE, region_mentions
from medbrain.agent.grounding.number_match import NumberVerdict
from medbrain.agent.grounding.number_mentions import MULTIPLE_RE as _MULTIPLE_RE
from medbrain.agent.grounding.ratio_quantities import named_ratio
from medbrain.agent.grounding.text import conjunct_end
from medbrain.facts import FactCatalogue, get

_WORD_MULTIPLES = {"twice": 2.0, "double": 2.0, "two times": 2.0, "three times": 3.0, "thrice": 3.0, "four times": 4.0,
                   "five times": 5.0, "six times": 6.0, "ten times": 10.0}
_PART_MULTIPLES = {"half": 0.5, "a half": 0.5, "one half": 0.5, "a third": 1 / 3, "one third": 1 / 3, "two thirds": 2 / 3,
                   "two-thirds": 2 / 3, "a quarter": 0.25, "one quarter": 0.25, "three quarters": 0.75,
                   "three-quarters": 0.75, "a fifth": 0.2, "one fifth": 0.2, "a tenth": 0.1, "one tenth": 0.1}
_HEDGES = ("almost", "nearly", "roughly", "about", "around", "approximately", "some")


def _ordered(items: list[tuple[int, str]], start: int) -> tuple[str, str] | None:
    """The quantity before the multiple and the first one after it."""
    before = [v for p, v in items if p < start]
    after = [v for p, v in items if p > start]
    if before and after and before[-1] != after[0]:
        return before[-1], after[0]
    return None


_LABEL_KEYS = {"region": ("WT", "TC", "ET", "NCR", "ED"), "sequence": ("t1ce", "t1", "t2", "flair")}


def _counterpart(path: str, s: str, lo: int, hi: int, cat: FactCatalogue) -> tuple[float, str] | None:
    """ "9.1%, more than three times that of the core": the fact the number before the multiple was bound
    to, with its region (or sequence) replaced by the one named after the multiple."""
    named = {"region": [r for _, r in region_mentions(s, lo, hi)],
             "sequence": [SEQUENCE_TERMS[x.group(1).lower()] for x in SEQUENCE_RE.finditer(s, lo, hi)]}
    for kind, codes in _LABEL_KEYS.items():
        for code in codes:
            key = re.compile(rf"(?<=[.\[]){re.escape(code)}(?=[.\]]|$)")
            if not key.search(path):
                continue
            for other in named[kind]:
                if other == code:
                    continue
                fact = cat.lookup(key.sub(other, path, count=1))
                if fact is not None and fact.is_number and float(fact.value):
                    return float(fact.value), f"{path} / {fact.path}"
    return None


def check_multiples(s: str, verdicts: list[NumberVerdict], cat: FactCatalogue) -> list[Claim]:
    claims = []
    volumes = get(cat.raw, "measurements", "volumes_ml", default={}) or {}
    for m in _MULTIPLE_RE.finditer(s):
        if m.group("num"):
            written = float(m.group("num"))
        elif m.group("word"):
            written = _WORD_MULTIPLES[m.group("word").lower()]
        else:
            written = _PART_MULTIPLES[m.group("part").lower()]
        bound = (m.group("bound") or "").strip().lower()
        ratio, what = None, ""
        seqs = [(x.start(), SEQUENCE_TERMS[x.group(1).lower()]) for x in SEQUENCE_RE.finditer(s)]
        regions = [(p, r) for p, r in region_mentions(s) if r in volumes]
        pair_seq, pair_reg = _ordered(seqs, m.start()), _ordered(regions, m.start())
        bound_numbers = [v for v in verdicts if v.supported and v.fact_path and v.mention.unit]
        before = [v for v in bound_numbers if v.mention.end <= m.start()]
        limit = conjunct_end(s, m.end())
        after = [v for v in bound_numbers if m.end() <= v.mention.start < limit
                 and (not before or v.mention.unit == before[-1].mention.unit)]
        counterpart = _counterpart(before[-1].fact_path or "", s, m.end(), limit, cat) if before and not after else None
        if before and after and before[-1].mention.value and after[0].mention.value:
            # "the longest diameter (98.5 mm) is about 1.6 times the core's (6.07 cm)": the two numbers, in one unit
            x = before[-1].mention.value * before[-1].mention.factor
            y = after[0].mention.value * after[0].mention.factor
            ratio, what = x / y, "the two numbers'"
        elif counterpart is not None and before[-1].mention.value:
            # "(9.1%), more than three times that of the core": the same quantity of the region named after it
            x = before[-1].mention.value * before[-1].mention.factor
            ratio, what = x / counterpart[0], counterpart[1]
        elif pair_seq:
            named = [r for _, r in region_mentions(s) if r in ("WT", "TC", "ET")]
            region = named[0] if named else str(get(cat.raw, "explanations", "region", default="WT") or "WT")
            if re.search(r"(?i:integrated gradients?)|\bIG\b", s):
                shares = get(cat.raw, "explanations", "integrated_gradients", "sequence_share", default={}) or {}
            else:
                shares = get(cat.raw, "explanations", "shapley", "regions", region, "share", default={}) or {}
            a, b = pair_seq
            if shares.get(a) and shares.get(b):
                ratio, what = float(shares[a]) / float(shares[b]), f"{a}/{b} share ({region})"
        elif pair_reg:
            a, b = pair_reg
            if volumes.get(a) and volumes.get(b):
                ratio, what = float(volumes[a]) / float(volumes[b]), f"{a}/{b} volume"
        if ratio is None:
            ratio, what = named_ratio(s, m.start(), m.end(), limit, cat)
        if ratio is None:
            claims.append(make_claim("number", m.group(0).strip(), False, "a multiple of two quantities the text does not name"))
            continue
        decimals = len(m.group("num").split(".")[1]) if m.group("num") and "." in m.group("num") else 0
        if bound in ("more than", "over", "at least"):
            ok = ratio >= written
        elif bound in ("less than", "under"):
            ok = ratio <= written
        elif bound in _HEDGES or m.group("word") or m.group("part"):
            ok = abs(ratio - written) <= 0.1 * written + (0.5 * 10 ** -decimals if m.group("num") else 0.0)
        else:
            ok = abs(ratio - written) <= max(0.5 * 10 ** -decimals, 0.05 * written)
        claims.append(make_claim("relation", m.group(0).strip(), ok, f"{what} ratio is {ratio:.2f}"))
    return claims
