"""Claims about how far the result can be trusted, checked against the confidence facts.

Trust, guarantees, accuracy percentages, "replaces expert review", clinical validation and
exactness overstate an uncalibrated research tool and fail unless denied ("almost perfectly" of
a region whose Dice against the reference is at least 0.95 is not an overclaim); "calibrated"
must match the confidence tool's flag; under-segmentation statements must match the
per-region flags; over-segmentation (no tool assesses it) fails unless denied; "no ground
truth" must match the Dice scores, and "Dice is lowest for the ET" their extremes; the
methods' own flags (IG and SLICE convergence, SLICE stability/reliability, consistency across
seeds) must match. Confidence levels themselves are in
:mod:`medbrain.agent.grounding.confidence_claims`.
"""

from __future__ import annotations

import re

from medbrain.agent.grounding.claim import Claim, make_claim
from medbrain.agent.grounding.mentions import method_mentions, region_mentions
from medbrain.agent.grounding.text import is_negated_at
from medbrain.facts import FactCatalogue, display_word, get

_OVERCLAIM_RE = re.compile(
    r"\b(?:can|could|may|should) (?:safely |fully )?be (?:trusted|relied upon|relied on)\b|\bguarantee[sd]?\b|"
    r"\b(?:100|9\d)(?:\.\d+)?\s*%\s*(?:accurate|accuracy|certain|sure|reliable)\b|\bclinically (?:validated|proven|approved)\b|"
    r"\b(?:replace|replaces|substitute for|instead of) (?:the |a |an )?(?:expert|radiologist|clinical|human|specialist)\b|"
    r"\bno (?:need|further need) (?:for|of) (?:a |any )?(?:expert |radiologist |human |manual |clinical )?review\b|"
    r"\bwithout (?:any |further |expert |radiologist |human )*review\b|\berror[- ]free\b|\bdefinitive(?:ly)?\b|"
    r"\bcertain(?:ly)? correct\b|\b(?:is|are|was|were)\s+(?:completely\s+|absolutely\s+|entirely\s+|essentially\s+|virtually\s+|practically\s+|effectively\s+|fully\s+|totally\s+|100%\s+)?(?:'|\x22)?certain\b|"
    r"\bwith (?:complete |absolute )?certainty\b|\bundoubtedly\b|\bbeyond (?:any |all )?doubt\b|\bwithout (?:any )?doubt\b|"
    r"\bunequivocal(?:ly)?\b|\b(?:very|completely|absolutely|totally|100%)\s+sure\b|"
    r"\b(?:taken|read|used|regarded|treated|seen)\s+as\s+(?:proof|definitive evidence|a guarantee)\b|\bconclusive(?:ly)?\b|\bdefinite(?:ly)?\b|\bis (?:always|definitely) (?:right|correct|accurate)\b|"
    r"\b(?:result|segmentation|prediction|finding|outline)s? (?:is|are) (?:certain|definite|definitely correct|exact)\b|"
    r"(?<!cross-)(?<!cross )\b(?:clinically )?validated(?! against)\b|\bclinical(?:ly)? (?:grade|metric)\b|\bperfect(?:ly)?\b|"
    r"\baccurate to (?:within )?(?:a|one|\d)|\b(?:confirm\w*|prove[sn]?|proving|demonstrat\w*|establish\w*|guarantee\w*)\s+"
    r"(?:an?\s+|the\s+)?(?:accura\w+|correct\w*|precise\w*|exact\w*)|\bexact(?:ly)? (?:boundar\w*|outline|delineation)\b|\bno errors?\b|"
    # "the explanation methods prove that ...", "can safely be used for clinical decisions"
    r"\bprove[sn]?\s+that\b|\bproof that\b|\b(?:can|could|may|should)\s+(?:safely\s+|reliably\s+|now\s+)?be\s+(?:used|relied on)\s+"
    r"(?:for|in|to\s+(?:guide|inform|make|drive|support))\s+(?:\w+\s+){0,2}?(?:clinical|diagnostic|treatment|therapeutic|patient)\b|"
    r"\bsafe(?:ly)?\s+(?:to\s+use\s+)?for\s+(?:clinical|diagnostic)\b|\bready for clinical\b", re.I)
_CALIBRATED_RE = re.compile(r"\b(?:well[- ])?calibrated\b", re.I)
_UNDERSEG_RE = re.compile(r"\b(?:under-?segment\w*|missed (?:parts|tumou?r))\b", re.I)
# "possibly missed": a region not predicted although probability sits where it would be (its own flag)
_MISSED_REGION_RE = re.compile(r"\b(?:possibly|likely|probably) missed\b", re.I)


