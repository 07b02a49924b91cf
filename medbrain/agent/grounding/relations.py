"""Relation claims the basic checks miss, each checked against the facts.

- laterality phrasing: "right-sided", "a right frontal mass", "right-predominant",
  "symmetric", "ipsilateral", "respects the midline", "Midline crossing: no";
- structure rank and exclusivity: "the thalamus is the primary site", "frontal lobe only";
- sub-region proportions: "the core is mostly enhancing", "oedema makes up the majority",
  "enhancing tumour is larger than the necrosis";
- method results: beating the random baseline, where a map's maximum lies, extremes and
  comparisons of deletion/insertion AUC and of the share inside the region, "all methods agree";
- reliability: trust, guarantees, accuracy percentages, replacing review, calibration,
  clinical validation, under-segmentation flags.
"""

from __future__ import annotations

import re

from medbrain.agent.grounding.claims import _SEQUENCE_RE, Claim, _claim, _method_mentions, _term_re, region_mentions
from medbrain.agent.grounding.lexicon import ANATOMY_TERMS, SEQUENCE_TERMS
from medbrain.agent.grounding.text import is_negated_at
from medbrain.facts import FactCatalogue, display_word, get

PREDOMINANT_MIN = 0.5  # a side "predominates" when it holds more than half of the tumour
EXCLUSIVE_MIN = 0.95  # "only", "entirely", "confined to": nearly all of the tumour
BALANCED_MIN = 0.4  # "symmetric", "half on each side": both sides hold at least this share

_ANATOMY_RE = _term_re(ANATOMY_TERMS)


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


def check_laterality(s: str, cat: FactCatalogue) -> list[Claim]:
    side, shares = _side_facts(cat)
    if not side:
        found = [m.group(0) for p in (_SIDE_ADJ_RE, _BALANCED_RE, _ONE_SIDE_RE, _MIDLINE_FIELD_RE) for m in p.finditer(s)]
        return [_claim("side", text, False, "no side was measured") for text in found]
    measured = side.get("side")
    crosses = side.get("crosses_midline")
    claims = []
    loc_structures = {st.get("name"): st.get("side") for st in
                      (get(cat.raw, "measurements", "location", "structures", default=[]) or [])}
    for m in _SIDE_ADJ_RE.finditer(s):
        word = m.group(1).lower()
        share = shares[word]
        clause_start = max([0] + [c.end() for c in re.finditer(r"[;,]|\b(?:while|whereas|but)\b", s[:m.start()], re.I)])
        named = [ANATOMY_TERMS[a.group(1).lower()][0] for a in _ANATOMY_RE.finditer(s, clause_start, m.start())]
        named = [n for n in named if n in loc_structures]
        if named:
            st_side = loc_structures[named[-1]]
            ok = (st_side in (word, "bilateral")) != is_negated_at(s, m.start(), m.end())
            claims.append(_claim("side", f"{named[-1]}: {m.group(0)}", ok, f"the tumour's part in the {named[-1]} is on the "
                                                                          f"{st_side} side"))
            continue
        window = s[max(0, m.start() - 30):m.end() + 30]
        negated = is_negated_at(s, m.start(), m.end())
        if _EXCLUSIVE_RE.search(window) and not negated:
            ok = share >= EXCLUSIVE_MIN
            claims.append(_claim("side", f"only {m.group(0)}", ok, f"the {word} hemisphere holds {round(100 * share, 1)}%"))
            continue
        if _PARTIAL_NEAR_RE.search(window) and not _PREDOMINANCE_RE.search(s[m.start():m.end() + 15]):
            ok = (share >= 0.05) != negated  # "a minor right-hemispheric component": that side holds some of it
            claims.append(_claim("side", m.group(0), ok, f"the {word} hemisphere holds {round(100 * share, 1)}%"))
            continue
        ok = (share > PREDOMINANT_MIN) != negated
        claims.append(_claim("side", ("not " if negated else "") + m.group(0), ok,
                             f"the {word} hemisphere holds {round(100 * share, 1)}% of the tumour (measured side {measured!r})"))
    for m in _BALANCED_RE.finditer(s):
        ok = (min(shares.values()) >= BALANCED_MIN) != is_negated_at(s, m.start(), m.end())
        claims.append(_claim("side", m.group(0), ok, f"left {round(100 * shares['left'], 1)}%, right "
                                                     f"{round(100 * shares['right'], 1)}%"))
    for m in _ONE_SIDE_RE.finditer(s):
        ok = crosses is not None and (crosses is False) != is_negated_at(s, m.start(), m.end())
        claims.append(_claim("midline", m.group(0), ok, f"measured crosses_midline={crosses}"))
    for m in _MIDLINE_FIELD_RE.finditer(s):
        ok = crosses is not None and (m.group(1).lower() in ("yes", "true")) == bool(crosses)
        claims.append(_claim("midline", m.group(0), ok, f"measured crosses_midline={crosses}"))
    for m in _SIDE_FREE_RE.finditer(s):
        share = shares[m.group(1).lower()]
        claims.append(_claim("side", m.group(0), share < 0.05, f"the {m.group(1).lower()} hemisphere holds "
                                                               f"{round(100 * share, 1)}% of the tumour"))
    return claims


