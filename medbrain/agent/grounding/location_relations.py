"""Relation claims about where the tumour is, which the basic location checks miss.

- laterality phrasing: "right-sided", "a right frontal mass", "right-predominant",
  "symmetric", "ipsilateral", "respects the midline", "Midline crossing: no";
- structure rank and exclusivity: "the thalamus is the primary site", "frontal lobe only";
- compound lobes: "fronto-parietal" needs both lobes involved;
- sub-region proportions: "the core is mostly enhancing", "oedema makes up the majority",
  "enhancing tumour is larger than the necrosis".

The plain side, midline and anatomy claims are in :mod:`medbrain.agent.grounding.location_claims`.
"""

from __future__ import annotations

import re

from medbrain.agent.grounding.claim import Claim, make_claim
from medbrain.agent.grounding.lexicon import ANATOMY_TERMS, ORDINAL_PLACES
from medbrain.agent.grounding.mentions import ANATOMY_RE, region_mentions
from medbrain.agent.grounding.text import is_negated_at
from medbrain.facts import FactCatalogue, display_word, get

PREDOMINANT_MIN = 0.5  # a side "predominates" when it holds more than half of the tumour
EXCLUSIVE_MIN = 0.95  # "only", "entirely", "confined to": nearly all of the tumour
BALANCED_MIN = 0.4  # "symmetric", "half on each side": both sides hold at least this share


def _side_facts(cat: FactCatalogue) -> tuple[dict, dict[str, float]]:
    side = get(cat.raw, "measurements", "side", default={}) or {}
    shares = {"left": float(side.get("left_fraction") or 0.0), "right": float(side.get("right_fraction") or 0.0)}
    return side, shares


# --------------------------------------------------------------------------- laterality
_SIDE_ADJ_RE = re.compile(
    r"\b(left|right)(?:[- ](?:sided|hemispheric|predominan(?:t|ce)|dominant|lateral(?:ised|ized)?)"
    r"|\s+(?=(?:frontal|temporal|parietal|occipital|insular|fronto\w*|temporo\w*|parieto\w*)\b[^.;]{0,30}"
    r"\b(?:mass|lesion|tumou?r|process|abnormality)))", re.I)
_PREDOMINANCE_RE = re.compile(r"predominan|dominant|bulk|mostly|mainly|majority|largely|centred|centered", re.I)
_PARTIAL_NEAR_RE = re.compile(r"\b(?:minor|small|some|partly|partially|part|component|extension|extends?|extending|"
                              r"into|reaches|involves? (?:also|both))\b", re.I)
_EXCLUSIVE_RE = re.compile(r"\b(?:only|purely|entirely|exclusively|wholly|strictly|solely|confined|restricted|limited)\b", re.I)
_BALANCED_RE = re.compile(r"\b(?:symmetric(?:al|ally)?|evenly (?:split|distributed)|equally (?:on|in|between)|"
                          r"half (?:of (?:it|the tumou?r) )?(?:on|in) each (?:side|hemisphere)|balanced between)\b", re.I)
_ONE_SIDE_RE = re.compile(r"\b(?:ipsilateral|(?:on|to) one side of the midline|respects? the midline|midline[- ]sparing|"
                          r"spares? the midline|does not reach the other (?:side|hemisphere))\b", re.I)
_MIDLINE_FIELD_RE = re.compile(r"\bmidline crossing\s*[:=]\s*(yes|no|true|false)\b", re.I)
_SIDE_FREE_RE = re.compile(r"\b(?:the\s+)?(left|right)\s+(?:side|hemisphere)\s+(?:shows|has|contains|holds)\s+no\b", re.I)


_SIDE_PART_RE = re.compile(r"^\s+(?:portion|part|component|share|fraction|remnant|sliver|extension)\b", re.I)
_TINY_RE = re.compile(r"\b(?:tiny|small|minor|negligible|trace|minimal|minute|little|marginal)\b", re.I)