_CONVERGED_RE = re.compile(r"\b(converged|converges|converge|convergence (?:was )?(?:reached|achieved))\b", re.I)
_CONVERGED_AT_RE = re.compile(r"\bconverge[sd]?\b[^.;:,]{0,20}?\b(?:at|after|with|in|within|by)\s+(?:the\s+|its\s+)?"
                              r"(?:initial\s+|first\s+|final\s+|only\s+)?(\d+)\s+steps\b|"
                              r"\b(?:needed|took|required|used)\s+(?:only\s+)?(?:the\s+|its\s+)?(?:initial\s+|first\s+|final\s+)?"
                              r"(\d+)\s+steps\s+(?:to|before it could)\s+converge\b|"
                              r"\b(\d+)\s+steps\s+(?:were enough|sufficed|was enough)\b", re.I)
_STABLE_RE = re.compile(r"\b(stable|stability check passed|reliable|reliably)\b", re.I)
_CONSISTENT_RE = re.compile(r"\b(?:in)?consisten(?:t|cy)\b[^.;]{0,30}?\b(?:across|over|between)\b[^.;]{0,20}?\b(?:seeds?|runs?|repeats?)\b",
                            re.I)
_OVERSEG_RE = re.compile(r"\bover-?segment\w*", re.I)
_NO_TRUTH_RE = re.compile(r"\bno (?:ground[- ]truth|reference segmentation|reference)\b(?: (?:was|is) (?:available|supplied|provided|given))?"
                          r"|\bdice (?:could|can|was) not (?:be )?(?:computed|calculated|measured)\b", re.I)
_STATE_METHODS = {"integrated_gradients": ("integrated_gradients", "converged"), "slice": ("slice", "stability", "converged")}


_DICE_TERM_RE = re.compile(r"\b(?:dice(?: scores?)?|segmentation (?:agreement|overlap|accuracy)|agreement with the (?:ground[- ]truth|reference)(?: segmentation)?|"
                           r"overlap with the (?:ground[- ]truth|reference)(?: segmentation)?)\b", re.I)
_EXTREME_RE = re.compile(r"\b(best|highest|strongest|greatest|lowest|worst|poorest|weakest)\b", re.I)


_COMPARE_RE = re.compile(r"\b(higher|lower|better|worse|greater|larger|smaller|stronger|weaker)\s+than\b", re.I)


def _dice_extreme_claims(s: str, cat: FactCatalogue) -> list[Claim]:
    """ "agreement with the ground truth is best for the enhancing tumour": the region with the extreme Dice."""
    scores = {k: float(v) for k, v in (get(cat.raw, "segmentation", "scores_vs_truth", default={}) or {}).items()
              if isinstance(v, (int, float))}
    term = _DICE_TERM_RE.search(s)
    if len(scores) < 2 or not term:
        return []
    claims = []
    if not re.search(r"\b(?:flip|tta|test-time)\b", s, re.I):
        for m in _COMPARE_RE.finditer(s):  # "whole-tumour Dice was higher than tumour-core Dice"
            before = [r for p, r in region_mentions(s) if p < m.start() and r in scores]
            after = [r for p, r in region_mentions(s) if p > m.start() and r in scores]
            if not before or not after or before[-1] == after[0]:
                continue
            a, b = before[-1], after[0]
            higher = m.group(1).lower() in ("higher", "better", "greater", "larger", "stronger")
            ok = ((scores[a] > scores[b]) == higher) != is_negated_at(s, m.start(), m.end())
            claims.append(make_claim("relation", f"Dice {a} {'higher' if higher else 'lower'} than {b}", ok,
                                     f"Dice {a} {scores[a]:g}, {b} {scores[b]:g}"))
    for m in _EXTREME_RE.finditer(s):
        near = [(abs(p - m.start()), r) for p, r in region_mentions(s) if r in scores and abs(p - m.start()) < 40]
        if not near or abs(term.start() - m.start()) > 80:
            continue
        region = min(near)[1]
        high = m.group(1).lower() in ("best", "highest", "strongest", "greatest")
        target = max(scores, key=scores.get) if high else min(scores, key=scores.get)
        ok = (target == region) != is_negated_at(s, m.start(), m.end())
        claims.append(make_claim("relation", f"{'highest' if high else 'lowest'} Dice for {region}", ok,
                                 f"the {'highest' if high else 'lowest'} Dice is {target}'s ({scores[target]:g})"))
    return claims


