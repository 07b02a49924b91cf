"""Where-is-it claims of one sentence, each checked against the measured side and location.

Sides and hemispheres (with shares for bilateral tumours), midline crossing and proximity,
anatomy (lobes and structures, the primary location, atlas coverage, the side of each
structure's part) and which tumour sub-regions are present. Relation phrasing about the
same facts ("right-predominant", "frontal lobe only", "mostly oedema") is in
:mod:`medbrain.agent.grounding.location_relations`.
"""

from __future__ import annotations

import re

from medbrain.agent.grounding.claim import Claim, make_claim
from medbrain.agent.grounding.lexicon import ANATOMY_TERMS, INFRATENTORIAL, REGION_TERMS, SUPRATENTORIAL_LOBES
from medbrain.agent.grounding.mentions import ANATOMY_RE, term_pattern
from medbrain.agent.grounding.text import is_negated_at
from medbrain.facts import FactCatalogue, get

INVOLVED_MIN = 0.01  # a structure holding less than this share of the tumour is "not involved"
SIDE_SOME_MIN = 0.05  # a hemisphere holding at least this share is "involved"

_SUBREGION_RE = term_pattern({k: v for k, v in REGION_TERMS.items() if v in ("ET", "NCR", "ED") and len(k) > 3})
_SIDE_RE = re.compile(r"\b(left|right)(?:[- ]sided)?\b|\b([LR])(?=\s+(?:frontal|temporal|parietal|occipital|insula|insular|"
                      r"hemisphere|thalamus|cerebellar|lobe)\b)", re.I)
_NOT_SIDE_AFTER = re.compile(r"^\s*(?:now|away|panel|column|image|of the (?:figure|montage|panel|image)|to (?:be|the reader)|"
                             r"answer|choice|sequence|method|approach|place|thing)\b", re.I)
_BILATERAL_RE = re.compile(r"\b(bilateral(?:ly)?|bihemispheric|trans-?callosal|butterfly|both (?:hemispheres|sides)|contralateral(?! extent)|"
                           r"(?:into|to|reaches|involves?) the (?:other|opposite) (?:hemisphere|side))\b", re.I)
_UNILATERAL_RE = re.compile(r"\b(unilateral(?:ly)?|(?:confined|limited|restricted) to (?:one|a single|the (?:left|right)) "
                            r"(?:hemisphere|side)|(?:stays|remains|lies) (?:entirely|wholly|only) in the (?:left|right))\b", re.I)
_LOCATIVE_RE = re.compile(r"\b(?:lies|lie|is|are|located|situated|sits|confined|restricted|limited|centred|centered)"
                          r"\s+(?:\w+\s+){0,2}(?:in|within|to|on)\s+the\s+$", re.I)
# a share as the subject of a locative ("0.1% of the tumour volume lies to the right of the midline")
_SHARE_LOCATIVE_RE = re.compile(r"\d(?:\.\d+)?\s*(?:%|percent|per cent)(?:\s+[\w-]+){0,6}?\s+(?:lies|lie|is|are|sits|falls|"
                                r"extends|extending|extend|located|situated|crosses|reaches)\s+(?:\w+\s+){0,2}"
                                r"(?:(?:in|into|to|on|within|across)\s+the\s+)?$", re.I)
# a side word labelling a share right before it ("0.7% right", "(99.3% left, 0.7% right)", "0.7% on the right")
# ("0.1% of its volume on the left": the share's noun phrase may stand between the share and its side)
_SHARE_LABEL_RE = re.compile(r"\d(?:\.\d+)?\s*(?:%|percent|per cent)\s*(?:of\s+(?:the\s+|its\s+)?(?:[\w-]+\s+){0,2}?(?:volume|"
                             r"tumou?r|lesion|mass)\s+)?(?:(?:on|in|to|into)\s+the\s+)?$", re.I)
