"""Sentence-level number forms: a number whose quantity is more than one fact.

Sub-region shares computed from the volumes ("ET is about 40% of the core"), bounds over every
region ("above 0.9 in all three regions"), a value every method has ("the chance level of all methods"), a share each of several sequences hold, shares of
sequences together, a value of every pair with a method, volume ratios ("5 to 1"), the image
grid ("240 × 240 × 155") and the region each number of a list belongs to ("respectively",
"WT/TC/ET: ...", "26 of 129 mL"). :mod:`medbrain.agent.grounding.number_binding` tries these
before binding a number to a single fact.
"""

from __future__ import annotations

import re

from medbrain.agent.grounding.lexicon import REGION_TERMS
from medbrain.agent.grounding.number_context import Context, SentenceContext, last_in
from medbrain.agent.grounding.number_match import NumberVerdict, compatible, narrowest, value_matches
from medbrain.agent.grounding.number_mentions import NumberMention
from medbrain.agent.grounding.text import conjunct_start
from medbrain.facts import Fact, FactCatalogue


_CONTAINER = r"(tumou?r core|core|whole[- ]tumou?r|tumou?r|TC|WT|marked (?:area|region)|segmented (?:area|region)|whole lesion)"
# "a quarter of the 57.17 mL tumour core": the container's own volume may stand before its name
_OF_CONTAINER_RE = re.compile(rf"^\s*\)?\s*of\s+(?:the\s+)?(?:\d+(?:\.\d+)?\s*(?:mL|ml|cc)\s+)?(?:predicted\s+)?{_CONTAINER}\b",
                              re.I)
_OF_CONTAINER_BEFORE_RE = re.compile(rf"\b(?:of|in)\s+(?:the\s+)?(?:predicted\s+)?{_CONTAINER}\b", re.I)