def check_laterality(s: str, cat: FactCatalogue) -> list[Claim]:
    side, shares = _side_facts(cat)
    if not side:
        found = [m.group(0) for p in (_SIDE_ADJ_RE, _BALANCED_RE, _ONE_SIDE_RE, _MIDLINE_FIELD_RE) for m in p.finditer(s)]
        return [make_claim("side", text, False, "no side was measured") for text in found]
    measured = side.get("side")
    crosses = side.get("crosses_midline")
    claims = []
    loc_structures = {st.get("name"): st.get("side") for st in
                      (get(cat.raw, "measurements", "location", "structures", default=[]) or [])}
    for m in _SIDE_ADJ_RE.finditer(s):
        word = m.group(1).lower()
        share = shares[word]
        clause_start = max([0] + [c.end() for c in re.finditer(r"[;,]|\b(?:while|whereas|but)\b", s[:m.start()], re.I)])
        named = [ANATOMY_TERMS[a.group(1).lower()][0] for a in ANATOMY_RE.finditer(s, clause_start, m.start())]
        named = [n for n in named if n in loc_structures]
        if named:
            st_side = loc_structures[named[-1]]
            ok = (st_side in (word, "bilateral")) != is_negated_at(s, m.start(), m.end())
            claims.append(make_claim("side", f"{named[-1]}: {m.group(0)}", ok, f"the tumour's part in the {named[-1]} is on the "
                                                                          f"{st_side} side"))
            continue
        window = s[max(0, m.start() - 30):m.end() + 30]
        negated = is_negated_at(s, m.start(), m.end())
        if _SIDE_PART_RE.match(s[m.end():]):  # "the right-sided portion is tiny": a part of the tumour, not its side
            tiny = _TINY_RE.search(s, m.end(), min(len(s), m.end() + 50))
            ok = (share < 0.05 if tiny else share > 0.0) != negated
            claims.append(make_claim("side", m.group(0) + " part", ok, f"the {word} hemisphere holds {round(100 * share, 1)}%"))
            continue
        if _EXCLUSIVE_RE.search(window) and not negated:
            ok = share >= EXCLUSIVE_MIN
            claims.append(make_claim("side", f"only {m.group(0)}", ok, f"the {word} hemisphere holds {round(100 * share, 1)}%"))
            continue
        if _PARTIAL_NEAR_RE.search(window) and not _PREDOMINANCE_RE.search(s[m.start():m.end() + 15]):
            ok = (share >= 0.05) != negated  # "a minor right-hemispheric component": that side holds some of it
            claims.append(make_claim("side", m.group(0), ok, f"the {word} hemisphere holds {round(100 * share, 1)}%"))
            continue
        ok = (share > PREDOMINANT_MIN) != negated
        claims.append(make_claim("side", ("not " if negated else "") + m.group(0), ok,
                                 f"the {word} hemisphere holds {round(100 * share, 1)}% of the tumour (measured side {measured!r})"))
    for m in _BALANCED_RE.finditer(s):
        ok = (min(shares.values()) >= BALANCED_MIN) != is_negated_at(s, m.start(), m.end())
        claims.append(make_claim("side", m.group(0), ok, f"left {round(100 * shares['left'], 1)}%, right "
                                                     f"{round(100 * shares['right'], 1)}%"))
    for m in _ONE_SIDE_RE.finditer(s):
        ok = crosses is not None and (crosses is False) != is_negated_at(s, m.start(), m.end())
        claims.append(make_claim("midline", m.group(0), ok, f"measured crosses_midline={crosses}"))
    for m in _MIDLINE_FIELD_RE.finditer(s):
        ok = crosses is not None and (m.group(1).lower() in ("yes", "true")) == bool(crosses)
        claims.append(make_claim("midline", m.group(0), ok, f"measured crosses_midline={crosses}"))
    for m in _SIDE_FREE_RE.finditer(s):
        share = shares[m.group(1).lower()]
        claims.append(make_claim("side", m.group(0), share < 0.05, f"the {m.group(1).lower()} hemisphere holds "
                                                               f"{round(100 * share, 1)}% of the tumour"))
    return claims


# --------------------------------------------------------------------------- structure rank and exclusivity
_RANK_AFTER_RE = re.compile(r"^\s*(?:is|was|represents|forms|remains|as)\s+(?:the\s+)?(?:tumou?r's\s+)?"
                            r"(primary|main|principal|predominant|dominant|major|largest|chief|most (?:involved|affected))\b", re.I)