# the hemisphere as the subject of a share ("the right hemisphere holds 0.1% of the tumour")
_SIDE_HOLDS_RE = re.compile(r"^(?:left|right)\s+(?:hemisphere|side)\s+(?:holds|contains|has|accounts for|carries|includes)\s+"
                            r"(?:only\s+|about\s+|roughly\s+|around\s+|approximately\s+|~\s*)*\d", re.I)
_PARTIAL_RE = re.compile(r"\b(?:partly|partially|part of|some of|also|extends?|reaches|crosses|both)\b", re.I)
_MIDLINE_RE = re.compile(r"\b(?:midline|mid-?sagittal plane|interhemispheric fissure)\b", re.I)
_MIDLINE_CROSS_RE = re.compile(r"\b(cross(?:es|ed|ing)?|extend(?:s|ed|ing)? (?:across|over|past|beyond)|span(?:s|ning)?|"
                               r"traverses?|breach(?:es)?|past|beyond|over)\b(?:\s+\w+){0,2}\s*$", re.I)
_PRIMARY_RE = re.compile(r"\b(primar(?:y|ily)|mainly|mostly|predominantly|chiefly|largely|centred|centered|bulk|majority|most of|"
                         r"epicentre|epicenter|principal(?:ly)?|main(?:ly)?)\b", re.I)


