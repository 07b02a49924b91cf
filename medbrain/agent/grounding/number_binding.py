"""Numbers bound to the facts: each must match a fact of the quantity its words name.

A number is supported only when a fact of the named quantity (region, method, sequence,
structure, side, measure word and unit all consistent) rounds to it at the precision
written (hedged numbers within a few per cent, bounds as bounds, ranges as ranges). A
number with no recognisable quantity fails. Sub-region shares ("ET is 40% of the core")
are computed from the volumes, and "in every region" / "all three regions" claims are
checked per region. The fact that names the most of what the words say wins: a share said of
a sequence is that sequence's share (Shapley's per region when no method is named, IG's when
IG or "attribution" is, the signed one only when "signed" is said), a share said of a side is
that side's fraction, a count noun ("four lesions", "one slice") binds only to facts of that
noun, thresholds only to words naming a threshold (and exactly), and a qualifier named
(baseline or blur imputation, initial or final) excludes facts carrying the other one.
Reading the number is :mod:`medbrain.agent.grounding.number_mentions`; reading its
quantity is :mod:`medbrain.agent.grounding.number_context`; the facts as grounding sees them
(extra key concepts, derived counts) are :mod:`medbrain.agent.grounding.number_facts`; matching a
number to one fact is :mod:`medbrain.agent.grounding.number_match`; the sentence-level forms
(lists, shares computed from volumes, ratios, grids, every-region and every-method values) are
:mod:`medbrain.agent.grounding.number_forms`; numbers paired with parallel lists of labels are
:mod:`medbrain.agent.grounding.number_lists`, the qualifier each number carries when a sentence
names several is :mod:`medbrain.agent.grounding.number_qualifiers`, and members of one recorded
tuple (centroid coordinates, a token grid, a quoted reference budget) are
:mod:`medbrain.agent.grounding.number_tuples`.
"""

from __future__ import annotations

import re
from dataclasses import replace

from medbrain.agent.grounding.lexicon import PERCENT_OF_TUMOUR_RE
from medbrain.agent.grounding.number_context import Context, SentenceContext, last_in
from medbrain.agent.grounding.number_facts import grounding_numbers
from medbrain.agent.grounding.number_forms import (
    each_sequence, every_method, every_pair, every_region, grid_verdicts, list_regions, ratio_verdicts, sequences_together,
    subregion_ratio,
)
from medbrain.agent.grounding.number_lists import apply_parallel_lists
from medbrain.agent.grounding.number_match import NumberVerdict, compatible, narrowest, sentence_concepts, value_matches
from medbrain.agent.grounding.number_mentions import NumberMention, find_numbers
from medbrain.agent.grounding.number_qualifiers import scoped_qualifiers, with_qualifiers
from medbrain.agent.grounding.number_tuples import tuple_verdicts
from medbrain.facts import Fact, FactCatalogue

__all__ = ["NumberVerdict", "check_sentence_numbers", "value_matches"]

_LARGEST_RE = re.compile(r"\blargest (?:axial |cross[- ]sectional )?(?:cross[- ]section|slice|area|extent)\b", re.I)
_EVERY_RE = re.compile(r"\b(?:in|for|across)\s+(?:every|each|all(?: three| four)?|any)(?: of the)?\s+(?:three\s+|four\s+)?"
                       r"(?:regions?|sub-?regions?|methods?)\b", re.I)
# "all three regions have a Dice above 0.85": the regions as the subject, anywhere in the sentence
_ALL_REGIONS_RE = re.compile(r"\ball (?:three|3) (?:dice |region(?:al)? )?(?:scores|values|dice scores)\b|"
                             r"\b(?:all(?: three| four| the)?|every|each)(?: of the)?\s+(?:three\s+|four\s+)?(?:tumou?r\s+)?"
                             r"(?:regions?|sub-?regions?)\b", re.I)
_EXPLAINED_RE = re.compile(r"\b(?:explanations?|explained|explain\w*|attribution maps?|heat ?maps?|saliency|"
                           r"explanation methods?|methods were applied)\b", re.I)
_TOP_RE = re.compile(r"\btop[- ]?$|\btop\s+(?:of\s+)?$", re.I)
_EACH_RE = re.compile(r"^\s*(?:%\s*)?each\b", re.I)
_SEQUENCES_RE = re.compile(r"\bsequences\b", re.I)


