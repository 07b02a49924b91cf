"""Confidence claims, clause by clause: overall and per-region levels, uncertainty, ranking.

"Confidence is high for the whole tumour but low for the enhancing tumour" holds two claims,
one per clause, each bound to the region its clause names (or to the overall level).
Also checked: "only WT reaches high confidence", "the most/least confident region",
"WT high, TC moderate, ET low", uncertainty statements ("high uncertainty", "many uncertain
voxels", "uncertainty is highest in X"), test-time-augmentation agreement, and claims that
method agreement changed the level. Certainty words without a level need high confidence.
"""

from __future__ import annotations

import re

from medbrain.agent.grounding.claim import Claim, make_claim
from medbrain.agent.grounding.lexicon import CERTAINTY_HIGH_RE, CERTAINTY_LOW_RE
from medbrain.agent.grounding.mentions import region_mentions
from medbrain.agent.grounding.text import is_negated_at
from medbrain.facts import FactCatalogue, get

TTA_GOOD = 0.9  # flip-TTA Dice at or above this is "good" agreement; below TTA_POOR is "poor"
TTA_POOR = 0.8

_CLAUSE_RE = re.compile(r"[;:]|,\s*(?:but|while|whereas|and)?|\b(?:but|whereas|while|although)\b", re.I)
_CONF_NOUN_RE = re.compile(r"\b(?:confiden\w*|certaint\w*|certain)\b", re.I)
_LEVEL_WORD_RE = re.compile(r"\b(high|moderate|medium|intermediate|low|limited|reduced|poor|excellent|strong|weak)\b", re.I)
_LEVEL = {"high": "high", "excellent": "high", "strong": "high", "moderate": "moderate", "medium": "moderate",
          "intermediate": "moderate", "low": "low", "limited": "low", "reduced": "low", "poor": "low", "weak": "low"}
_NOT_ABOUT_LEVEL_RE = re.compile(r"^\s*[- ]?(?:probabilit\w*|entropy|auc|dice|agreement|resolution|grade|signal|intensity|"
                                 r"contrast|uncertain\w*|threshold|share|fraction|values?|scores?|variance)\b", re.I)
_UNCERTAIN_RE = re.compile(r"\b(?:(high|large|considerable|substantial|much|great|low|little|minimal|small)\s+(?:\w+\s+)?"
                           r"uncertaint\w*|(many|most|large portions of|much of|few|little of)\b[^.;]{0,30}\buncertain\b|"
                           r"uncertain(?:ty|\s+fraction|\s+share)\w* (?:is|was) (highest|greatest|lowest|largest|smallest) (?:in|for))\b",
                           re.I)
_TTA_RANK_RE = re.compile(r"\b(?:test[- ]time(?: augmentation)?|tta|flip)\b[^.;]{0,30}?\b(?:agreement|dice|consistency)\b"
                          r"[^.;]{0,15}?\b(highest|lowest|best|worst)\s+(?:in|for)\b", re.I)
_RANK_RE = re.compile(r"\b(most|least) confident\b|\b(highest|lowest) (?:mean )?(?:probability|confidence)\b", re.I)
_TTA_RE = re.compile(r"\b(?:test[- ]time(?: augmentation)?|tta|flip)\b[^.;]{0,30}?\b(?:agreement|consistency|stability)\b"
                     r"[^.;]{0,20}?\b(poor|low|weak|high|good|strong|excellent)\b", re.I)
_IN_SENTENCE = r"(?:[^.;]|\.(?=\d))"  # decimal points do not end the span
_DISAGREEMENT_CAUSE_RE = re.compile(r"\b(?:confidence|level)\b[^.;]{0,30}\b(?:was |is )?(?:not |never )?(?:lowered|reduced|raised|increased|capped|"
                                    r"downgraded)\b[^.;]{0,20}\b(?:because|since|as|due to)\b[^.;]{0,40}\b(?:disagree|agree)\w*", re.I)