def _method_state_claims(s: str, cat: FactCatalogue) -> list[Claim]:
    """ "IG did not converge", "SLICE produced a stable and reliable explanation", "consistent across seeds":
    the methods' own convergence, stability and consistency flags."""
    claims = []
    mentions = method_mentions(s)
    for m in _CONVERGED_RE.finditer(s):
        near = [k for a, b, k in mentions if a < m.start() and k in _STATE_METHODS]
        if not near:
            continue
        flag = get(cat.raw, "explanations", *_STATE_METHODS[near[-1]])
        says = not is_negated_at(s, m.start(), m.end())
        if re.search(r"\b(?:fail(?:s|ed)?|unable|did not manage) to\s+$", s[max(0, m.start() - 20):m.start()], re.I):
            says = not says  # "failed to converge"
        claims.append(make_claim("relation", f"{display_word(near[-1])} {'converged' if says else 'did not converge'}",
                                 flag is not None and bool(flag) == says, f"converged for {display_word(near[-1])} is {flag}"))
    steps = get(cat.raw, "explanations", "integrated_gradients", "steps_tried") \
        or [get(cat.raw, "explanations", "integrated_gradients", "settings", "n_steps")]
    for m in _CONVERGED_AT_RE.finditer(s):  # "IG converged at the initial 16 steps": the steps it converged at
        near = [k for a, b, k in mentions if a < m.start()]
        if near and near[-1] == "integrated_gradients" and isinstance(steps[-1], int):
            said = int(next(g for g in m.groups() if g))
            claims.append(make_claim("relation", m.group(0), said == steps[-1],
                                     f"Integrated Gradients tried {steps} steps and stopped at {steps[-1]}"))
    for m in _STABLE_RE.finditer(s):
        near = [k for a, b, k in mentions if a < m.start() and k == "slice"]
        if not near or re.search(r"\bmost\s+$", s[max(0, m.start() - 6):m.start()], re.I):
            continue  # "the most reliable method" is the comparison's most-faithful claim
        stability = get(cat.raw, "explanations", "slice", "stability", default={}) or {}
        key = "converged" if m.group(1).lower() == "stable" else "reliable"
        flag = stability.get(key) if key == "converged" else stability.get("reliable")
        if key == "converged" and flag is None:
            flag = stability.get("reliable")
        says = not is_negated_at(s, m.start(), m.end())
        claims.append(make_claim("relation", f"SLICE {'' if says else 'not '}{m.group(1).lower()}",
                                 flag is not None and bool(flag) == says, f"SLICE stability {key} is {flag}"))
    for m in _CONSISTENT_RE.finditer(s):
        near = [k for a, b, k in mentions if a < m.start()]
        if not near:
            continue
        flag = get(cat.raw, "explanations", near[-1], "consistency", "consistent")
        seed_free = bool(get(cat.raw, "comparison", "consistency", near[-1], "seed_free"))
        if flag is None and seed_free and not re.search(r"\bseeds?\b", m.group(0), re.I):
            flag = True  # a seed-free method gives the same map on every run of the same input
        says = (not is_negated_at(s, m.start(), m.end())) != m.group(0).lower().startswith("in")  # "inconsistent"
        unmeasured = bool(re.search(r"\bnot (?:been )?(?:measured|assessed|computed|tested|checked|evaluated|run)\b|\bunknown\b|"
                                    r"\bcannot be (?:judged|assessed)\b", s[m.start():], re.I))
        ok = (flag is None) if unmeasured else (flag is not None and bool(flag) == says)
        claims.append(make_claim("relation", f"{display_word(near[-1])} {'consistent' if says else 'not consistent'} across seeds",
                                 ok, "consistency across seeds was not measured" if flag is None
                                 else f"{display_word(near[-1])} has no seed: the same map on every run" if seed_free
                                 else f"consistent is {flag}"))
    return claims


NEAR_PERFECT_DICE = 0.95  # "almost perfect" agreement with the reference: a Dice at least this high
_NEAR_RE = re.compile(r"\b(?:almost|nearly|near|close to)[- ]$", re.I)