# --------------------------------------------------------------------------- structure rank and exclusivity
_RANK_AFTER_RE = re.compile(r"^\s*(?:is|was|represents|forms|remains)\s+(?:the\s+)?(?:tumou?r's\s+)?"
                            r"(primary|main|principal|predominant|dominant|major|largest|chief)\b", re.I)
_RANK_BEFORE_RE = re.compile(r"\b(?:largest share|greatest share|biggest share|most of (?:the )?tumou?r|bulk of (?:the )?tumou?r|"
                             r"predominantly|predominant(?:ly)?|mostly|mainly|chiefly)\b[^.;]{0,40}$", re.I)
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
    for m in _ANATOMY_RE.finditer(s):
        name, kind = ANATOMY_TERMS[m.group(1).lower()]
        if not name or kind in ("uncovered", "part") or is_negated_at(s, m.start(), m.end()):
            continue
        share = shares.get(name, 0.0)
        if re.search(r"\b(?:rather than|instead of|than|over)\s+(?:the\s+)?(?:[\w-]+\s+)?$", s[max(0, m.start() - 25):m.start()], re.I):
            continue  # "mainly in the parietal lobe rather than the frontal lobe"
        if _RANK_AFTER_RE.match(s[m.end():]) or _RANK_BEFORE_RE.search(s[max(0, m.start() - 60):m.start()]):
            pool = lobes if name in lobes else shares
            top = max(pool, key=pool.get) if pool else None
            ok = name in (top, loc.get("primary_lobe"), top_any) and share > 0
            claims.append(_claim("structure", f"{m.group(0)} as the primary location", ok,
                                 f"the largest share is in the {top_any} ({round(100 * shares.get(top_any, 0), 1)}%)"))
        if _ONLY_STRUCT_RE.match(s[m.end():]) or _ONLY_BEFORE_RE.search(s[max(0, m.start() - 40):m.start()]):
            others = sorted(k for k, v in lobes.items() if k != name and v >= 0.01)
            ok = share >= EXCLUSIVE_MIN or (name in lobes and not others and share > 0)
            claims.append(_claim("structure", f"only the {m.group(0)}", ok,
                                 f"the tumour also involves {', '.join(others) or 'other structures'}"))
    return claims


# --------------------------------------------------------------------------- sub-region proportions
_MAJORITY_RE = re.compile(r"\b(?:mostly|mainly|largely|predominantly|chiefly|majority|bulk|most of)\b", re.I)
_LARGEST_RE = re.compile(r"\b(?:largest|biggest|dominant|main|smallest)\s+(?:component|part|sub-?region|compartment|constituent)\b",
                         re.I)