# "a left frontal mass": a lobe adjective on the tumour noun names where the tumour is centred
_LOBE_ADJECTIVE_RE = re.compile(r"^\s*(?:(?:lobe|cortical|subcortical|white[- ]matter)\s+)?(?:mass|lesion|tumou?r|abnormality)\b", re.I)
_LOBE_ADJECTIVES = {"frontal", "temporal", "parietal", "occipital", "insular"}
# "after the temporal lobe, the insula is the most involved": the runner-up
_AFTER_FIRST_RE = re.compile(r"\b(?:after|besides|apart from|other than|next to)\s+the\s+[\w\s]{3,30}?,\s*(?:the\s+)?$", re.I)
_RANK_BEFORE_RE = re.compile(r"\b(?:largest share|greatest share|biggest share|most of (?:the )?tumou?r|bulk of (?:the )?tumou?r|"
                             r"predominantly|predominant(?:ly)?|mostly|mainly|chiefly)\b[^.;]{0,40}$", re.I)
_ORDINAL_AFTER_RE = re.compile(r"^\s*(?:is|was|ranks|ranked|comes|came|being|as|at|has|had|holds|takes)?\s*(?:the\s+)?"
                               r"(second|third|fourth|fifth)"
                               r"(?![- ](?:slice|step|run|seed|sequence))\b", re.I)
_SECOND_ONLY_RE = re.compile(r"^[^.;]{0,40}?,?\s*second only to\b", re.I)
_ORDINAL_BEFORE_RE = re.compile(r"\b(?:the\s+)?(second|third|fourth|fifth)[- ](?:most[- ](?:involved|affected)|largest|biggest|"
                                r"main|greatest)\s+(?:lobe|structure|location|site|region)?\s*(?:is|was|being|:)?\s*(?:the\s+)?$", re.I)
_ONLY_STRUCT_RE = re.compile(r"^\s*(?:only|alone|exclusively)\b", re.I)
_ONLY_BEFORE_RE = re.compile(r"\b(?:only|exclusively|solely|entirely (?:with)?in|confined to|limited to|restricted to)"
                             r"\s+(?:the\s+)?(?:[\w-]+\s+){0,2}$", re.I)