_INDEXED_RE = re.compile(r"^(?P<parent>.*)\[(?P<i>[01])\]$")


def _recorded_interval(n: NumberMention, candidates: list[Fact]) -> tuple[bool, Fact] | None:
    """For a range ("0.2–0.5"), whether it is a recorded interval among the candidates (``band[0]``,
    ``band[1]``), end for end, with the interval's first end; None when no interval is among them."""
    if n.hi is None:
        return None
    ends: dict[str, dict[int, Fact]] = {}
    for f in candidates:
        m = _INDEXED_RE.match(f.path)
        if m:
            ends.setdefault(m.group("parent"), {})[int(m.group("i"))] = f
    pairs = [(d[0], d[1]) for d in ends.values() if 0 in d and 1 in d]
    if not pairs:
        return None
    scale = 0.01 if n.unit == "" and pairs[0][0].unit == "fraction" and abs(n.value) > 1.0 else n.factor
    tol = 0.5 * 10 ** (-n.decimals) * abs(scale) + 1e-9
    for lo, hi in pairs:
        if abs(float(lo.value) - n.value * scale) <= tol and abs(float(hi.value) - n.hi * scale) <= tol:
            return True, lo
    return False, pairs[0][0]


def _shared_by_methods(n: NumberMention, ctx: Context, numbers: list[Fact], named_concepts: set[str],
                      explained_region: str) -> list[Fact]:
    """ "The chance level is 0.2232": a quantity every method records with one and the same value needs no
    method named (none when the methods' values differ)."""
    per: dict[str, list[Fact]] = {}
    for f in numbers:
        if len(f.methods) == 1:
            one = replace(ctx, methods=set(f.methods), concepts=set(ctx.concepts))
            if compatible(n, one, f, named_concepts):
                per.setdefault(next(iter(f.methods)), []).append(f)
    firsts = [narrowest(facts, replace(ctx, methods={k}), explained_region)[:1] for k, facts in per.items()]
    firsts = [f[0] for f in firsts if f]
    if len(firsts) < 2 or len(firsts) != len(per) or len({round(float(f.value), 6) for f in firsts}) != 1:
        return []
    return firsts[:1]