_BIGGER_RE = re.compile(r"\b(?:larger|bigger|greater|more extensive|exceeds?|outweighs?|dominates)\b", re.I)
_SMALLER_RE = re.compile(r"\b(?:smaller|less extensive|lesser)\b", re.I)
_CONTAINERS = {"TC": ("NCR", "ET"), "WT": ("NCR", "ET", "ED")}


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
            claims.append(_claim("subregion", f"{a} {m.group(0)} than {b}", ok,
                                 f"{a} {vol.get(a, 0.0):g} mL, {b} {vol.get(b, 0.0):g} mL"))
    parts = {k: vol.get(k, 0.0) for k in ("NCR", "ET", "ED")}
    for m in _LARGEST_RE.finditer(s):
        near = sorted((abs(p - m.start()), r) for p, r in mentions if r in parts)
        if not near or near[0][0] > 40:
            continue
        smallest = m.group(0).lower().startswith("smallest")
        target = (min if smallest else max)(parts, key=parts.get)
        ok = (near[0][1] == target) != is_negated_at(s, m.start(), m.end())
        claims.append(_claim("subregion", f"{near[0][1]} {m.group(0)}", ok, f"the {'smallest' if smallest else 'largest'} "
                                                                           f"sub-region is {target} ({parts[target]:g} mL)"))
    for m in _MAJORITY_RE.finditer(s):
        if re.search(r"\b(?:lies?|located|sits?|is|are)\s+(?:\w+\s+){0,2}(?:in|within)\s+the\b", s[m.end():m.end() + 60], re.I) \
                and _ANATOMY_RE.search(s, m.end()):
            continue  # "most of the enhancing tumour lies in the frontal lobe": a location, not a proportion
        near = sorted(((abs(p - m.start()), p, r) for p, r in mentions if r in ("NCR", "ET", "ED")), key=lambda t: t[0])
        if not near or near[0][0] > 40:
            continue
        part = near[0][2]
        container = "TC" if any(r == "TC" for _, r in mentions) and part in ("NCR", "ET") else "WT"
        total = vol.get(container, 0.0)
        share = vol.get(part, 0.0) / total if total else 0.0
        ok = (share > 0.5) != is_negated_at(s, m.start(), m.end())
        claims.append(_claim("subregion", f"{part} {m.group(0)} of {container}", ok,
                             f"{part} is {round(100 * share, 1)}% of the {display_word(container)}"))
    return claims


# --------------------------------------------------------------------------- method results
_BEATS_RE = re.compile(r"\b(?:beats?|beating|outperforms?|better than|exceeds?|above)\s+(?:the\s+)?random(?:\s+baseline|\s+maps?)?\b"
                       r"|\bfails? to beat (?:the )?random\b|\b(?:no better than|not better than|worse than) (?:the )?random\b", re.I)
_MAX_RE = re.compile(r"\b(?:maximum|peak|hottest (?:pixel|point)|strongest (?:pixel|point))\b[^.;]{0,60}?\b(inside|within|outside)\b",
                     re.I)
_METRICS = {"deletion_auc": re.compile(r"\bdeletion(?:\s+AUC|\s+curve|\s+score)?\b", re.I),
            "insertion_auc": re.compile(r"\binsertion(?:\s+AUC|\s+curve|\s+score)?\b", re.I),
            "energy_inside_region": re.compile(r"\b(?:(?:share|fraction|energy|attribution|mass)\s+(?:\w+\s+){0,3}inside|"
                                               r"inside the (?:predicted )?region)\b", re.I)}
_HIGH_RE = re.compile(r"\b(?:highest|largest|greatest|most|best|top|higher|larger|greater|more)\b", re.I)
_LOW_RE = re.compile(r"\b(?:lowest|smallest|least|worst|lower|smaller|less|fewer)\b", re.I)
_ALL_AGREE_RE = re.compile(r"\b(?:all|every|each of the)\s+(?:four\s+|three\s+|\w+\s+)?(?:explanation\s+)?(?:methods?|maps?|techniques)"
                           r"\s+(?:\w+\s+){0,2}(agree|concur|align|converge|coincide|highlight the same|show the same)\b"
                           r"|\b(?:the\s+)?(?:explanation\s+)?methods\s+(?:all\s+|broadly\s+|largely\s+|fully\s+)?"
                           r"(agree|concur|converge)\b", re.I)


def _method_rows(cat: FactCatalogue) -> dict[str, dict]:
    rows = {}
    for row in get(cat.raw, "comparison", "methods", default=[]) or []:
        if isinstance(row, dict) and row.get("method"):
            rows[row["method"]] = row
    return rows