def check_structure_rank(s: str, cat: FactCatalogue) -> list[Claim]:
    loc = get(cat.raw, "measurements", "location", default={}) or {}
    if loc.get("status") != "known":
        return []
    structures = loc.get("structures") or []
    shares = {st.get("name"): float(st.get("fraction_of_tumour") or 0.0) for st in structures}
    lobes = {st.get("name"): float(st.get("fraction_of_tumour") or 0.0) for st in structures if st.get("kind") == "lobe"}
    top_any = max(shares, key=shares.get) if shares else None
    claims = []
    for m in ANATOMY_RE.finditer(s):
        name, kind = ANATOMY_TERMS[m.group(1).lower()]
        if not name or kind in ("uncovered", "part") or is_negated_at(s, m.start(), m.end()):
            continue
        share = shares.get(name, 0.0)
        if re.search(r"\b(?:rather than|instead of|than|over)\s+(?:the\s+)?(?:[\w-]+\s+)?$", s[max(0, m.start() - 25):m.start()], re.I):
            continue  # "mainly in the parietal lobe rather than the frontal lobe"
        after_ordinal = _ORDINAL_AFTER_RE.match(s[m.end():])
        ordinal = after_ordinal or _ORDINAL_BEFORE_RE.search(s[max(0, m.start() - 50):m.start()]) \
            or (re.match(r"(?i)^[^.;]{0,40}?\b(second) only to\b", s[m.end():]))
        if ordinal:  # "the insula is the second most involved lobe", "with the parietal lobe second"
            pool = lobes if name in lobes else shares
            ranked = sorted(pool, key=pool.get, reverse=True)
            place = ORDINAL_PLACES[ordinal.group(1).lower()]
            if after_ordinal and re.match(r"[- ](?:smallest|lowest|least)", s[m.end() + after_ordinal.end():], re.I):
                place = -1 - place  # "the second-smallest share": counted from the bottom
            actual = ranked[place] if -len(ranked) <= place < len(ranked) else None
            claims.append(make_claim("structure", f"{m.group(0)} {ordinal.group(1).lower()}", actual == name,
                                     f"by share of the tumour: {', '.join(ranked) or 'none'}"))
            continue
        if _RANK_AFTER_RE.match(s[m.end():]) and _AFTER_FIRST_RE.search(s[max(0, m.start() - 60):m.start()]):
            pool = lobes if name in lobes else shares
            ranked = sorted(pool, key=pool.get, reverse=True)
            ok = len(ranked) > 1 and ranked[1] == name
            claims.append(make_claim("structure", f"{m.group(0)} as the second location", ok,
                                     f"the second largest share is in the {ranked[1] if len(ranked) > 1 else 'none'}"))
            continue
        adjective = m.group(1).lower() in _LOBE_ADJECTIVES and _LOBE_ADJECTIVE_RE.match(s[m.end():]) \
            and not re.search(r"\b(?:and|or|,)\s*$|[-/]\s*$", s[max(0, m.start() - 6):m.start()]) \
            and not re.match(r"^\s*[-/,]|^\s+(?:and|or)\b", s[m.end():])
        lead = re.split(r"[,;]|\b(?:with|whereas|while|but|followed by|then|and)\b", s[max(0, m.start() - 60):m.start()])[-1]
        if adjective or _RANK_AFTER_RE.match(s[m.end():]) or _RANK_BEFORE_RE.search(lead):
            pool = lobes if name in lobes else shares
            top = max(pool, key=pool.get) if pool else None
            ok = name in (top, loc.get("primary_lobe"), top_any) and share > 0
            claims.append(make_claim("structure", f"{m.group(0)} as the primary location", ok,
                                     f"the largest share is in the {top_any} ({round(100 * shares.get(top_any, 0), 1)}%)"))
        if re.search(r"\bsecond only to\s+(?:the\s+)?$", s[max(0, m.start() - 25):m.start()], re.I):
            continue  # "X, second only to the temporal lobe": X's rank is checked above
        if _ONLY_STRUCT_RE.match(s[m.end():]) or _ONLY_BEFORE_RE.search(s[max(0, m.start() - 40):m.start()]):
            others = sorted(k for k, v in lobes.items() if k != name and v >= 0.01)
            ok = share >= EXCLUSIVE_MIN or (name in lobes and not others and share > 0)
            claims.append(make_claim("structure", f"only the {m.group(0)}", ok,
                                     f"the tumour also involves {', '.join(others) or 'other structures'}"))
    return claims


# --------------------------------------------------------------------------- compound lobes
_COMPOUND_RE = re.compile(r"\b(fronto|temporo|parieto|occipito)[- ]?(frontal|temporal|parietal|occipital|insular)\b", re.I)
_LOBE_OF = {"fronto": "frontal lobe", "frontal": "frontal lobe", "temporo": "temporal lobe", "temporal": "temporal lobe",
            "parieto": "parietal lobe", "parietal": "parietal lobe", "occipito": "occipital lobe",
            "occipital": "occipital lobe", "insular": "insula"}


_MULTIFOCAL_RE = re.compile(r"\b((?:two|three|four|several|multiple|\d+) separate (?:areas|regions|spots|lesions|masses|foci)|"
                            r"multifocal|multicentric|satellite (?:lesion|nodule|focus|foci|deposit)s?|a (?:small )?satellite|"
                            r"multiple (?:lesions|foci|masses|tumou?rs)|several (?:separate )?(?:lesions|foci|masses))\b", re.I)
_UNIFOCAL_RE = re.compile(r"\b(unifocal|solitary|single (?:lesion|mass|focus|tumou?r)|one (?:connected )?(?:lesion|mass))\b", re.I)


def check_focality(s: str, cat: FactCatalogue) -> list[Claim]:
    """ "multifocal", "a small satellite" vs "solitary": the count of connected lesions."""
    count = get(cat.raw, "measurements", "lesions", "count", default=None)
    if not isinstance(count, int):
        return []
    claims = []
    for pattern, many in ((_MULTIFOCAL_RE, True), (_UNIFOCAL_RE, False)):
        for m in pattern.finditer(s):
            if re.search(r"\b(?:whether|if|check|look for|rule out|exclude)\b[^.;]{0,30}$", s[:m.start()], re.I):
                continue  # "check whether multiple lesions are present": a question, not a finding
            ok = ((count > 1) == many) != is_negated_at(s, m.start(), m.end())
            claims.append(make_claim("structure", m.group(0), ok, f"the segmentation has {count} connected "
                                     f"lesion{'s' if count != 1 else ''}"))
    return claims