def subregion_ratio(sentence: str, n: NumberMention, part: str | None, ctx: Context,
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
    if n.unit != "fraction" or not m or part not in ("ET", "NCR", "ED", "TC") or ctx.structure or ctx.side \
            or ctx.sequence or ctx.methods:
        return None  # "FLAIR holds 30% of the whole-tumour Shapley effect": a sequence's share, not a sub-region's
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


def every_region(n: NumberMention, ctx: Context, numbers: list[Fact], sentence_concepts: set[str]) -> "NumberVerdict | None":
    """ "above 0.97 in every region": the bound must hold for the quantity of each region (None when the
    quantity named has no per-region facts)."""
    free = Context(None, ctx.methods, ctx.sequence, ctx.structure, ctx.side, ctx.concepts)
    facts = [f for f in numbers if f.region and compatible(n, free, f, sentence_concepts)
             and (f.path.startswith("confidence.regions") or not f.path.startswith("confidence"))]
    if ctx.sequence and any(f.sequence == ctx.sequence for f in facts):
        facts = [f for f in facts if f.sequence == ctx.sequence]  # "FLAIR contributes 23% in every region"
    by_region: dict[str, Fact] = {}
    # the fact that names least beyond what the words say ("Dice" is the Dice against the truth, not the flip Dice)
    for f in sorted(facts, key=lambda f: (len(f.concepts - ctx.concepts - {"confidence"}),
                                          not f.path.startswith("confidence.regions"))):
        by_region.setdefault(f.region, f)
    if not by_region and ctx.concepts:
        return None  # "(4 variants) ... in every region": not a per-region quantity, bound on its own
    if not by_region or not ctx.concepts:
        return NumberVerdict(n, False, f"{n.raw}: no per-region tool result of this quantity")
    failing = [f for f in by_region.values() if not value_matches(n, f)]
    shown = ", ".join(f"{f.region} {f.display()}" for f in by_region.values())
    return NumberVerdict(n, not failing, "" if not failing else f"{n.raw}: not in every region ({shown})",
                         ",".join(f.path for f in by_region.values()))


_ALL_METHODS_RE = re.compile(r"\b(?:all|every|each)(?: of the)?\s+(?:four\s+|three\s+|two\s+)?(?:scored\s+|explanation\s+|attribution\s+)?"
                             r"(?:methods?|maps?)\b", re.I)


def every_method(n: NumberMention, ctx: Context, sentence: str, numbers: list[Fact],
                 sentence_concepts: set[str]) -> "NumberVerdict | None":
    """ "all three scored methods exceed the chance level of about 0.20": the value of each method that has one."""
    if ctx.methods or not ctx.concepts or not _ALL_METHODS_RE.search(sentence):
        return None
    by_method: dict[str, Fact] = {}
    for f in numbers:
        if len(f.methods) == 1 and f.path.startswith("comparison.methods["):
            (method,) = f.methods
            per = Context(ctx.region, {method}, ctx.sequence, ctx.structure, ctx.side, set(ctx.concepts))
            if compatible(n, per, f, sentence_concepts):
                by_method.setdefault(method, f)
    if not by_method:
        return None
    failing = [f for f in by_method.values() if not value_matches(n, f)]
    shown = ", ".join(f"{k} {f.display()}" for k, f in by_method.items())
    return NumberVerdict(n, not failing, "" if not failing else f"{n.raw}: not for every method ({shown})",
                         ",".join(f.path for f in by_method.values()) if not failing else None)


def each_sequence(n: NumberMention, ctx: Context, numbers: list[Fact], sentence_concepts: set[str],
                   explained_region: str) -> "NumberVerdict | None":
    """ "the other three sequences contribute about 23% each": a share several sequences each hold."""
    hits, seen = [], []
    for seq in ("t1", "t1ce", "t2", "flair"):
        per = Context(ctx.region, set(ctx.methods), seq, ctx.structure, ctx.side, set(ctx.concepts))
        facts = narrowest([f for f in numbers if f.sequence == seq and compatible(n, per, f, sentence_concepts)],
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


def every_pair(n: NumberMention, ctx: Context, sentence: str, numbers: list[Fact]) -> "NumberVerdict | None":
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


def sequences_together(n: NumberMention, ctx: Context, sc: SentenceContext, numbers: list[Fact],
                        sentence_concepts: set[str], explained_region: str) -> "NumberVerdict | None":
    """ "FLAIR and T1ce together account for about two thirds": the sum of the named sequences' shares."""
    own = conjunct_start(sc.s, n.start)  # "FLAIR and T1ce together …, and T2 for 18.2%": T2 is not in the sum
    named = list(dict.fromkeys(q for p, q in sc.sequences if own <= p < n.start))
    if len(named) < 2 or n.unit != "fraction" or not _TOGETHER_RE.search(sc.s):
        return None
    total, paths = 0.0, []
    for seq in named:
        per = Context(ctx.region, set(ctx.methods), seq, ctx.structure, ctx.side, set(ctx.concepts))
        facts = narrowest([f for f in numbers if f.sequence == seq and f.unit == "fraction"
                            and compatible(n, per, f, sentence_concepts)], per, explained_region)
        if not facts:
            return None
        total += float(facts[0].value)
        paths.append(facts[0].path)
    fact = Fact(path="+".join(paths), value=total, quantity="share", unit="fraction", precision=3)
    ok = value_matches(n, fact)
    return NumberVerdict(n, ok, "" if ok else f"{n.raw}: together {', '.join(named)} hold {100 * total:.1f}%",
                         fact.path if ok else None)


_VOLUME_RATIO_RE = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s*(?:to|:)\s*1(?![\w]|\.\d)")


def ratio_verdicts(sentence: str, mentions: list[NumberMention], sc: SentenceContext,
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


def grid_verdicts(sentence: str, mentions: list[NumberMention], catalogue: FactCatalogue) -> dict[int, NumberVerdict]:
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


def list_regions(sentence: str, mentions: list[NumberMention], sc: SentenceContext) -> dict[int, str]:
    """ "Oedema and tumour core ... at 36.9 mL and 37.6 mL respectively": the k-th number is the k-th region's."""
    if len(mentions) < 2:
        return {}
    part_of = _PART_OF_RE.search(sentence)
    named = list(dict.fromkeys(r for p, r in sc.regions if part_of and p < part_of.start()))
    if part_of and len(named) >= 2:  # "the core is a fifth of the whole tumour (26.35 of 128.75 mL)"
        part, whole = named[0], named[-1]
        if part in _CONTAINS.get(whole, ()) or whole not in _CONTAINS.get(part, ()):
            pass
        else:  # "most of the whole tumour is oedema (98.02 of 121 mL)": the part is the region the other contains
            part, whole = whole, part
        spans = {part_of.start(1): part, part_of.start(2): whole}
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


# which region holds which: the whole tumour holds every sub-region, the core its enhancing and necrotic parts
_CONTAINS = {"WT": ("TC", "ET", "NCR", "ED"), "TC": ("ET", "NCR")}
_RESPECTIVELY_RE = re.compile(r"\brespectively\b", re.I)
_PART_OF_RE = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s+of\s+(\d+(?:\.\d+)?)\s*(?:mL|ml|cc|cm³)", re.I)
_SLASH_REGIONS_RE = re.compile(r"\b(?:WT|TC|ET|NCR|ED)(?:\s*/\s*(?:WT|TC|ET|NCR|ED))+\b")