_AGREEMENT_CHANGED_RE = re.compile(rf"\b(?:agreement|disagreement)\b{_IN_SENTENCE}{{0,60}}?\b(?P<verb>lower\w*|rais\w*|reduc\w*|"
                                   rf"increas\w*|chang\w*|downgrad\w*|upgrad\w*|affect\w*|drove|drives|boost\w*|strengthen\w*|"
                                   rf"weaken\w*|cap(?:s|ped)?|limit\w*)\b{_IN_SENTENCE}{{0,30}}\b(?:confidence|level)\b"
                                   rf"|\b(?:confidence|level)\b{_IN_SENTENCE}{{0,50}}\b(?P<cause>because of|due to|owing to)\b"
                                   rf"{_IN_SENTENCE}{{0,40}}\bagreement\b", re.I)


_REGION_QUANTITIES = {
    "mean_probability": re.compile(r"\b(?:mean|average) probabilit\w*", re.I),
    "mean_entropy_bits": re.compile(r"\b(?:mean |average )?entropy\b", re.I),
    "uncertain_fraction": re.compile(r"\buncertain(?:[- ]voxel)?(?:\s+(?:fraction|share|proportion|voxels))?\b|"
                                     r"\bproportion of uncertain voxels\b", re.I),
    "tta_dice": re.compile(r"\b(?:flip|tta|test-time(?: augmentation)?)\s+(?:agreement|dice)\b", re.I),
}
_EXTREME_RE = re.compile(r"\b(highest|lowest|largest|smallest|greatest|biggest|least|fewest)\b", re.I)


def _region_extremes(s: str, regions: dict) -> list[Claim]:
    """ "the enhancing tumour had the highest proportion of uncertain voxels", "mean entropy was highest in WT"."""
    claims = []
    for m in _EXTREME_RE.finditer(s):
        found = [(abs(x.start() - m.start()) - (5 if x.start() > m.start() else 0), key)
                 for key, pattern in _REGION_QUANTITIES.items() for x in pattern.finditer(s) if abs(x.start() - m.start()) <= 45]
        for _, key in sorted(found)[:1]:  # the quantity nearest the word ("lowest mean probability and highest entropy")
            values = {r: float(v[key]) for r, v in regions.items() if isinstance(v.get(key), (int, float))}
            near = [(abs(p - m.start()), r) for p, r in region_mentions(s) if r in values and abs(p - m.start()) <= 60]
            if len(values) < 2 or not near:
                break
            region = min(near)[1]
            high = m.group(1).lower() in ("highest", "largest", "greatest", "biggest")
            target = (max if high else min)(values, key=values.get)
            ok = (region == target) != is_negated_at(s, m.start(), m.end())
            claims.append(make_claim("confidence", f"{region}: {m.group(1).lower()} {key.replace('_', ' ')}", ok,
                                     f"the {'highest' if high else 'lowest'} {key.replace('_', ' ')} is {target}'s "
                                     f"({values[target]:g})"))
            break
    return claims


_ALL_LEVEL_RE = re.compile(r"\bno (?:region|part|sub-?region)\b[^.;]{0,40}?\b(?:anything|something)?\s*other than\s+"
                           r"(high|moderate|low)\b", re.I)


def _clauses(s: str) -> list[tuple[int, int]]:
    cuts = [0] + [m.end() for m in _CLAUSE_RE.finditer(s)] + [len(s)]
    return [(a, b) for a, b in zip(cuts, cuts[1:]) if b > a]