def check_method_results(s: str, cat: FactCatalogue) -> list[Claim]:
    rows = _method_rows(cat)
    if not rows:
        found = [m.group(0) for p in (_BEATS_RE, _MAX_RE, _ALL_AGREE_RE) for m in p.finditer(s)]
        return [_claim("relation", text, False, "the explanation methods were not compared") for text in found]
    mentions = _method_mentions(s)
    claims = []
    for m in _BEATS_RE.finditer(s):
        near = [k for a, b, k in mentions if a < m.start()] or [k for a, b, k in mentions]
        if not near:
            continue
        says = not re.search(r"fails?|no better|not better|worse", m.group(0), re.I)
        says = says != is_negated_at(s, m.start(), m.end())
        only = re.search(r"\bonly\b", s[:m.start()], re.I)
        for key in (near[-1:] if not re.search(r"\b(?:and|both|all)\b", s[:m.start()], re.I) else near):
            fact = rows.get(key, {}).get("beats_random")
            ok = fact is not None and bool(fact) == says
            claims.append(_claim("relation", f"{display_word(key)} {'beats' if says else 'does not beat'} random", ok,
                                 f"beats_random for {display_word(key)} is {fact}"))
        if only and says:
            others = [k for k, r in rows.items() if r.get("beats_random") and k not in near]
            claims.append(_claim("relation", "only " + ", ".join(display_word(k) for k in near) + " beat random",
                                 not others, f"also beating random: {', '.join(display_word(k) for k in others)}"))
    for m in _MAX_RE.finditer(s):
        near = [k for a, b, k in mentions if abs(a - m.start()) < 60]
        if not near:
            continue
        inside = m.group(1).lower() in ("inside", "within")
        inside = inside != is_negated_at(s, m.start(), m.end())
        fact = rows.get(near[0], {}).get("max_inside_region")
        claims.append(_claim("relation", f"{display_word(near[0])} maximum {'inside' if inside else 'outside'}",
                             fact is not None and bool(fact) == inside, f"max_inside_region is {fact}"))
    for metric, pattern in _METRICS.items():
        for m in pattern.finditer(s):
            values = {k: r.get(metric) for k, r in rows.items() if isinstance(r.get(metric), (int, float))}
            named = [k for a, b, k in mentions]
            window = s[max(0, m.start() - 25):m.start()] + " " + s[m.end():m.end() + 20]
            window = re.sub(r"\((?:lower|higher) is (?:more|less) faithful\)", "", window, flags=re.I)
            if not values or not named:
                continue
            if metric == "deletion_auc" and re.search(r"\b(?:worst|best)\b", window, re.I):
                worst = bool(re.search(r"\bworst\b", window, re.I))
                target = max(values, key=values.get) if worst else min(values, key=values.get)
                claims.append(_claim("relation", f"{display_word(named[0])}: {'worst' if worst else 'best'} deletion AUC",
                                     named[0] == target, f"the {'highest' if worst else 'lowest'} deletion AUC is "
                                                         f"{display_word(target)}'s ({values[target]:g})"))
                continue
            if re.search(r"\b(?:faithful\w*|best|worst|useful)\b", window, re.I):
                continue  # "most faithful by the deletion test": the most-faithful check covers it
            high, low = _HIGH_RE.search(window), _LOW_RE.search(window)
            if not values or not named or bool(high) == bool(low):
                continue
            wants_high = bool(high)
            if re.search(r"\bthan\b", s[m.start():], re.I) and len(named) >= 2:
                a, b = named[0], named[1]
                if a in values and b in values:
                    ok = (values[a] > values[b]) == wants_high
                    claims.append(_claim("relation", f"{display_word(a)} {'higher' if wants_high else 'lower'} {metric} "
                                         f"than {display_word(b)}", ok, f"{values[a]:g} vs {values[b]:g}"))
                continue
            if not re.search(r"\b(?:highest|largest|greatest|most|best|top|lowest|smallest|least|worst)\b", window, re.I):
                continue
            target = max(values, key=values.get) if wants_high else min(values, key=values.get)
            ok = named[0] == target
            claims.append(_claim("relation", f"{display_word(named[0])}: {'highest' if wants_high else 'lowest'} {metric}",
                                 ok, f"the {'highest' if wants_high else 'lowest'} {metric} is {display_word(target)}'s "
                                     f"({values[target]:g})"))
    for m in _ALL_AGREE_RE.finditer(s):
        pairs = get(cat.raw, "comparison", "pairs", default=[]) or []
        verdicts = [p.get("verdict") for p in pairs if isinstance(p, dict)]
        if not verdicts:
            continue
        ok = all(v == "agree" for v in verdicts) != is_negated_at(s, m.start(), m.end())
        claims.append(_claim("relation", m.group(0), ok,
                             f"pair verdicts: {sum(v == 'agree' for v in verdicts)} agree, "
                             f"{sum(v == 'partial' for v in verdicts)} partial, {sum(v == 'disagree' for v in verdicts)} disagree"))
    return claims