# --------------------------------------------------------------------------- sides and midline
def check_sides(s: str, cat: FactCatalogue) -> list[Claim]:
    side = get(cat.raw, "measurements", "side", default={}) or {}
    measured = side.get("side", "none")
    shares = {"left": float(side.get("left_fraction") or 0.0), "right": float(side.get("right_fraction") or 0.0)}
    claims = []
    structure_sides = {st.get("name"): st.get("side") for st in
                       (get(cat.raw, "measurements", "location", "structures", default=[]) or [])}
    anatomy_at = [(a.start(), ANATOMY_TERMS[a.group(1).lower()][0]) for a in ANATOMY_RE.finditer(s)]
    for m in _SIDE_RE.finditer(s):
        if _NOT_SIDE_AFTER.match(s[m.end():]) and not re.match(r"^\s*(?:hemisphere|side|lobe)", s[m.end():], re.I):
            continue
        if re.match(r"^(?:left|right)\s*(?:[-–/]|to)\s*(?:left|right)\b", s[m.start():], re.I) \
                or re.search(r"\b(?:left|right)\s*(?:[-–/]|to)\s*$", s[max(0, m.start() - 10):m.start()], re.I):
            continue  # "left-right mirror", "left-to-right": an axis, not a side
        if re.match(r"^(?:left|right)[- ](?:sided|hemispheric|predominan|dominant|lateral)", s[m.start():], re.I):
            continue  # an adjective about the whole tumour: location_relations.check_laterality
        word = (m.group(1) or {"l": "left", "r": "right"}[m.group(2).lower()]).lower()
        share = shares[word]
        if side and re.search(r"\b(?:negligible|tiny|trace|minimal|minute|vanishingly small)\b", s[m.end():m.end() + 50], re.I) \
                or re.search(r"\b(?:negligible|tiny|trace|minimal)\b[^.;]{0,25}$", s[:m.start()], re.I):
            claims.append(make_claim("side", f"negligible {word}", share < SIDE_SOME_MIN,
                                     f"the {word} hemisphere holds {round(100 * share, 1)}% of the tumour"))
            continue
        clause_start = max([0] + [c.end() for c in re.finditer(r"[;,]|\b(?:while|whereas|but|and)\b", s[:m.start()], re.I)])
        clause_end = min([len(s)] + [m.end() + c.start() for c in re.finditer(r"[;,]|\b(?:while|whereas|but)\b", s[m.end():], re.I)])
        bound = [n for p, n in anatomy_at if clause_start <= p < clause_end and n]
        if side and measured == "bilateral" and bound and all(structure_sides.get(n) == word for n in bound) \
                and not _PRIMARY_RE.search(s[max(0, m.start() - 40):m.start()]):
            claims.append(make_claim("side", m.group(0), True, ""))  # "the insular component is on the left"
            continue
        if not side:
            claims.append(make_claim("side", m.group(0), False, "no side was measured"))
            continue
        if _SHARE_LOCATIVE_RE.search(s[clause_start:m.start()]) or _SIDE_HOLDS_RE.match(s[m.start():]) \
                or _SHARE_LABEL_RE.search(s[max(0, m.start() - 45):m.start()]) \
                or re.match(r"^(?:left|right)\s+(?:fraction|share|proportion)\b|^(?:left|right)\s*:?\s*\d+(?:\.\d+)?\s*(?:%|percent)",
                            s[m.start():], re.I):
            continue  # "0.1% of the tumour lies to the right": a share, checked as a number bound to that side
        if is_negated_at(s, m.start(), m.end()):
            ok = share < SIDE_SOME_MIN
            claims.append(make_claim("side", "not " + m.group(0), ok,
                                     f"the {word} hemisphere holds {round(100 * share, 1)}% of the tumour"))
            continue
        ok = measured == word or (measured == "bilateral" and share >= SIDE_SOME_MIN)
        lead = s[max(0, m.start() - 40):m.start()]
        if ok and measured == "bilateral" and _PRIMARY_RE.search(lead):
            ok = share >= max(shares.values())
        elif ok and measured == "bilateral" and _LOCATIVE_RE.search(lead) and not _PARTIAL_RE.search(s):
            ok = share >= 0.9  # "lies in the right hemisphere" of a bilateral tumour says too much
        claims.append(make_claim("side", m.group(0), ok,
                                 f"the measured side is {measured!r} ({word} share {round(100 * share, 1)}%)"))
    for m in _BILATERAL_RE.finditer(s):
        negated = is_negated_at(s, m.start(), m.end())
        stated = measured == "bilateral" or bool(side.get("crosses_midline"))
        ok = (not stated) if negated else stated
        claims.append(make_claim("side", m.group(0), ok, f"the measured side is {measured!r}"))
    for m in _UNILATERAL_RE.finditer(s):
        negated = is_negated_at(s, m.start(), m.end())
        stated = measured in ("left", "right") and min(shares.values()) < SIDE_SOME_MIN
        ok = (not stated) if negated else stated
        claims.append(make_claim("side", m.group(0), ok, f"the measured side is {measured!r}"))
    for m in re.finditer(r"\bmidline (?:crossing|extension|involvement)\s+(?:is|was)\s+(?:(not)\s+)?(present|seen|noted|absent|"
                         r"evident)\b", s, re.I):
        says = (m.group(2).lower() != "absent") != bool(m.group(1))
        crosses = side.get("crosses_midline")
        claims.append(make_claim("midline", m.group(0), crosses is not None and bool(crosses) == says,
                                 f"measured crosses_midline={crosses}"))
    for m in _MIDLINE_RE.finditer(s):
        before = s[max(0, m.start() - 40):m.start()]
        if re.search(r"\b(?:shift|deviation)\b", s[m.end():m.end() + 12], re.I):
            continue  # mass effect is a clinical claim (see clinical checks)
        if re.search(r"\b(?:past|beyond)\s+the\s+$", before, re.I) and re.search(r"\d", before):
            continue  # "reaches 3.8 mm past the midline": an extent, checked as a number
        crossing = _MIDLINE_CROSS_RE.search(before)
        if not crossing:
            if re.search(r"\b(?:near|close to|abut\w*|adjacent to|reach\w*|touch\w*|approach\w*|at)\s+(?:the\s+)?$", before, re.I):
                claims.append(make_claim("midline", "near the midline", False, "no tool measured proximity to the midline"))
            continue
        negated = is_negated_at(s, crossing.start() + max(0, m.start() - 40), m.end())
        crosses = side.get("crosses_midline")
        ok = crosses is not None and bool(crosses) == (not negated)
        text = ("does not cross" if negated else "crosses") + " the midline"
        claims.append(make_claim("midline", text, ok, f"measured crosses_midline={crosses}"))
    return claims


