"""Claims about how far the result can be trusted, checked against the confidence facts.

Trust, guarantees, accuracy percentages, "replaces expert review", clinical validation and
exactness overstate an uncalibrated research tool and fail unless denied; "calibrated"
must match the confidence tool's flag; under-segmentation statements must match the
per-region flags. Confidence levels themselves are in
:mod:`medbrain.agent.grounding.confidence_claims`.
"""

from __future__ import annotations

import re

from medbrain.agent.grounding.claim import Claim, make_claim
from medbrain.agent.grounding.mentions import region_mentions
from medbrain.agent.grounding.text import is_negated_at
from medbrain.facts import FactCatalogue, get

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
        claims.append(make_claim("confidence", m.group(0), negated,
                                 "overstates reliability: the tool is an uncalibrated research tool and needs expert review"))
    for m in _CALIBRATED_RE.finditer(s):
        calibrated = conf.get("calibrated")
        ok = calibrated is not None and bool(calibrated) != is_negated_at(s, m.start(), m.end())
        claims.append(make_claim("confidence", m.group(0), ok, f"calibrated={calibrated}"))
    regions = conf.get("regions") or {}
    for m in _UNDERSEG_RE.finditer(s):
        near = [(abs(p - m.start()), r) for p, r in region_mentions(s) if r in regions]
        flags = {r: bool((v or {}).get("likely_undersegmentation")) for r, v in regions.items()}
        negated = is_negated_at(s, m.start(), m.end())
        if near:
            region = min(near)[1]
            ok = flags.get(region, False) != negated
            claims.append(make_claim("confidence", f"{region} {m.group(0)}", ok, f"likely_undersegmentation for {region} is "
                                                                              f"{flags.get(region)}"))
        else:
            ok = any(flags.values()) != negated
            claims.append(make_claim("confidence", m.group(0), ok,
                                     f"regions flagged as likely under-segmented: {[r for r, v in flags.items() if v] or 'none'}"))
    return claims