_STRUCT_MORE_RE = re.compile(r"\b(?:more (?:extensively|widely|heavily)|more than|larger (?:share|part|portion) than|"
                             r"(?:larger|greater|bigger|higher) than|exceed(?:s|ed|ing)?|surpass(?:es|ed)?|outweigh(?:s|ed)?|"
                             r"less (?:extensively|than)|smaller (?:share |part )?than|lower than|(?:falls?|fell) (?:short of|below)|"
                             r"trails?|trailed)\b", re.I)
_STRUCT_EXTREME_RE = re.compile(r"(?<!second-)(?<!second )(?<!third-)(?<!third )(?<!at )\b(largest|biggest|greatest|smallest|least|lowest|"
                                r"highest) (?:share|portion|part|fraction|involvement)\b", re.I)


def check_structure_comparisons(s: str, cat: FactCatalogue) -> list[Claim]:
    """ "the temporal lobe is involved more extensively than the insula", "among the lobes, the temporal
    lobe has the smallest share": the atlas shares of the structures named."""
    loc = get(cat.raw, "measurements", "location", default={}) or {}
    structures = loc.get("structures") or []
    shares = {st.get("name"): float(st.get("fraction_of_tumour") or 0.0) for st in structures}
    if loc.get("status") != "known" or not shares:
        return []
    named = [(m.start(), ANATOMY_TERMS[m.group(1).lower()][0] or m.group(1).lower()) for m in ANATOMY_RE.finditer(s)]
    claims = []
    for m in _STRUCT_MORE_RE.finditer(s):
        if re.match(r"\s*(?:about\s+|around\s+)?\d", s[m.end():]):
            continue  # "more than 30% of the tumour": a bound on a number, not a comparison of two structures
        before = [n for p, n in named if p < m.start()]
        after = [n for p, n in named if p > m.start()]
        if not before or not after or before[-1] == after[0]:
            continue
        a, b = before[-1], after[0]
        more = not m.group(0).lower().startswith(("less", "smaller", "lower", "fall", "fell", "trail"))
        ok = ((shares.get(a, 0.0) > shares.get(b, 0.0)) == more) != is_negated_at(s, m.start(), m.end())
        claims.append(make_claim("structure", f"{a} {'more' if more else 'less'} than {b}", ok,
                                 f"{a} {100 * shares.get(a, 0.0):.1f}%, {b} {100 * shares.get(b, 0.0):.1f}% of the tumour"))
    for m in _STRUCT_EXTREME_RE.finditer(s):
        near = sorted((abs(p - m.start()), n) for p, n in named if abs(p - m.start()) <= 50)
        if not near:
            continue
        lobes_only = bool(re.search(r"\blobes?\b", s, re.I))
        pool = {k: v for k, v in shares.items()
                if not lobes_only or next((st.get("kind") for st in structures if st.get("name") == k), "") == "lobe"}
        name = near[0][1]
        if name not in pool:
            continue
        high = m.group(1).lower() in ("largest", "biggest", "greatest", "highest")
        target = (max if high else min)(pool, key=pool.get)
        ok = (name == target) != is_negated_at(s, m.start(), m.end())
        claims.append(make_claim("structure", f"{name}: {m.group(1).lower()} share", ok,
                                 f"the {'largest' if high else 'smallest'} share is the {target}'s ({100 * pool[target]:.1f}%)"))
    return claims


def check_compound_lobes(s: str, cat: FactCatalogue) -> list[Claim]:
    """ "fronto-occipital": both lobes must hold part of the tumour."""
    loc = get(cat.raw, "measurements", "location", default={}) or {}
    shares = {st.get("name"): float(st.get("fraction_of_tumour") or 0.0) for st in loc.get("structures") or []}
    claims = []
    for m in _COMPOUND_RE.finditer(s):
        lobes = [_LOBE_OF[m.group(1).lower()], _LOBE_OF[m.group(2).lower()]]
        if loc.get("status") != "known":
            claims.append(make_claim("structure", m.group(0), False, "location is unknown"))
            continue
        missing = [lobe for lobe in lobes if shares.get(lobe, 0.0) < 0.01]
        ok = (not missing) != is_negated_at(s, m.start(), m.end())
        claims.append(make_claim("structure", m.group(0), ok, f"not involved: {', '.join(missing) or 'none'}"))
    return claims


