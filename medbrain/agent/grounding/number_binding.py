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
(extra key concepts, derived counts) are :mod:`medbrain.agent.grounding.number_facts`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from medbrain.agent.grounding.lexicon import PERCENT_OF_TUMOUR_RE, REGION_TERMS
from medbrain.agent.grounding.number_context import MODIFIERS, Context, SentenceContext, last_in
from medbrain.agent.grounding.number_facts import QUALIFIERS, grounding_numbers, qualifier_of
from medbrain.agent.grounding.number_mentions import NumberMention, find_numbers
from medbrain.facts import Fact, FactCatalogue

_LARGEST_RE = re.compile(r"\blargest (?:axial |cross[- ]sectional )?(?:cross[- ]section|slice|area|extent)\b", re.I)
_EVERY_RE = re.compile(r"\b(?:in|for|across)\s+(?:every|each|all(?: three| four)?|any)(?: of the)?\s+(?:three\s+|four\s+)?"
                       r"(?:regions?|sub-?regions?|methods?)\b", re.I)
# "all three regions have a Dice above 0.85": the regions as the subject, anywhere in the sentence
_ALL_REGIONS_RE = re.compile(r"\ball (?:three|3) (?:dice |region(?:al)? )?(?:scores|values|dice scores)\b|"
                             r"\b(?:all(?: three| four| the)?|every|each)(?: of the)?\s+(?:three\s+|four\s+)?(?:tumou?r\s+)?"
                             r"(?:regions?|sub-?regions?)\b", re.I)
_EXPLAINED_RE = re.compile(r"\b(?:explanations?|explained|explain\w*|attribution maps?|heat ?maps?|saliency|"
                           r"explanation methods?|methods were applied)\b", re.I)
_EACH_RE = re.compile(r"^\s*(?:%\s*)?each\b", re.I)
_SEQUENCES_RE = re.compile(r"\bsequences\b", re.I)
_QUALIFIER_TEXT = {"baseline": re.compile(r"(?<!random )(?<!random-)\bbaseline\b(?!\s+(?:map|maps))", re.I),
                   "blur": re.compile(r"\bblur(?:red|ring)?\b", re.I),
                   "initial": re.compile(r"\binitial(?:ly)?\b", re.I), "final": re.compile(r"\bfinal(?:ly)?\b", re.I),
                   "truth": re.compile(r"\b(?:ground[- ]truth|truth|reference (?:segmentation|labels?)|manual "
                                       r"(?:segmentation|labels?)|(?:against|versus|vs\.?) the reference)\b", re.I),
                   "expected": re.compile(r"\b(?:cross-?validat\w*|expected)\b", re.I)}
_SIGNED_RE = re.compile(r"(?<!un)\bsigned\b", re.I)
HEDGE_RELATIVE = 0.03  # "roughly 210 mL" for 213.74 mL: a hedged number may be off by 3 %
_UNIT_COMPAT = {"mL": {"mL"}, "mm": {"mm"}, "mm2": {"mm2"}, "fraction": {"fraction"}, "s": {"s"}, "bits": {"bits"}}


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
        tol = max(tol, HEDGE_RELATIVE * abs(v))
    if n.from_word and n.unit == "fraction":
        tol = max(tol, 0.05)  # "about half", "two thirds": coarse by nature
    if n.hi is not None:
        hi = n.hi * written_scale
        return lo - tol <= v <= hi + tol
    if n.bound == "min":
        return v >= lo - (tol if n.hedged else 1e-9)
    if n.bound == "max":
        return v <= lo + 1e-9
    return abs(v - lo) <= tol


def _compatible(n: NumberMention, ctx: Context, fact: Fact, sentence_concepts: set[str]) -> bool:
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
    if ctx.concepts and not ctx.concepts <= (fact.concepts | _IMPLIED.get(fact.unit, set())):
        return False
    core = fact.concepts - MODIFIERS - {"confidence", "fraction"}
    if not fact.headline and not (core and core <= (ctx.concepts | sentence_concepts | _IMPLIED.get(fact.unit, set()))):
        return False
    if ("sd" in fact.concepts) != ("sd" in ctx.concepts):
        return False  # a spread ("± 0.075", "sd 0.04") is only ever a spread, and a mean never one
    if "threshold" in fact.concepts and "threshold" not in ctx.concepts:
        return False  # a threshold (floor, cut-off) is cited only as one
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


_IMPLIED = {"mL": {"volume"}, "mm2": {"area", "product"}, "mm": {"diameter", "extent"}, "slice": {"slice"},
            "fraction": {"share", "fraction", "volume", "structure", "voxels"}, "count": {"count", "voxels", "lesions"}}