# --------------------------------------------------------------------------- anatomy
def check_anatomy(s: str, cat: FactCatalogue) -> list[Claim]:
    loc = get(cat.raw, "measurements", "location", default={}) or {}
    known = loc.get("status") == "known"
    involved = {st.get("name"): float(st.get("fraction_of_tumour") or 0.0) for st in loc.get("structures") or []}
    claims = []
    for m in ANATOMY_RE.finditer(s):
        term = m.group(1).lower()
        if term in ("temporal", "frontal") and re.match(r"^\s*(?:resolution|order|horn)", s[m.end():], re.I) and term != "temporal horn":
            continue
        structure, kind = ANATOMY_TERMS[term]
        negated = is_negated_at(s, m.start(), m.end())
        if negated and re.search(r"\bnot\s+(?:only|just|merely|solely|confined to|limited to|restricted to)\s+(?:the\s+)?"
                                 r"(?:[\w-]+\s+){0,2}$", s[max(0, m.start() - 45):m.start()], re.I):
            negated = False  # "not confined to the parietal lobe": it is involved, and more
        if not known:
            claims.append(make_claim("structure", m.group(0), False,
                                     f"location is unknown ({loc.get('reason') or 'not on the SRI24 grid'})"))
            continue
        share = involved.get(structure, 0.0) if structure else 0.0
        if kind == "uncovered":
            if negated and term in INFRATENTORIAL:
                supra = loc.get("primary_lobe") in SUPRATENTORIAL_LOBES and involved.get("brainstem", 0.0) == 0.0
                claims.append(make_claim("structure", "not " + m.group(0), supra,
                                         "the atlas has no mask for it and the tumour is not shown to be supratentorial"))
            else:
                claims.append(make_claim("structure", m.group(0), False, "the SRI24 atlas masks do not cover this structure"))
            continue
        if negated:
            claims.append(make_claim("structure", "not " + m.group(0), share < INVOLVED_MIN,
                                     f"the atlas puts {round(100 * share, 1)}% of the tumour in the {structure}"))
            continue
        if kind == "part":
            claims.append(make_claim("structure", m.group(0), False,
                                     f"finer than the atlas resolves (only the {structure} is measured)"))
            continue
        ok = share >= INVOLVED_MIN
        reason = f"the atlas puts {round(100 * share, 1)}% of the tumour in the {structure}"
        lead = re.split(r"[,;]|\b(?:with|whereas|while|but|followed by|then)\b", s[max(0, m.start() - 45):m.start()])[-1]
        if ok and _PRIMARY_RE.search(lead) and not re.search(
                r"\b(?:rather than|instead of|than)\s+(?:the\s+)?(?:[\w-]+\s+)?$", s[max(0, m.start() - 25):m.start()], re.I):
            lobes = {k: v for k, v in involved.items() if k in SUPRATENTORIAL_LOBES}
            top = max(involved, key=involved.get) if involved else None
            ok = structure in (loc.get("primary_lobe"), top) or (lobes and involved[structure] >= max(lobes.values()))
            reason = f"the primary location is {loc.get('primary_lobe')!r}"
        side_word = re.search(r"\b(left|right)\s+(?:\w+\s+)?$", s[max(0, m.start() - 14):m.start()], re.I)
        if ok and side_word:
            st_side = next((st.get("side") for st in loc.get("structures") or [] if st.get("name") == structure), None)
            ok = st_side in (side_word.group(1).lower(), "bilateral")
            reason = f"the tumour's part in the {structure} is on the {st_side} side"
        claims.append(make_claim("structure", m.group(0), ok, reason))
    return claims