# --------------------------------------------------------------------------- sub-region proportions
_MAJORITY_RE = re.compile(r"\b(?:mostly|mainly|largely|predominantly|chiefly|majority|bulk|most of|predominates?|dominates?)\b", re.I)
_LARGEST_RE = re.compile(r"\b(?:largest|biggest|dominant|main|smallest)\s+(?:component|part|sub-?region|compartment|constituent)\b",
                         re.I)
_BIGGER_RE = re.compile(r"\b(?:larger|bigger|greater|more extensive|exceed(?:s|ing)?|outweigh(?:s|ing)?|dominates)\b", re.I)
_SMALLER_RE = re.compile(r"\b(?:smaller|less extensive|lesser)\b", re.I)


def check_subregion_proportions(s: str, cat: FactCatalogue) -> list[Claim]:
    vol = {k: float(v or 0.0) for k, v in (get(cat.raw, "measurements", "volumes_ml", default={}) or {}).items()}
    if not vol.get("WT"):
        return []
    mentions = [(p, r) for p, r in region_mentions(s) if r in ("NCR", "ET", "ED", "TC", "WT")]
    claims = []
    for cmp_re, bigger in ((_BIGGER_RE, True), (_SMALLER_RE, False)):
        for m in cmp_re.finditer(s):
            before = [r for p, r in mentions if p < m.start()]
            after = [r for p, r in mentions if p > m.start()]
            if not before or not after or before[-1] == after[0] or {before[-1], after[0]} & {"WT"}:
                continue
            a, b = before[-1], after[0]
            ok = (vol.get(a, 0.0) > vol.get(b, 0.0)) == bigger
            ok = ok != is_negated_at(s, m.start(), m.end())
            claims.append(make_claim("subregion", f"{a} {m.group(0)} than {b}", ok,
                                     f"{a} {vol.get(a, 0.0):g} mL, {b} {vol.get(b, 0.0):g} mL"))
    parts = {k: vol.get(k, 0.0) for k in ("NCR", "ET", "ED")}
    for m in _LARGEST_RE.finditer(s):
        near = sorted((abs(p - m.start()), r) for p, r in mentions if r in parts)
        if not near or near[0][0] > 40:
            continue
        smallest = m.group(0).lower().startswith("smallest")
        target = (min if smallest else max)(parts, key=parts.get)
        ok = (near[0][1] == target) != is_negated_at(s, m.start(), m.end())
        claims.append(make_claim("subregion", f"{near[0][1]} {m.group(0)}", ok, f"the {'smallest' if smallest else 'largest'} "
                                                                           f"sub-region is {target} ({parts[target]:g} mL)"))
    for m in _MAJORITY_RE.finditer(s):
        if re.search(r"(?i)\b(?:flair|t1ce|t1c|t1|t2)\s+(?:\w+\s+)?$", s[max(0, m.start() - 20):m.start()]):
            continue  # "T1ce dominates with 47% of the effect": a sequence's share, not a sub-region's
        if re.search(r"\b(?:lies?|located|sits?|is|are)\s+(?:\w+\s+){0,2}(?:in|within)\s+the\b", s[m.end():m.end() + 60], re.I) \
                and ANATOMY_RE.search(s, m.end()):
            continue  # "most of the enhancing tumour lies in the frontal lobe": a location, not a proportion
        near = sorted(((abs(p - m.start()), p, r) for p, r in mentions if r in ("NCR", "ET", "ED")), key=lambda t: t[0])
        if not near or near[0][0] > 40:
            continue
        part = near[0][2]
        container = "TC" if any(r == "TC" for _, r in mentions) and part in ("NCR", "ET") else "WT"
        total = vol.get(container, 0.0)
        share = vol.get(part, 0.0) / total if total else 0.0
        ok = (share > 0.5) != is_negated_at(s, m.start(), m.end())
        claims.append(make_claim("subregion", f"{part} {m.group(0)} of {container}", ok,
                                 f"{part} is {round(100 * share, 1)}% of the {display_word(container)}"))
    return claims
