"""Matching one written number to one fact: value at the precision written, and compatibility.

:func:`value_matches` says whether a fact rounds to the number as written (precision, hedge,
range, bound); :func:`compatible` whether a fact is of the quantity the number's context names
(unit, region, methods, sequence, structure, side, qualifiers); :func:`narrowest` keeps the
candidates about everything the words name. The sentence-level forms (lists, ratios, grids,
every-region bounds) are :mod:`medbrain.agent.grounding.number_forms`; the sentence walk is
:mod:`medbrain.agent.grounding.number_binding`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from medbrain.agent.grounding.number_context import MODIFIERS, Context, SentenceContext
from medbrain.agent.grounding.number_facts import QUALIFIERS, qualifier_of
from medbrain.agent.grounding.number_mentions import NumberMention
from medbrain.facts import Fact

_QUALIFIER_TEXT = {"baseline": re.compile(r"(?<!random )(?<!random-)\bbaseline\b(?!\s+(?:map|maps))", re.I),
                   "blur": re.compile(r"\bblur(?:red|ring)?\b", re.I),
                   "initial": re.compile(r"\binitial(?:ly)?\b", re.I), "final": re.compile(r"\bfinal(?:ly)?\b", re.I),
                   "truth": re.compile(r"\b(?:ground[- ]truth|truth|reference (?:segmentation|labels?)|manual "
                                       r"(?:segmentation|labels?)|(?:against|versus|vs\.?) the reference)\b", re.I),
                   "expected": re.compile(r"\b(?:cross-?validat\w*|expected)\b", re.I),
                   "random": re.compile(r"\brandom(?:[- ]map)?\s+(?:control|maps?|baseline)\b|\brandom-map\b", re.I),
                   "probability": re.compile(r"\bprobability(?:[- ]map)?\s+control\b|\bprobability maps?\b|"
                                             r"\bmodel's own probabilit", re.I),
                   "near": re.compile(r"\b(?:near|close to|adjacent to|next to|just outside|bordering|around)\s+(?:the\s+)?"
                                      r"(?:[\w-]+\s+)?(?:masks?|borders?|boundar\w+|edges?|segmentation)\b|\bnear[- ]mask\b", re.I),
                   "elsewhere": re.compile(r"\b(?:away from|far from|distant from|detached from|remote from|elsewhere)\b", re.I)}
QUALIFIER_TEXT = _QUALIFIER_TEXT
_PIXEL_RE = re.compile(r"(?<!super)(?<!super-)\bpixel[- ]?(?:level|wise|resolution)\b|\b(?:per|each|every|individual) pixels?\b", re.I)
_SIGNED_RE = re.compile(r"(?<!un)\bsigned\b", re.I)
# facts a number binds to only when their own word is said, headline or not
_NAMED_ONLY = ("uncertain", "centroid")
HEDGE_RELATIVE = 0.03  # "roughly 210 mL" for 213.74 mL: a hedged number may be off by 3 %
_UNIT_COMPAT = {"mL": {"mL"}, "mm": {"mm"}, "mm2": {"mm2"}, "fraction": {"fraction"}, "s": {"s"}, "bits": {"bits"}}


def _last_digit_unit(n: NumberMention) -> float:
    """One unit of the last significant digit written: 0.01 for "0.95", 1 for "98", 10 for "210"."""
    if n.decimals > 0 or n.from_word:
        return 10.0 ** (-n.decimals)
    digits = str(int(abs(round(n.value)))) if abs(n.value) >= 1 else "0"
    zeros = len(digits) - len(digits.rstrip("0")) if digits.strip("0") else 0
    return 10.0 ** zeros


def value_matches(n: NumberMention, fact: Fact) -> bool:
    """Whether ``fact`` rounds to the number as written (precision, hedge, range, bound)."""
    v = float(fact.value)
    written_scale = n.factor
    if n.unit == "" and fact.unit == "fraction" and abs(n.value) > 1.0:
        written_scale = 0.01  # "99.4 of the tumour" style: percentages written without the sign
    lo = n.value * written_scale
    tol = 0.5 * 10 ** (-n.decimals) * abs(written_scale) + 1e-9
    if "threshold" in fact.concepts and not n.hedged:
        tol = 1e-9  # a threshold is a set constant: "0.9" is not the 0.85 cut-off rounded
    if n.hedged:
        # a hedge widens the rounding by a few per cent of the value, but never past one unit of the last digit
        # written ("approximately 98 mL" is not 95.59 mL; "roughly 210 mL" may be 213.74 mL)
        tol = max(tol, min(HEDGE_RELATIVE * abs(v), _last_digit_unit(n) * abs(written_scale)))
    if n.from_word and n.unit == "fraction":
        tol = max(tol, 0.05)  # "about half", "two thirds": coarse by nature
    if n.hi is not None:
        hi = n.hi * written_scale
        return lo - tol <= v <= hi + tol
    if n.bound == "min":
        return v >= lo - (tol if n.near_bound else 1e-9)
    if n.bound == "max":
        return v <= lo + 1e-9
    return abs(v - lo) <= tol


def compatible(n: NumberMention, ctx: Context, fact: Fact, sentence_concepts: set[str]) -> bool:
    if not fact.is_number:
        return False
    if n.unit.startswith("other:"):
        return False
    if n.unit:
        percent_score = n.unit == "fraction" and fact.unit == "score" and bool(ctx.concepts & fact.concepts) \
            and 0.0 <= float(fact.value) <= 1.0
        if fact.unit not in _UNIT_COMPAT.get(n.unit, set()) and not percent_score:
            return False
    elif fact.unit in ("mL", "mm", "mm2", "s", "bits"):
        return False  # a volume or length written without its unit is not bound
    implied = IMPLIED_CONCEPTS.get(fact.unit, set())
    if "product" in fact.concepts:
        implied = implied - {"area"}  # the product of two diameters is in mm² but is no area ("cross-sectional area")
    if ctx.concepts and not ctx.concepts <= (fact.concepts | implied):
        return False
    core = fact.concepts - MODIFIERS - {"confidence", "fraction"}
    if not fact.headline and not (core and core <= (ctx.concepts | sentence_concepts | IMPLIED_CONCEPTS.get(fact.unit, set()))):
        return False
    if ("sd" in fact.concepts) != ("sd" in ctx.concepts):
        return False  # a spread ("± 0.075", "sd 0.04") is only ever a spread, and a mean never one
    if fact.path.endswith("settings.max_steps") and "max" not in ctx.concepts and n.bound != "max":
        return False  # "run with 64 steps" is the steps used, not the cap ("up to 64 steps")
    if len(fact.methods) == 2 and ("q:pixel" in sentence_concepts) != (".pixel_" in fact.path):
        return False  # "at pixel level" is the pixel-level value; otherwise the superpixel one
    if "lift" in fact.concepts and "lift" not in ctx.concepts:
        return False  # a lift is a multiple of chance, checked as a multiple ("6.6 times chance")
    if "threshold" in fact.concepts and "threshold" not in ctx.concepts:
        return False  # a threshold (floor, cut-off) is cited only as one
    if any(c in fact.concepts and c not in ctx.concepts | sentence_concepts for c in _NAMED_ONLY):
        return False  # "voxels above the uncertain-band floor" are not the predicted voxels, a coordinate is no diameter
    if ("others" in fact.concepts) != n.others:
        return False  # "three other components": the lesions besides the largest, and only those
    if "signed" in fact.concepts and "q:signed" not in sentence_concepts:
        return False  # IG's signed shares only when "signed" is said
    if "q:signed" in sentence_concepts and fact.sequence and "signed" not in fact.concepts \
            and "integrated_gradients" in fact.methods:
        return False
    for group, members in QUALIFIERS.items():
        named = {q for q in members if "q:" + q in sentence_concepts}
        carried = qualifier_of(fact.path, group) or next((q for q in members if "q:" + q in fact.concepts), None)
        if carried and named and carried not in named:
            return False  # "blur imputation" is not the baseline-imputation score
        if group == "dice_source" and named and not carried and "dice" in fact.concepts:
            return False  # "expected Dice" / "Dice against the truth": not the flip (TTA) agreement
    if fact.methods and not ctx.methods:
        # a method's result needs the method named; per-sequence shares by region are Shapley's
        if not (fact.sequence and ctx.sequence == fact.sequence and "shapley" in fact.methods):
            return False
    if fact.region and ctx.region and ctx.region != fact.region:
        return False
    if ctx.methods and fact.methods and not (ctx.methods & fact.methods):
        return False
    if len(fact.methods) == 2 and not fact.methods <= ctx.methods and not (
            ctx.methods <= fact.methods and all("m:" + k in sentence_concepts for k in fact.methods)):
        return False  # a pair's value needs both methods named ("X's maps did not overlap (IoU 0) with Y's")
    if len(ctx.methods) >= 2 and ctx.concepts & {"spearman", "iou", "agreement"} and len(fact.methods) < 2:
        return False  # "Grad-CAM and SLICE had a Spearman of 0.49": the pair's value, not one method's stability
    if fact.sequence and ctx.sequence != fact.sequence:
        return False
    if fact.structure and (not ctx.structure or ctx.structure not in fact.structure):
        return False
    if fact.side and ctx.side != fact.side:
        return False
    return True


IMPLIED_CONCEPTS = {"mL": {"volume"}, "mm2": {"area"}, "mm": {"diameter", "extent"}, "slice": {"slice"},
            "fraction": {"share", "fraction", "volume", "structure", "voxels"}, "count": {"count", "voxels", "lesions"}}


@dataclass
class NumberVerdict:
    mention: NumberMention
    supported: bool
    reason: str
    fact_path: str | None = None


def sentence_concepts(sentence: str, sc: SentenceContext) -> set[str]:
    """Concept words of the whole sentence, with the qualifiers it names (``q:blur``, ``q:signed``)."""
    out = {c for _, c in sc.concepts} | {"m:" + k for _, k in sc.methods}
    out |= {"q:" + q for q, pattern in _QUALIFIER_TEXT.items() if pattern.search(sentence)}
    if out & {"q:near", "q:elsewhere"}:
        out.add("outside")  # "close to the mask", "away from it": said of the uncertain band outside the masks
    if _PIXEL_RE.search(sentence):
        out.add("q:pixel")
    if _SIGNED_RE.search(sentence):
        out |= {"q:signed", "signed"}
    return out


def narrowest(candidates: list[Fact], ctx: Context, explained_region: str) -> list[Fact]:
    """The candidates that are about everything the words name: a number said of a sequence or a
    side is that sequence's or side's share when one exists; Shapley's per-region shares default
    to the explained region."""
    if ctx.sequence and any(f.sequence == ctx.sequence for f in candidates):
        candidates = [f for f in candidates if f.sequence == ctx.sequence]
    if ctx.structure and ctx.structure_bound and any(f.structure for f in candidates):
        candidates = [f for f in candidates if f.structure]  # "the left parietal lobe holds 60.2%": the structure's share
    if ctx.side and any(f.side == ctx.side for f in candidates) and not (ctx.region and any(
            f.unit == "mL" and f.side for f in candidates)):
        # a volume said of a named region ("the whole tumour measures 81.79 mL and lies on the left") is the region's;
        # a side's own volume binds only when no region is named ("the right-sided portion is about 0.4 mL")
        candidates = [f for f in candidates if f.side == ctx.side]
    if ctx.region is None:
        candidates = [f for f in candidates if not (f.path.startswith("explanations.shapley.regions.")
                                                    and f.region != explained_region)]
    if ctx.counted:  # "four lesions", "one slice": a fact of that very noun
        candidates = [f for f in candidates if ctx.concepts <= f.concepts]
    return candidates