def _near_perfect_overlap(s: str, m: re.Match, cat: FactCatalogue) -> bool:
    """ "almost perfectly", "near-perfect" said of a region's agreement with the reference whose Dice is at least
    :data:`NEAR_PERFECT_DICE` (the region named nearest to the word; never a bare "perfect")."""
    if not m.group(0).lower().startswith("perfect") or not _NEAR_RE.search(s[max(0, m.start() - 12):m.start()]):
        return False
    scores = get(cat.raw, "segmentation", "scores_vs_truth", default={}) or {}
    if not _DICE_TERM_RE.search(s) and not re.search(r"\breference\b|\bground[- ]truth\b", s, re.I):
        return False
    near = sorted((abs(p - m.start()), r) for p, r in region_mentions(s) if isinstance(scores.get(r), (int, float)))
    return bool(near) and float(scores[near[0][1]]) >= NEAR_PERFECT_DICE


def check_reliability(s: str, cat: FactCatalogue) -> list[Claim]:
    conf = get(cat.raw, "confidence", default={}) or {}
    claims = []
    for m in _OVERCLAIM_RE.finditer(s):
        if _near_perfect_overlap(s, m, cat):
            continue  # "the core is reproduced almost perfectly (Dice 0.963)": a hedged word for a measured overlap
        if m.group(0).lower().startswith(("without", "no error")):  # its own "without" / "no" is not a denial of it
            negated = bool(re.search(r"\b(?:not|never|cannot|can't|no|nothing|must not|should not|shouldn't)\b", s[:m.start()],
                                     re.I))
        else:
            negated = is_negated_at(s, m.start(), m.end()) \
                or bool(re.search(r"\b(?:rather than|instead of|not)\s+(?:\w+\s+)?$", s[max(0, m.start() - 25):m.start()], re.I))
            # "a radiologist must confirm the accuracy", "to establish exactly …", "a definite answer needs tissue":
            # a task or a requirement, not a claim
            if re.match(r"(?i)(?:confirm|prove|demonstrat|establish|guarantee|exact|definite)", m.group(0)) and (
                    re.search(r"\b(?:must|should|to|needs? to|would|could|can|will)\s+(?:\w+\s+)?$", s[max(0, m.start() - 25):m.start()], re.I)
                    or re.search(r"\b(?:needs?|requires?|would need|cannot)\b", s[m.end():], re.I)):
                negated = True
        claims.append(make_claim("confidence", m.group(0), negated,
                                 "overstates reliability: the tool is an uncalibrated research tool and needs expert review"))
    for m in _CALIBRATED_RE.finditer(s):
        calibrated = conf.get("calibrated")
        ok = calibrated is not None and bool(calibrated) != is_negated_at(s, m.start(), m.end())
        claims.append(make_claim("confidence", m.group(0), ok, f"calibrated={calibrated}"))
    claims.extend(_method_state_claims(s, cat))
    claims.extend(_dice_extreme_claims(s, cat))
    for m in _OVERSEG_RE.finditer(s):
        claims.append(make_claim("confidence", m.group(0), is_negated_at(s, m.start(), m.end()),
                                 "no tool assesses over-segmentation"))
    for m in _NO_TRUTH_RE.finditer(s):
        scores = get(cat.raw, "segmentation", "scores_vs_truth", default={}) or {}
        has = any(isinstance(v, (int, float)) for v in scores.values())
        claims.append(make_claim("confidence", m.group(0), not has, "Dice against the reference was computed"))
    regions = conf.get("regions") or {}
    under = {r: bool((v or {}).get("likely_undersegmentation")) for r, v in regions.items()}
    missed = {r: r in (conf.get("possibly_missed_regions") or []) for r in regions}
    for pattern, flags, what in ((_UNDERSEG_RE, under, "likely under-segmented"), (_MISSED_REGION_RE, missed, "possibly missed")):
        for m in pattern.finditer(s):
            claims.append(_flag_claim(s, m, flags, what, regions))
    return claims


def _flag_claim(s: str, m: re.Match, flags: dict[str, bool], what: str, regions: dict) -> Claim:
    """A region said to be (or not to be) under-segmented / possibly missed, against the tool's flags."""
    near = [(abs(p - m.start()), r) for p, r in region_mentions(s) if r in regions]
    negated = is_negated_at(s, m.start(), m.end())
    if near:
        region = min(near)[1]
        return make_claim("confidence", f"{region} {m.group(0)}", flags.get(region, False) != negated,
                          f"{what} for {region} is {flags.get(region)}")
    return make_claim("confidence", m.group(0), any(flags.values()) != negated,
                      f"regions flagged as {what}: {[r for r, v in flags.items() if v] or 'none'}")