_CONTAINER = r"(tumou?r core|core|whole[- ]tumou?r|tumou?r|TC|WT|marked (?:area|region)|segmented (?:area|region)|whole lesion)"
_OF_CONTAINER_RE = re.compile(rf"^\s*\)?\s*of\s+(?:the\s+)?(?:predicted\s+)?{_CONTAINER}\b", re.I)
_OF_CONTAINER_BEFORE_RE = re.compile(rf"\b(?:of|in)\s+(?:the\s+)?(?:predicted\s+)?{_CONTAINER}\b", re.I)


def _subregion_ratio(sentence: str, n: NumberMention, part: str | None, ctx: Context,
                     cat: FactCatalogue) -> "NumberVerdict | None":
    """ "ET is about 40% of the core": a share of one sub-region in another, computed from the volumes."""
    m = _OF_CONTAINER_RE.match(sentence[n.end:])
    if not m and n.unit == "fraction" and not (ctx.methods or ctx.sequence or ctx.structure or ctx.side) \
            and ctx.concepts <= {"share", "fraction", "volume"}:
        # "Oedema is just under half of the whole tumour, about 49.6%"; "83% of the core, necrosis the remaining 17%"
        before = list(_OF_CONTAINER_BEFORE_RE.finditer(sentence, 0, n.start))
        if before:
            m = before[-1]
            regions = SentenceContext(sentence).regions
            part = last_in(regions, m.end(), n.start) or last_in(regions, 0, m.start())
    elif m and part is None:  # "a third of the whole tumour (about 35%) is enhancing tumour"
        later = re.match(r"^[^.;]{0,30}?\b(?:is|are|consists? of|comprises?)\s+(?:the\s+)?(?:peritumou?ral\s+)?(\w+(?:\s\w+)?)",
                         sentence[n.end + m.end():], re.I)
        words = later.group(1).lower() if later else ""
        part = next((v for k, v in REGION_TERMS.items() if len(k) > 3 and words.startswith(k)), None)
        if part is None:  # "a fifth of the marked area is what doctors call the tumour core"
            rest = n.end + m.end()
            part = next((r for p, r in SentenceContext(sentence).regions if rest <= p <= rest + 50), None)
    if n.unit != "fraction" or not m or part not in ("ET", "NCR", "ED", "TC") or ctx.structure or ctx.side:
        return None
    ctx = Context(region=part)
    word = m.group(1).lower()
    container = "TC" if word in ("tumour core", "tumor core", "core", "tc") else "WT"
    if ctx.region == container:
        return None
    volumes = cat.get("measurements", "volumes_ml", default={}) or {}
    total = float(volumes.get(container) or 0.0)
    if not total:
        return NumberVerdict(n, False, f"{n.raw}%: the {container} volume is 0 mL")
    share = float(volumes.get(ctx.region) or 0.0) / total
    fact = Fact(path=f"measurements.volumes_ml.{ctx.region}/{container}", value=share, quantity="share",
                unit="fraction", precision=3, region=ctx.region)
    ok = value_matches(n, fact)
    return NumberVerdict(n, ok, "" if ok else f"{n.raw}%: {ctx.region} is {round(100 * share, 1)}% of {container} "
                                              "(from the volumes)", fact.path if ok else None)


def _every_region(n: NumberMention, ctx: Context, numbers: list[Fact], sentence_concepts: set[str]) -> "NumberVerdict":
    """ "above 0.97 in every region": the bound must hold for the quantity of each region."""
    free = Context(None, ctx.methods, ctx.sequence, ctx.structure, ctx.side, ctx.concepts)
    facts = [f for f in numbers if f.region and _compatible(n, free, f, sentence_concepts)
             and (f.path.startswith("confidence.regions") or not f.path.startswith("confidence"))]
    if ctx.sequence and any(f.sequence == ctx.sequence for f in facts):
        facts = [f for f in facts if f.sequence == ctx.sequence]  # "FLAIR contributes 23% in every region"
    by_region: dict[str, Fact] = {}
    # the fact that names least beyond what the words say ("Dice" is the Dice against the truth, not the flip Dice)
    for f in sorted(facts, key=lambda f: (len(f.concepts - ctx.concepts - {"confidence"}),
                                          not f.path.startswith("confidence.regions"))):
        by_region.setdefault(f.region, f)
    if not by_region or not ctx.concepts:
        return NumberVerdict(n, False, f"{n.raw}: no per-region tool result of this quantity")
    failing = [f for f in by_region.values() if not value_matches(n, f)]
    shown = ", ".join(f"{f.region} {f.display()}" for f in by_region.values())
    return NumberVerdict(n, not failing, "" if not failing else f"{n.raw}: not in every region ({shown})",
                         ",".join(f.path for f in by_region.values()))