# --------------------------------------------------------------------------- sub-regions
_NO_TUMOUR_RE = re.compile(
    r"\b(?:no(?!\s+(?:part|portion|component|area|voxels?|fraction|share)s?\s+of\b)|not|did not|didn't|does not|doesn't|"
    r"nothing)\b[^.;]{0,50}?\b(?:find|found|segment\w*|detect\w*|mark\w*|"
    r"predict\w*|see|seen|identif\w*)\b[^.;]{0,40}?\b(?:tumou?r|lesion|abnormality)\b"
    r"|\bno (?:tumou?r|lesion)s? (?:was|were|is|are) (?:found|segmented|detected|predicted|seen|identified)\b", re.I)


_COUNTED_ACTION_RE = re.compile(r"^[\s-]*(?:tumou?r\s+|core\s+)?(?:voxels?|components?|pixels?)\s+(?:were|was|got|have been|had been)\s+"
                                r"(?:\w+\s+)?(?:relabell?ed|removed|dropped|discarded|deleted|reassigned|changed)\b", re.I)
_ATLAS_ALL_RE = re.compile(r"\b(?:entirely|wholly|completely|fully)\s+(?:\w+\s+){0,2}?within\s+(?:the\s+)?(?:labell?ed\s+)?atlas\b|"
                           r"\b(?:lies|lie|is|falls?|sits?)\s+within\s+(?:the\s+)?labell?ed\s+atlas\s+structures\b", re.I)
_ATLAS_NONE_OUTSIDE_RE = re.compile(r"\b(?:nothing|no part|none|no voxels?|no portion)\b[^.;]{0,30}?\boutside\s+(?:them|the\s+"
                                    r"(?:labell?ed\s+)?(?:atlas|structures))\b", re.I)


def check_atlas_coverage(s: str, cat: FactCatalogue) -> list[Claim]:
    """ "The tumour lies within labelled atlas structures, with nothing outside them": the share outside them is 0."""
    outside = get(cat.raw, "measurements", "location", "fraction_outside_atlas_structures")
    within = _ATLAS_ALL_RE.search(s)
    none = _ATLAS_NONE_OUTSIDE_RE.search(s)
    if not isinstance(outside, (int, float)) or not (within or none) or re.search(r"\d\s*(?:%|percent)", s):
        return []
    says_all = bool(none) or not is_negated_at(s, within.start(), within.end())
    ok = (float(outside) == 0.0) == says_all
    return [make_claim("structure", (none or within).group(0), ok,
                       f"{round(100 * float(outside), 1)}% of the tumour lies outside the labelled atlas structures")]


def check_subregions(s: str, cat: FactCatalogue) -> list[Claim]:
    volumes = get(cat.raw, "measurements", "volumes_ml", default={}) or {}
    claims = []
    for m in _NO_TUMOUR_RE.finditer(s):
        wt = float(volumes.get("WT", 0.0) or 0.0)
        claims.append(make_claim("subregion", m.group(0), wt == 0, f"the predicted whole-tumour volume is {wt:g} mL"))
    for m in _SUBREGION_RE.finditer(s):
        region = REGION_TERMS[m.group(1).lower()]
        if region == "ET" and re.match(r"^\s*(?:T1|sequence|scan|image)", s[m.end():], re.I):
            continue  # "contrast-enhanced T1" names a sequence
        if _COUNTED_ACTION_RE.match(s[m.end():]):
            continue  # "no enhancing-tumour voxels were relabelled": a count of the clean-up, not the region's absence
        if re.search(r"\b(?:ring|rim|leptomeningeal|nodular|patchy|dural|meningeal)[- ]$", s[max(0, m.start() - 16):m.start()], re.I):
            continue  # "ring enhancement": a radiological sign (a clinical claim), not the enhancing sub-region
        volume = float(volumes.get(region, 0.0) or 0.0)
        negated = is_negated_at(s, m.start(), m.end())
        ok = volume == 0 if negated else volume > 0
        claims.append(make_claim("subregion", ("no " if negated else "") + m.group(0), ok,
                                 f"predicted {region} volume is {volume:g} mL"))
    return claims