def check_sentence_numbers(sentence: str, catalogue: FactCatalogue, carried_region: str | None = None) -> list[NumberVerdict]:
    """Bind and check every number of one sentence."""
    mentions = find_numbers(sentence)
    if not mentions:
        return []
    sc = SentenceContext(sentence, carried_region)
    sentence_named = sentence_concepts(sentence, sc)
    scoped = scoped_qualifiers(sentence, mentions)
    verdicts: list[NumberVerdict] = []
    previous: Context | None = None
    numbers = grounding_numbers(catalogue)
    explained_region = str(catalogue.get("explanations", "region") or "WT")
    grid = {**grid_verdicts(sentence, mentions, catalogue), **ratio_verdicts(sentence, mentions, sc, catalogue),
            **tuple_verdicts(sentence, mentions, catalogue)}
    respective = list_regions(sentence, mentions, sc)
    contexts: dict[int, Context] = {}
    for i, n in enumerate(mentions):
        if n.start in grid:
            continue
        prev_end = mentions[i - 1].end if i else 0
        next_start = mentions[i + 1].start if i + 1 < len(mentions) else len(sentence)
        ctx = sc.context(n, prev_end, next_start, previous, mentions[i - 1].unit if i else "")
        if n.start in respective:
            ctx.region = respective[n.start]
        if n.unit == "fraction" and PERCENT_OF_TUMOUR_RE.match(sentence[n.end:]):
            ctx.concepts.discard("volume")
        if "sd" not in ctx.concepts or previous is None:
            previous = ctx  # after "0.744 ± 0.038", a following number inherits the mean's quantity, not the spread's
        contexts[i] = ctx
    apply_parallel_lists(sentence, mentions, contexts)
    for i, n in enumerate(mentions):
        named_concepts = with_qualifiers(sentence_named, scoped.get(n.start))
        if n.start in grid:
            verdicts.append(grid[n.start])
            continue
        ctx = contexts[i]
        if ctx.requirement and n.bound:
            n = replace(n, bound="")  # "requires a mean probability above 0.85": 0.85 is the threshold itself
        ratio = subregion_ratio(sentence, n, last_in(sc.regions, 0, n.start), ctx, catalogue)
        if ratio is not None:
            verdicts.append(ratio)
            continue
        every = _ALL_REGIONS_RE.search(sentence)
        unnamed = every is not None and not [p for p, _ in sc.regions if not every.start() <= p < every.end()]
        if not ctx.requirement and ((n.bound and (_EVERY_RE.search(sentence[n.end:]) or every)) or unnamed):
            per_region = every_region(n, ctx, numbers, named_concepts)
            if per_region is not None:
                verdicts.append(per_region)
                continue
        per_method = every_method(n, ctx, sentence, numbers, named_concepts)
        if per_method is not None:
            verdicts.append(per_method)
            continue
        pair_verdict = every_pair(n, ctx, sentence, numbers)
        if pair_verdict is not None:
            verdicts.append(pair_verdict)
            continue
        together = sequences_together(n, ctx, sc, numbers, named_concepts, explained_region)
        if together is not None:
            verdicts.append(together)
            continue
        if ctx.sequence is None and _EACH_RE.match(sentence[n.end:]) and _SEQUENCES_RE.search(sentence):
            each = each_sequence(n, ctx, numbers, named_concepts, explained_region)
            if each is not None:
                verdicts.append(each)
                continue
        if n.unit == "fraction" and _TOP_RE.search(sentence[:n.start]):
            top = [f for f in numbers if f.path == "comparison.top_fraction"]  # "IoU of the top 10%": the overlap's cut
            if top:
                ok = value_matches(n, top[0])
                verdicts.append(NumberVerdict(n, ok, "" if ok else f"{n.raw}%: the overlap uses the top {top[0].display()}",
                                              top[0].path if ok else None))
                continue
        candidates = narrowest([f for f in numbers if compatible(n, ctx, f, named_concepts)], ctx, explained_region)
        if not candidates and not ctx.methods:
            candidates = _shared_by_methods(n, ctx, numbers, named_concepts, explained_region)
        if "slice" in ctx.concepts and _EXPLAINED_RE.search(sentence) \
                and any(f.path.startswith("explanations.") for f in candidates):
            candidates = [f for f in candidates if f.path.startswith("explanations.")]  # "the methods explain slice 64"
        if _LARGEST_RE.search(sentence) and any("largest" in f.concepts for f in candidates):
            candidates = [f for f in candidates if "largest" in f.concepts]  # "the largest cross-section is on slice 93"
        interval = _recorded_interval(n, candidates)
        if interval is not None:  # "the 0.2–0.5 band": a recorded interval is matched end for end
            ok, first = interval
            verdicts.append(NumberVerdict(n, ok, "" if ok else f"{n.raw}–{n.hi:g}: the recorded interval starts at "
                                          f"{first.display()} ({first.path})", first.path if ok else None))
            continue
        hit = next((f for f in candidates if value_matches(n, f)), None)
        if hit is None and ctx.side and not ctx.region and ctx.side == str(catalogue.get("measurements", "side", "side") or ""):
            # "an area of about 81.79 mL on the left side": on the side it lies on, the whole lesion's volume
            whole = narrowest([f for f in numbers if not f.side and compatible(n, replace(ctx, side=None), f, named_concepts)],
                              replace(ctx, side=None), explained_region)
            hit = next((f for f in whole if value_matches(n, f)), None)
        unit = n.unit_text or (n.unit if not n.unit.startswith("other:") else "")
        shown = n.raw + (f" {unit}" if unit else "")
        if hit:
            verdicts.append(NumberVerdict(n, True, "", hit.path))
        elif n.unit.startswith("other:"):
            verdicts.append(NumberVerdict(n, False, f"{shown} {n.unit[6:]}: no tool result has this unit"))
        elif candidates:
            best = candidates[0]
            verdicts.append(NumberVerdict(n, False, f"{shown}: the tools give {best.display()} ({best.path})"))
        else:
            what = ", ".join(filter(None, [ctx.region, *sorted(ctx.methods), ctx.sequence, ctx.structure, ctx.side,
                                           *sorted(ctx.concepts)]))
            verdicts.append(NumberVerdict(n, False, f"{shown}: no tool result of this quantity"
                                          + (f" ({what})" if what else " (no quantity named)")))
    return verdicts