def check_confidence(s: str, cat: FactCatalogue) -> list[Claim]:
    conf = get(cat.raw, "confidence", default={}) or {}
    overall = conf.get("level")
    regions = {r: v for r, v in (conf.get("regions") or {}).items() if isinstance(v, dict)}
    levels = {r: v.get("level") for r, v in regions.items()}
    claims: list[Claim] = []
    if not conf:
        found = [m.group(0) for m in _LEVEL_WORD_RE.finditer(s) if _CONF_NOUN_RE.search(s)]
        found += [m.group(0) for m in CERTAINTY_HIGH_RE.finditer(s) if not is_negated_at(s, m.start(), m.end())]
        return [make_claim("confidence", text, False, "confidence was not assessed") for text in found]
    sentence_has_conf = bool(_CONF_NOUN_RE.search(s))
    claims.extend(_region_extremes(s, regions))
    every = _ALL_LEVEL_RE.search(s)
    if every:  # "no region was rated anything other than high confidence": every region at that level
        level = every.group(1).lower()
        others = [r for r, lv in levels.items() if lv != level]
        claims.append(make_claim("confidence", f"every region {level}", not others,
                                 f"levels: {', '.join(f'{r} {lv}' for r, lv in levels.items())}"))
        return claims
    for a, b in _clauses(s):
        clause = s[a:b]
        in_clause = [(p, r) for p, r in region_mentions(s, a, b) if r in levels]
        unassessed = [r for p, r in region_mentions(s, a, b) if r not in levels and r in ("NCR", "ED")]
        for m in _LEVEL_WORD_RE.finditer(s, a, b):
            said_of = re.match(r"^\s*(?:confidence\s+)?(?:for|in|of)\s+(?:the\s+)?(?:[\w-]+\s+)?(?:necro|oedema|edema|ncr|ed\b|non-enh)",
                               s[m.end():], re.I)
            if not in_clause and unassessed and said_of and sentence_has_conf and not _NOT_ABOUT_LEVEL_RE.match(s[m.end():]):
                claims.append(make_claim("confidence", f"{m.group(1).lower()} ({unassessed[0]} confidence)", False,
                                         f"confidence is assessed for WT, TC and ET, not for {unassessed[0]}"))
                continue
            if _NOT_ABOUT_LEVEL_RE.match(s[m.end():]) or not (sentence_has_conf and (_CONF_NOUN_RE.search(clause) or in_clause)):
                continue
            if re.match(r"^\s*(?:for|in|at)\s+(?:the\s+)?(?:\w+\s+){0,2}(?:slice|sequence|resolution)", s[m.end():], re.I):
                continue
            word = m.group(1).lower()
            level = _LEVEL[word]
            region = min(in_clause, key=lambda t: abs(t[0] - m.start()))[1] if in_clause else None
            target = levels.get(region) if region else overall
            negated = is_negated_at(s, m.start(), m.end())
            ok = target is not None and (target == level) != negated
            scope = f"{region} confidence" if region else "overall confidence"
            claims.append(make_claim("confidence", f"{'not ' if negated else ''}{word} ({scope})", ok, f"the {scope} is {target!r}"))
            if re.search(r"\bonly\b", s[max(0, m.start() - 60):m.start()], re.I) and region and not negated:
                others = [r for r, lv in levels.items() if r != region and lv == level]
                claims.append(make_claim("confidence", f"only {region} {level}", not others,
                                         f"also {level}: {', '.join(others)}"))
    for m in _RANK_RE.finditer(s):
        near = region_mentions(s, 0, len(s))
        if not near:
            continue
        region = min(near, key=lambda t: abs(t[0] - m.start()))[1]
        probs = {r: v.get("mean_probability") for r, v in regions.items() if isinstance(v.get("mean_probability"), (int, float))}
        if region not in probs:
            continue
        want_high = (m.group(1) or m.group(2)).lower() in ("most", "highest")
        target = (max if want_high else min)(probs, key=probs.get)
        claims.append(make_claim("confidence", f"{region}: {m.group(0)}", region == target,
                                 f"the {'highest' if want_high else 'lowest'} mean probability is {target}'s ({probs[target]:g})"))
    for m in _UNCERTAIN_RE.finditer(s):
        near = [(p, r) for p, r in region_mentions(s, 0, len(s)) if r in levels]
        region = min(near, key=lambda t: abs(t[0] - m.start()))[1] if near else None
        if m.group(3):  # "uncertainty is highest in X"
            fractions = {r: v.get("uncertain_fraction") for r, v in regions.items()
                         if isinstance(v.get("uncertain_fraction"), (int, float))}
            if not fractions or region not in fractions:
                continue
            want_high = m.group(3).lower() in ("highest", "greatest", "largest")
            target = (max if want_high else min)(fractions, key=fractions.get)
            claims.append(make_claim("confidence", m.group(0), region == target,
                                     f"the {'largest' if want_high else 'smallest'} uncertain fraction is {target}'s"))
            continue
        much = (m.group(1) or m.group(2) or "").lower() in ("high", "large", "considerable", "substantial", "much", "great",
                                                           "many", "most", "large portions of", "much of")
        target = levels.get(region) if region else overall
        ok = target is not None and ((target != "high") if much else (target == "high"))
        ok = ok != is_negated_at(s, m.start(), m.end())
        claims.append(make_claim("confidence", m.group(0), ok,
                                 f"the {region + ' ' if region else 'overall '}confidence is {target!r}"))
    for m in _TTA_RANK_RE.finditer(s):
        near = [(p, r) for p, r in region_mentions(s, m.end(), len(s)) if r in regions]
        dice = {r: v.get("tta_dice") for r, v in regions.items() if isinstance(v.get("tta_dice"), (int, float))}
        if not near or near[0][1] not in dice:
            continue
        high = m.group(1).lower() in ("highest", "best")
        target = (max if high else min)(dice, key=dice.get)
        claims.append(make_claim("confidence", m.group(0), near[0][1] == target,
                                 f"the {'highest' if high else 'lowest'} flip-TTA Dice is {target}'s ({dice[target]:g})"))
    for m in _TTA_RE.finditer(s):
        dice = [v.get("tta_dice") for v in regions.values() if isinstance(v.get("tta_dice"), (int, float))]
        if not dice:
            claims.append(make_claim("confidence", m.group(0), False, "test-time augmentation was not run"))
            continue
        good = m.group(1).lower() in ("high", "good", "strong", "excellent")
        ok = (min(dice) >= TTA_GOOD) if good else (min(dice) < TTA_POOR)
        claims.append(make_claim("confidence", m.group(0), ok != is_negated_at(s, m.start(), m.end()),
                                 f"flip-TTA Dice per region: {', '.join(f'{d:g}' for d in dice)}"))
    for m in _DISAGREEMENT_CAUSE_RE.finditer(s):  # "confidence was lowered because the methods disagree"
        effect = str(conf.get("method_agreement_effect") or "")
        changes = not re.search(r"does not change|not change|beside", effect)
        negated = bool(re.search(r"\bnot\b|\bnever\b|n't\b", m.group(0), re.I))
        claims.append(make_claim("relation", m.group(0), changes != negated, f"method agreement: {effect or 'no effect recorded'}"))
    for m in _AGREEMENT_CHANGED_RE.finditer(s):
        effect = str(conf.get("method_agreement_effect") or "")
        changes = not re.search(r"does not change|not change|beside", effect)
        key = "verb" if m.group("verb") else "cause"
        negated = is_negated_at(s, m.start(key), m.end(key)) or is_negated_at(s, m.start(), m.end())
        claims.append(make_claim("relation", m.group(0), changes != negated,
                                 f"method agreement: {effect or 'no effect recorded'}"))
    if not claims:
        for m in CERTAINTY_HIGH_RE.finditer(s):
            if is_negated_at(s, m.start(), m.end()):
                continue
            near = [(p, r) for p, r in region_mentions(s, 0, len(s)) if r in levels]
            target = levels.get(near[0][1]) if near else overall
            claims.append(make_claim("confidence", m.group(0), target == "high",
                                     f"certainty words need high confidence; the tools say {target!r}"))
        for m in CERTAINTY_LOW_RE.finditer(s):
            claims.append(make_claim("confidence", m.group(0), overall == "low", f"the overall confidence is {overall!r}"))
    return claims