@dataclass
class NumberVerdict:
    mention: NumberMention
    supported: bool
    reason: str
    fact_path: str | None = None


def _sentence_concepts(sentence: str, sc: SentenceContext) -> set[str]:
    """Concept words of the whole sentence, with the qualifiers it names (``q:blur``, ``q:signed``)."""
    out = {c for _, c in sc.concepts} | {"m:" + k for _, k in sc.methods}
    out |= {"q:" + q for q, pattern in _QUALIFIER_TEXT.items() if pattern.search(sentence)}
    if _SIGNED_RE.search(sentence):
        out |= {"q:signed", "signed"}
    return out


def _narrowest(candidates: list[Fact], ctx: Context, explained_region: str) -> list[Fact]:
    """The candidates that are about everything the words name: a number said of a sequence or a
    side is that sequence's or side's share when one exists; Shapley's per-region shares default
    to the explained region."""
    if ctx.sequence and any(f.sequence == ctx.sequence for f in candidates):
        candidates = [f for f in candidates if f.sequence == ctx.sequence]
    if ctx.side and any(f.side == ctx.side for f in candidates):
        candidates = [f for f in candidates if f.side == ctx.side]
    if ctx.region is None:
        candidates = [f for f in candidates if not (f.path.startswith("explanations.shapley.regions.")
                                                    and f.region != explained_region)]
    if ctx.counted:  # "four lesions", "one slice": a fact of that very noun
        candidates = [f for f in candidates if ctx.concepts <= f.concepts]
    return candidates


def _each_sequence(n: NumberMention, ctx: Context, numbers: list[Fact], sentence_concepts: set[str],
                   explained_region: str) -> "NumberVerdict | None":
    """ "the other three sequences contribute about 23% each": a share several sequences each hold."""
    hits, seen = [], []
    for seq in ("t1", "t1ce", "t2", "flair"):
        per = Context(ctx.region, set(ctx.methods), seq, ctx.structure, ctx.side, set(ctx.concepts))
        facts = _narrowest([f for f in numbers if f.sequence == seq and _compatible(n, per, f, sentence_concepts)],
                           per, explained_region)
        if facts:
            seen.append(facts[0])
            hits.extend(f for f in facts[:1] if value_matches(n, f))
    if len(seen) < 2:
        return None
    ok = len(hits) >= 2
    shown = ", ".join(f"{f.sequence} {f.display()}" for f in seen)
    return NumberVerdict(n, ok, "" if ok else f"{n.raw}: no two sequences hold this share ({shown})",
                         ",".join(f.path for f in hits) if ok else None)


_GRID_RE = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s*[×x]\s*(\d+(?:\.\d+)?)\s*[×x]\s*(\d+(?:\.\d+)?)(?![\w]|\.\d)"
                      r"(?P<unit>\s*(?:mm|millimet\w*))?", re.I)


_EVERY_PAIR_RE = re.compile(r"\b(?:every|each|all)\s+(?:\w+\s+)?(?:pair(?:ing)?s?|combinations?)\s+(?:with|involving|including)\b", re.I)


def _every_pair(n: NumberMention, ctx: Context, sentence: str, numbers: list[Fact]) -> "NumberVerdict | None":
    """ "every pairing with attention rollout had a top-10% IoU of 0": the value of each pair with that method."""
    if len(ctx.methods) != 1 or not _EVERY_PAIR_RE.search(sentence) or not ctx.concepts & {"iou", "spearman"}:
        return None
    (method,) = ctx.methods
    pairs = [f for f in numbers if len(f.methods) == 2 and method in f.methods and f.path.startswith("comparison.pairs[")
             and ctx.concepts & f.concepts]
    if not pairs:
        return None
    failing = [f for f in pairs if not value_matches(n, f)]
    return NumberVerdict(n, not failing, "" if not failing else f"{n.raw}: not for every pair with {method} "
                         f"({', '.join(f.display() for f in pairs)})", ",".join(f.path for f in pairs) if not failing else None)


_TOGETHER_RE = re.compile(r"\b(?:together|combined|jointly|between them)\b", re.I)