# --------------------------------------------------------------------------- reliability
_OVERCLAIM_RE = re.compile(
    r"\b(?:can|could|may|should) (?:safely |fully )?be (?:trusted|relied upon|relied on)\b|\bguarantee[sd]?\b|"
    r"\b(?:100|9\d)(?:\.\d+)?\s*%\s*(?:accurate|accuracy|certain|sure|reliable)\b|\bclinically (?:validated|proven|approved)\b|"
    r"\b(?:replace|replaces|substitute for|instead of) (?:the |a |an )?(?:expert|radiologist|clinical|human|specialist)\b|"
    r"\bno (?:need|further need) (?:for|of) (?:a |any )?(?:expert |radiologist |human |manual |clinical )?review\b|"
    r"\bwithout (?:any |further |expert |radiologist |human )*review\b|\berror[- ]free\b|\bdefinitive(?:ly)?\b|"
    r"\bcertain(?:ly)? correct\b|\bis (?:always|definitely) (?:right|correct|accurate)\b|"
    r"\b(?:result|segmentation|prediction|finding|outline)s? (?:is|are) (?:certain|definite|definitely correct|exact)\b|"
    r"\b(?:clinically )?validated(?! against)\b|\bclinical(?:ly)? (?:grade|metric)\b|\bperfect(?:ly)?\b|"
    r"\baccurate to (?:within )?(?:a|one|\d)|\bexact(?:ly)? (?:boundar\w*|outline|delineation)\b|\bno errors?\b", re.I)
_CALIBRATED_RE = re.compile(r"\b(?:well[- ])?calibrated\b", re.I)
_UNDERSEG_RE = re.compile(r"\b(?:under-?segment\w*|possibly missed|likely missed|missed (?:parts|tumou?r))\b", re.I)


def check_reliability(s: str, cat: FactCatalogue) -> list[Claim]:
    conf = get(cat.raw, "confidence", default={}) or {}
    claims = []
    for m in _OVERCLAIM_RE.finditer(s):
        if m.group(0).lower().startswith("without"):  # its own "without" is not a denial of it
            negated = bool(re.search(r"\b(?:not|never|cannot|can't|no|must not|should not|shouldn't)\b", s[:m.start()], re.I))
        else:
            negated = is_negated_at(s, m.start(), m.end())
        claims.append(_claim("confidence", m.group(0), negated,
                             "overstates reliability: the tool is an uncalibrated research tool and needs expert review"))
    for m in _CALIBRATED_RE.finditer(s):
        calibrated = conf.get("calibrated")
        ok = calibrated is not None and bool(calibrated) != is_negated_at(s, m.start(), m.end())
        claims.append(_claim("confidence", m.group(0), ok, f"calibrated={calibrated}"))
    regions = conf.get("regions") or {}
    for m in _UNDERSEG_RE.finditer(s):
        near = [(abs(p - m.start()), r) for p, r in region_mentions(s) if r in regions]
        flags = {r: bool((v or {}).get("likely_undersegmentation")) for r, v in regions.items()}
        negated = is_negated_at(s, m.start(), m.end())
        if near:
            region = min(near)[1]
            ok = flags.get(region, False) != negated
            claims.append(_claim("confidence", f"{region} {m.group(0)}", ok, f"likely_undersegmentation for {region} is "
                                                                              f"{flags.get(region)}"))
        else:
            ok = any(flags.values()) != negated
            claims.append(_claim("confidence", m.group(0), ok,
                                 f"regions flagged as likely under-segmented: {[r for r, v in flags.items() if v] or 'none'}"))
    return claims