def _sequences_together(n: NumberMention, ctx: Context, sc: SentenceContext, numbers: list[Fact],
                        sentence_concepts: set[str], explained_region: str) -> "NumberVerdict | None":
    """ "FLAIR and T1ce together account for about two thirds": the sum of the named sequences' shares."""
    named = list(dict.fromkeys(q for p, q in sc.sequences if p < n.start))
    if len(named) < 2 or n.unit != "fraction" or not _TOGETHER_RE.search(sc.s):
        return None
    total, paths = 0.0, []
    for seq in named:
        per = Context(ctx.region, set(ctx.methods), seq, ctx.structure, ctx.side, set(ctx.concepts))
        facts = _narrowest([f for f in numbers if f.sequence == seq and f.unit == "fraction"
                            and _compatible(n, per, f, sentence_concepts)], per, explained_region)
        if not facts:
            return None
        total += float(facts[0].value)
        paths.append(facts[0].path)
    fact = Fact(path="+".join(paths), value=total, quantity="share", unit="fraction", precision=3)
    ok = value_matches(n, fact)
    return NumberVerdict(n, ok, "" if ok else f"{n.raw}: together {', '.join(named)} hold {100 * total:.1f}%",
                         fact.path if ok else None)


_VOLUME_RATIO_RE = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s*(?:to|:)\s*1(?![\w]|\.\d)")


def _ratio_verdicts(sentence: str, mentions: list[NumberMention], sc: SentenceContext,
                    catalogue: FactCatalogue) -> dict[int, NumberVerdict]:
    """ "the enhancing-to-necrotic volume ratio is almost 5 to 1": the ratio of the two regions' volumes."""
    out: dict[int, NumberVerdict] = {}
    volumes = catalogue.get("measurements", "volumes_ml", default={}) or {}
    for m in _VOLUME_RATIO_RE.finditer(sentence):
        named = list(dict.fromkeys(r for p, r in sc.regions if p < m.start()))
        joined = re.search(r"\b([a-z]+)-to-([a-z]+)\b", sentence[:m.start()], re.I)  # "enhancing-to-necrotic"
        if joined and all(w.lower() in REGION_TERMS for w in joined.groups()):
            named = [REGION_TERMS[w.lower()] for w in joined.groups()]
        if not re.search(r"\bratio\b", sentence, re.I) or len(named) != 2 or not all(volumes.get(r) for r in named):
            continue
        ratio = float(volumes[named[0]]) / float(volumes[named[1]])
        hedged = bool(re.search(r"\b(?:almost|about|around|roughly|approximately|nearly|close to|some)\s*$",
                                sentence[max(0, m.start() - 20):m.start()], re.I))
        written = float(m.group(1))
        decimals = len(m.group(1).split(".")[1]) if "." in m.group(1) else 0
        ok = abs(ratio - written) <= (max(0.5 * 10 ** -decimals, 0.1 * ratio) if hedged else 0.5 * 10 ** -decimals)
        reason = "" if ok else f"{m.group(0)}: {named[0]}/{named[1]} is {ratio:.2f} to 1 (from the volumes)"
        for n in mentions:
            if m.start() <= n.start < m.end():
                out[n.start] = NumberVerdict(n, ok, reason, f"measurements.volumes_ml.{named[0]}/{named[1]}" if ok else None)
    return out


def _grid_verdicts(sentence: str, mentions: list[NumberMention], catalogue: FactCatalogue) -> dict[int, NumberVerdict]:
    """ "a 240 × 240 × 155 grid", "1 × 1 × 1 mm voxels": three numbers that are the image grid or voxel size."""
    out: dict[int, NumberVerdict] = {}
    for m in _GRID_RE.finditer(sentence):
        values = sorted(float(g) for g in m.groups()[:3])
        key = ("case", "spacing_mm") if m.group("unit") else ("case", "shape")
        truth = catalogue.get(*key)
        ok = isinstance(truth, list) and len(truth) == 3 and values == sorted(float(v) for v in truth)
        shown = " × ".join(f"{v:g}" for v in truth) if isinstance(truth, list) else "not recorded"
        what = "voxel size (mm)" if m.group("unit") else "image grid"
        for n in mentions:
            if m.start() <= n.start < m.end():
                out[n.start] = NumberVerdict(n, ok, "" if ok else f"{n.raw}: the {what} is {shown}",
                                             ".".join(key) if ok else None)
    return out


def _respectively(sentence: str, mentions: list[NumberMention], sc: SentenceContext) -> dict[int, str]:
    """ "Oedema and tumour core ... at 36.9 mL and 37.6 mL respectively": the k-th number is the k-th region's."""
    if len(mentions) < 2:
        return {}
    part_of = _PART_OF_RE.search(sentence)
    named = list(dict.fromkeys(r for p, r in sc.regions if part_of and p < part_of.start()))
    if part_of and len(named) >= 2:  # "the core is a fifth of the whole tumour (26.35 of 128.75 mL)"
        spans = {part_of.start(1): named[0], part_of.start(2): named[-1]}
        return {n.start: spans[n.start] for n in mentions if n.start in spans}
    slash = _SLASH_REGIONS_RE.search(sentence, 0, mentions[0].start)
    if slash:  # "Uncertain voxels WT/TC/ET: 6.5%, 10.6%, 7.6%"
        regions = [REGION_TERMS.get(w.lower(), w.upper()) for w in re.split(r"\s*/\s*", slash.group(0))]
        return {n.start: r for n, r in zip(mentions, regions)} if len(regions) == len(mentions) else {}
    if not _RESPECTIVELY_RE.search(sentence):
        return {}
    before = [r for p, r in sc.regions if p < mentions[0].start]
    after = [r for p, r in sc.regions if p > mentions[-1].end]
    regions = before if len(before) == len(mentions) else after  # "0.96, 0.922 and 0.919 for WT, TC and ET respectively"
    if len(regions) != len(mentions):
        return {}
    return {n.start: r for n, r in zip(mentions, regions)}


_RESPECTIVELY_RE = re.compile(r"\brespectively\b", re.I)
_PART_OF_RE = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s+of\s+(\d+(?:\.\d+)?)\s*(?:mL|ml|cc|cm³)", re.I)
_SLASH_REGIONS_RE = re.compile(r"\b(?:WT|TC|ET|NCR|ED)(?:\s*/\s*(?:WT|TC|ET|NCR|ED))+\b")


def check_sentence_numbers(sentence: str, catalogue: FactCatalogue, carried_region: str | None = None) -> list[NumberVerdict]:
    """Bind and check every number of one sentence."""
    mentions = find_numbers(sentence)
    if not mentions:
        return []
    sc = SentenceContext(sentence, carried_region)
    sentence_concepts = _sentence_concepts(sentence, sc)
    verdicts: list[NumberVerdict] = []
    previous: Context | None = None
    numbers = grounding_numbers(catalogue)
    explained_region = str(catalogue.get("explanations", "region") or "WT")
    grid = {**_grid_verdicts(sentence, mentions, catalogue), **_ratio_verdicts(sentence, mentions, sc, catalogue)}
    respective = _respectively(sentence, mentions, sc)
    for i, n in enumerate(mentions):
        if n.start in grid:
            verdicts.append(grid[n.start])
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
        if ctx.requirement and n.bound:
            n = replace(n, bound="")  # "requires a mean probability above 0.85": 0.85 is the threshold itself
        ratio = _subregion_ratio(sentence, n, last_in(sc.regions, 0, n.start), ctx, catalogue)
        if ratio is not None:
            verdicts.append(ratio)
            continue
        every = _ALL_REGIONS_RE.search(sentence)
        unnamed = every is not None and not [p for p, _ in sc.regions if not every.start() <= p < every.end()]
        if not ctx.requirement and ((n.bound and (_EVERY_RE.search(sentence[n.end:]) or every)) or unnamed):
            verdicts.append(_every_region(n, ctx, numbers, sentence_concepts))
            continue
        every_pair = _every_pair(n, ctx, sentence, numbers)
        if every_pair is not None:
            verdicts.append(every_pair)
            continue
        together = _sequences_together(n, ctx, sc, numbers, sentence_concepts, explained_region)
        if together is not None:
            verdicts.append(together)
            continue
        if ctx.sequence is None and _EACH_RE.match(sentence[n.end:]) and _SEQUENCES_RE.search(sentence):
            each = _each_sequence(n, ctx, numbers, sentence_concepts, explained_region)
            if each is not None:
                verdicts.append(each)
                continue
        candidates = _narrowest([f for f in numbers if _compatible(n, ctx, f, sentence_concepts)], ctx, explained_region)
        if "slice" in ctx.concepts and _EXPLAINED_RE.search(sentence) \
                and any(f.path.startswith("explanations.") for f in candidates):
            candidates = [f for f in candidates if f.path.startswith("explanations.")]  # "the methods explain slice 64"
        if _LARGEST_RE.search(sentence) and any("largest" in f.concepts for f in candidates):
            candidates = [f for f in candidates if "largest" in f.concepts]  # "the largest cross-section is on slice 93"
        hit = next((f for f in candidates if value_matches(n, f)), None)
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