# --------------------------------------------------------------------------- compound lobes
_COMPOUND_RE = re.compile(r"\b(fronto|temporo|parieto|occipito)[- ]?(frontal|temporal|parietal|occipital|insular)\b", re.I)
_LOBE_OF = {"fronto": "frontal lobe", "frontal": "frontal lobe", "temporo": "temporal lobe", "temporal": "temporal lobe",
            "parieto": "parietal lobe", "parietal": "parietal lobe", "occipito": "occipital lobe",
            "occipital": "occipital lobe", "insular": "insula"}


def check_compound_lobes(s: str, cat: FactCatalogue) -> list[Claim]:
    """ "fronto-occipital": both lobes must hold part of the tumour."""
    loc = get(cat.raw, "measurements", "location", default={}) or {}
    shares = {st.get("name"): float(st.get("fraction_of_tumour") or 0.0) for st in loc.get("structures") or []}
    claims = []
    for m in _COMPOUND_RE.finditer(s):
        lobes = [_LOBE_OF[m.group(1).lower()], _LOBE_OF[m.group(2).lower()]]
        if loc.get("status") != "known":
            claims.append(_claim("structure", m.group(0), False, "location is unknown"))
            continue
        missing = [lobe for lobe in lobes if shares.get(lobe, 0.0) < 0.01]
        ok = (not missing) != is_negated_at(s, m.start(), m.end())
        claims.append(_claim("structure", m.group(0), ok, f"not involved: {', '.join(missing) or 'none'}"))
    return claims


# --------------------------------------------------------------------------- sequences per region and method
_DOMINANT_WORD_RE = re.compile(r"\b(?:dominant|dominated|drove|driven|drives|relied (?:mostly|most|mainly) on|most important|"
                               r"most influential|contributed (?:the )?most|mattered most)\b", re.I)
_MORE_THAN_RE = re.compile(r"\b(more|less|higher|lower|larger|smaller)\b[^.;]{0,40}?\bthan\b", re.I)


def _sequences(s: str) -> list[tuple[int, str]]:
    return [(m.start(), SEQUENCE_TERMS[m.group(1).lower()]) for m in _SEQUENCE_RE.finditer(s)]


def check_sequence_relations(s: str, cat: FactCatalogue) -> list[Claim]:
    """Dominant sequence bound to the region named ("T1ce drove the whole-tumour prediction") and
    per-method sequence shares compared ("IG attributes more to T1 than to T2")."""
    seqs = _sequences(s)
    if not seqs:
        return []
    claims = []
    shap = get(cat.raw, "explanations", "shapley", "regions", default={}) or {}
    regions = [(p, r) for p, r in region_mentions(s) if r in shap]
    methods = [k for _, _, k in _method_mentions(s)]
    dom = _DOMINANT_WORD_RE.search(s)
    if dom and regions and not methods:
        region = min(regions, key=lambda t: abs(t[0] - dom.start()))[1]
        claimed = min(seqs, key=lambda t: abs(t[0] - dom.start()))[1]
        truth = str((shap.get(region) or {}).get("dominant_sequence") or "")
        same = truth.lower() in (claimed, display_word(claimed).lower())
        ok = bool(truth) and same != is_negated_at(s, dom.start(), dom.end())
        claims.append(_claim("relation", f"dominant sequence for {region}: {display_word(claimed)}", ok,
                             f"the Shapley dominant sequence for {region} is {truth or 'not computed'}"))
    cmp_m = _MORE_THAN_RE.search(s)
    if cmp_m and methods and len({q for _, q in seqs}) >= 2:
        shares = get(cat.raw, "explanations", methods[0], "sequence_share", default=None)
        ordered = [q for _, q in seqs]
        a, b = ordered[0], next(q for q in ordered if q != ordered[0])
        if isinstance(shares, dict) and a in shares and b in shares:
            more = cmp_m.group(1).lower() in ("more", "higher", "larger")
            ok = (float(shares[a]) > float(shares[b])) == more
            claims.append(_claim("relation", f"{display_word(methods[0])}: {display_word(a)} {cmp_m.group(1)} than "
                                 f"{display_word(b)}", ok, f"{display_word(a)} {float(shares[a]):.1%}, "
                                                           f"{display_word(b)} {float(shares[b]):.1%}"))
    return claims
