"""Non-numeric claims of one sentence, each checked against the facts.

Sides and hemispheres, midline crossing, anatomy (lobes and structures, primary location),
tumour sub-regions, explanation methods, relation claims (agreement between methods,
best/most faithful method, dominant sequence), confidence words (overall and per region),
clinical content (an allowlist: diagnoses, grades, markers, prognosis, treatment, drugs,
referrals, identifiers and prior-scan comparisons fail), meta text and hidden characters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from medbrain.agent.grounding.lexicon import (
    ANATOMY_TERMS, CERTAINTY_HIGH_RE, CERTAINTY_LOW_RE, CLINICAL_CLASSES, DISCLAIMER_RE, INFRATENTORIAL,
    KNOWN_PROPER, META_EXTRA_RE, META_RE, METHOD_TERMS, OTHER_XAI_TERMS, REGION_TERMS, SEQUENCE_TERMS, SUPRATENTORIAL_LOBES,
)
from medbrain.agent.grounding.text import is_negated_at, mixed_script_words, negation_scopes, non_latin_words
from medbrain.facts import FactCatalogue, display_word, get

INVOLVED_MIN = 0.01  # a structure holding less than this share of the tumour is "not involved"
SIDE_SOME_MIN = 0.05  # a hemisphere holding at least this share is "involved"


@dataclass
class Claim:
    """One checkable statement found in a text."""

    kind: str
    text: str
    supported: bool
    reason: str = ""


def _claim(kind: str, text: str, ok: bool, reason: str) -> Claim:
    return Claim(kind, text, ok, "" if ok else reason)


def region_mentions(s: str, start: int = 0, end: int | None = None) -> list[tuple[int, str]]:
    """(position, region code) of each region named in ``s[start:end]``: words in any case,
    abbreviations (WT, TC, ET, ED, NCR) only in capitals."""
    return [(m.start(), REGION_TERMS[m.group(1).lower()])
            for m in _REGION_MENTION_RE.finditer(s, start, len(s) if end is None else end)
            if len(m.group(1)) > 3 or m.group(1).isupper()]


def _term_re(terms) -> re.Pattern:
    keys = sorted(terms, key=len, reverse=True)
    return re.compile(r"(?<![\w-])(" + "|".join(re.escape(k) for k in keys) + r")(?![\w])", re.I)


_ANATOMY_RE = _term_re(ANATOMY_TERMS)
_METHOD_RE = _term_re(METHOD_TERMS)
_OTHER_XAI_RE = _term_re(OTHER_XAI_TERMS)
_SEQUENCE_RE = _term_re(SEQUENCE_TERMS)
_REGION_MENTION_RE = _term_re({k: v for k, v in REGION_TERMS.items() if len(k) > 3 or k in ("et", "tc", "wt", "ed", "ncr")})
_SUBREGION_RE = _term_re({k: v for k, v in REGION_TERMS.items() if v in ("ET", "NCR", "ED") and len(k) > 3})
_SIDE_RE = re.compile(r"\b(left|right)(?:[- ]sided)?\b|\b([LR])(?=\s+(?:frontal|temporal|parietal|occipital|insula|insular|"
                      r"hemisphere|thalamus|cerebellar|lobe)\b)", re.I)
_NOT_SIDE_AFTER = re.compile(r"^\s*(?:now|away|panel|column|image|of the (?:figure|montage|panel|image)|to (?:be|the reader)|"
                             r"answer|choice|sequence|method|approach|place|thing)\b", re.I)
_NOT_SIDE_BEFORE = re.compile(r"(?:\bthe|\ba)\s+$", re.I)
_BILATERAL_RE = re.compile(r"\b(bilateral(?:ly)?|bihemispheric|trans-?callosal|butterfly|both (?:hemispheres|sides)|contralateral(?! extent)|"
                           r"(?:into|to|reaches|involves?) the (?:other|opposite) (?:hemisphere|side))\b", re.I)
_UNILATERAL_RE = re.compile(r"\b(unilateral(?:ly)?|(?:confined|limited|restricted) to (?:one|a single|the (?:left|right)) "
                            r"(?:hemisphere|side)|(?:stays|remains|lies) (?:entirely|wholly|only) in the (?:left|right))\b", re.I)
_LOCATIVE_RE = re.compile(r"\b(?:lies|lie|is|are|located|situated|sits|confined|restricted|limited|centred|centered)"
                          r"\s+(?:\w+\s+){0,2}(?:in|within|to|on)\s+the\s+$", re.I)
_PARTIAL_RE = re.compile(r"\b(?:partly|partially|part of|some of|also|extends?|reaches|crosses|both)\b", re.I)
_MIDLINE_RE = re.compile(r"\bmidline\b", re.I)
_MIDLINE_CROSS_RE = re.compile(r"\b(cross(?:es|ed|ing)?|extend(?:s|ed|ing)? (?:across|over|past|beyond)|span(?:s|ning)?|"
                               r"traverses?|breach(?:es)?|past|beyond|over)\b(?:\s+\w+){0,2}\s*$", re.I)
_PRIMARY_RE = re.compile(r"\b(primar(?:y|ily)|mainly|mostly|predominantly|chiefly|largely|centred|centered|bulk|majority|most of|"
                         r"epicentre|epicenter|principal(?:ly)?|main(?:ly)?)\b", re.I)
_DOMINANT_RE = re.compile(
    r"\b(relied (?:mostly|most|mainly|chiefly|primarily|heavily) on|rel(?:ies|y) (?:mostly|most|mainly|chiefly|primarily) on|"
    r"driven (?:mostly |mainly |chiefly |primarily )?by|dominated by|dominant|most (?:important|influential|informative)|"
    r"contributed (?:the )?most|contributes (?:the )?most|largest (?:share|contribution)|strongest contribution|"
    r"mattered most|matters most|weighted most|most weight|(?:most|largest|greatest) (?:of the )?(?:attribution|share|weight))\b", re.I)
_AGREE_RE = re.compile(r"\b(agree(?:s|d|ment)?|concur|align|coincide|overlap|consistent with each other|similar)\b", re.I)
_DISAGREE_RE = re.compile(r"\b(disagree(?:s|d|ment)?|differ(?:s|ed)?|diverge(?:s|d)?|conflict|inconsistent|"
                          r"agree (?:the )?least|least agreeing|dissimilar)\b", re.I)
_STRONG_RE = re.compile(r"\b(strong(?:ly)?|most|closely|well|highly|best|clearly|substantially|largely)\b", re.I)
_BEST_RE = {
    "best_localised_method": re.compile(r"\b(best[- ]locali[sz]ed|locali[sz]es? best|most precise(?:ly)? locali[sz]\w*|"
                                        r"best locali[sz]ation|most focused)\b", re.I),
    "most_faithful_method": re.compile(r"\b(most faithful|faithful(?:ly)? (?:the )?most|highest faithfulness|"
                                       r"best faithfulness|most reliable (?:method|explanation)|most trustworthy)\b", re.I),
}
_BEST_ANY_RE = re.compile(r"\b(best|most useful|most informative|most helpful|most accurate|superior|outperform\w*|"
                          r"winner|preferred|better than)\b", re.I)
_CAPITAL_RE = re.compile(r"(?<![\w'-])([A-Z][\w'+-]*)")


# --------------------------------------------------------------------------- sides and midline
def check_sides(s: str, cat: FactCatalogue) -> list[Claim]:
    side = get(cat.raw, "measurements", "side", default={}) or {}
    measured = side.get("side", "none")
    shares = {"left": float(side.get("left_fraction") or 0.0), "right": float(side.get("right_fraction") or 0.0)}
    claims = []
    structure_sides = {st.get("name"): st.get("side") for st in
                       (get(cat.raw, "measurements", "location", "structures", default=[]) or [])}
    anatomy_at = [(a.start(), ANATOMY_TERMS[a.group(1).lower()][0]) for a in _ANATOMY_RE.finditer(s)]
    for m in _SIDE_RE.finditer(s):
        if _NOT_SIDE_AFTER.match(s[m.end():]) and not re.match(r"^\s*(?:hemisphere|side|lobe)", s[m.end():], re.I):
            continue
        if re.match(r"^(?:left|right)[- ](?:sided|hemispheric|predominan|dominant|lateral)", s[m.start():], re.I):
            continue  # an adjective about the whole tumour: relations.check_laterality
        word = (m.group(1) or {"l": "left", "r": "right"}[m.group(2).lower()]).lower()
        share = shares[word]
        if side and re.search(r"\b(?:negligible|tiny|trace|minimal|minute|vanishingly small)\b", s[m.end():m.end() + 50], re.I) \
                or re.search(r"\b(?:negligible|tiny|trace|minimal)\b[^.;]{0,25}$", s[:m.start()], re.I):
            claims.append(_claim("side", f"negligible {word}", share < SIDE_SOME_MIN,
                                 f"the {word} hemisphere holds {round(100 * share, 1)}% of the tumour"))
            continue
        clause_start = max([0] + [c.end() for c in re.finditer(r"[;,]|\b(?:while|whereas|but|and)\b", s[:m.start()], re.I)])
        clause_end = min([len(s)] + [m.end() + c.start() for c in re.finditer(r"[;,]|\b(?:while|whereas|but)\b", s[m.end():], re.I)])
        bound = [n for p, n in anatomy_at if clause_start <= p < clause_end and n]
        if side and measured == "bilateral" and bound and all(structure_sides.get(n) == word for n in bound) \
                and not _PRIMARY_RE.search(s[max(0, m.start() - 40):m.start()]):
            claims.append(_claim("side", m.group(0), True, ""))  # "the insular component is on the left"
            continue
        if not side:
            claims.append(_claim("side", m.group(0), False, "no side was measured"))
            continue
        if is_negated_at(s, m.start(), m.end()):
            ok = share < SIDE_SOME_MIN
            claims.append(_claim("side", "not " + m.group(0), ok,
                                 f"the {word} hemisphere holds {round(100 * share, 1)}% of the tumour"))
            continue
        ok = measured == word or (measured == "bilateral" and share >= SIDE_SOME_MIN)
        lead = s[max(0, m.start() - 40):m.start()]
        if ok and measured == "bilateral" and _PRIMARY_RE.search(lead):
            ok = share >= max(shares.values())
        elif ok and measured == "bilateral" and _LOCATIVE_RE.search(lead) and not _PARTIAL_RE.search(s):
            ok = share >= 0.9  # "lies in the right hemisphere" of a bilateral tumour says too much
        claims.append(_claim("side", m.group(0), ok,
                             f"the measured side is {measured!r} ({word} share {round(100 * share, 1)}%)"))
    for m in _BILATERAL_RE.finditer(s):
        negated = is_negated_at(s, m.start(), m.end())
        stated = measured == "bilateral" or bool(side.get("crosses_midline"))
        ok = (not stated) if negated else stated
        claims.append(_claim("side", m.group(0), ok, f"the measured side is {measured!r}"))
    for m in _UNILATERAL_RE.finditer(s):
        negated = is_negated_at(s, m.start(), m.end())
        stated = measured in ("left", "right") and min(shares.values()) < SIDE_SOME_MIN
        ok = (not stated) if negated else stated
        claims.append(_claim("side", m.group(0), ok, f"the measured side is {measured!r}"))
    for m in re.finditer(r"\bmidline (?:crossing|extension|involvement)\s+(?:is|was)\s+(?:(not)\s+)?(present|seen|noted|absent|"
                         r"evident)\b", s, re.I):
        says = (m.group(2).lower() != "absent") != bool(m.group(1))
        crosses = side.get("crosses_midline")
        claims.append(_claim("midline", m.group(0), crosses is not None and bool(crosses) == says,
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
                claims.append(_claim("midline", "near the midline", False, "no tool measured proximity to the midline"))
            continue
        negated = is_negated_at(s, crossing.start() + max(0, m.start() - 40), m.end())
        crosses = side.get("crosses_midline")
        ok = crosses is not None and bool(crosses) == (not negated)
        text = ("does not cross" if negated else "crosses") + " the midline"
        claims.append(_claim("midline", text, ok, f"measured crosses_midline={crosses}"))
    return claims


# --------------------------------------------------------------------------- anatomy
def check_anatomy(s: str, cat: FactCatalogue) -> list[Claim]:
    loc = get(cat.raw, "measurements", "location", default={}) or {}
    known = loc.get("status") == "known"
    involved = {st.get("name"): float(st.get("fraction_of_tumour") or 0.0) for st in loc.get("structures") or []}
    claims = []
    for m in _ANATOMY_RE.finditer(s):
        term = m.group(1).lower()
        if term in ("temporal", "frontal") and re.match(r"^\s*(?:resolution|order|horn)", s[m.end():], re.I) and term != "temporal horn":
            continue
        structure, kind = ANATOMY_TERMS[term]
        negated = is_negated_at(s, m.start(), m.end())
        if negated and re.search(r"\bnot\s+(?:only|just|merely|solely|confined to|limited to|restricted to)\s+(?:the\s+)?"
                                 r"(?:[\w-]+\s+){0,2}$", s[max(0, m.start() - 45):m.start()], re.I):
            negated = False  # "not confined to the parietal lobe": it is involved, and more
        if not known:
            claims.append(_claim("structure", m.group(0), False,
                                 f"location is unknown ({loc.get('reason') or 'not on the SRI24 grid'})"))
            continue
        share = involved.get(structure, 0.0) if structure else 0.0
        if kind == "uncovered":
            if negated and term in INFRATENTORIAL:
                supra = loc.get("primary_lobe") in SUPRATENTORIAL_LOBES and involved.get("brainstem", 0.0) == 0.0
                claims.append(_claim("structure", "not " + m.group(0), supra,
                                     "the atlas has no mask for it and the tumour is not shown to be supratentorial"))
            else:
                claims.append(_claim("structure", m.group(0), False, "the SRI24 atlas masks do not cover this structure"))
            continue
        if negated:
            claims.append(_claim("structure", "not " + m.group(0), share < INVOLVED_MIN,
                                 f"the atlas puts {round(100 * share, 1)}% of the tumour in the {structure}"))
            continue
        if kind == "part":
            claims.append(_claim("structure", m.group(0), False,
                                 f"finer than the atlas resolves (only the {structure} is measured)"))
            continue
        ok = share >= INVOLVED_MIN
        reason = f"the atlas puts {round(100 * share, 1)}% of the tumour in the {structure}"
        if ok and _PRIMARY_RE.search(s[max(0, m.start() - 45):m.start()]) and not re.search(
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
        claims.append(_claim("structure", m.group(0), ok, reason))
    return claims


# --------------------------------------------------------------------------- sub-regions
_NO_TUMOUR_RE = re.compile(
    r"\b(?:no|not|did not|didn't|does not|doesn't|nothing)\b[^.;]{0,50}?\b(?:find|found|segment\w*|detect\w*|mark\w*|"
    r"predict\w*|see|seen|identif\w*)\b[^.;]{0,40}?\b(?:tumou?r|lesion|abnormality)\b"
    r"|\bno (?:tumou?r|lesion)s? (?:was|were|is|are) (?:found|segmented|detected|predicted|seen|identified)\b", re.I)


def check_subregions(s: str, cat: FactCatalogue) -> list[Claim]:
    volumes = get(cat.raw, "measurements", "volumes_ml", default={}) or {}
    claims = []
    for m in _NO_TUMOUR_RE.finditer(s):
        wt = float(volumes.get("WT", 0.0) or 0.0)
        claims.append(_claim("subregion", m.group(0), wt == 0, f"the predicted whole-tumour volume is {wt:g} mL"))
    for m in _SUBREGION_RE.finditer(s):
        region = REGION_TERMS[m.group(1).lower()]
        if region == "ET" and re.match(r"^\s*(?:T1|sequence|scan|image)", s[m.end():], re.I):
            continue  # "contrast-enhanced T1" names a sequence
        volume = float(volumes.get(region, 0.0) or 0.0)
        negated = is_negated_at(s, m.start(), m.end())
        ok = volume == 0 if negated else volume > 0
        claims.append(_claim("subregion", ("no " if negated else "") + m.group(0), ok,
                             f"predicted {region} volume is {volume:g} mL"))
    return claims


# --------------------------------------------------------------------------- methods and relations
def _method_mentions(s: str) -> list[tuple[int, int, str]]:
    out = []
    for m in _METHOD_RE.finditer(s):
        word = m.group(1)
        key = word.lower()
        if key == "slice" and word != "SLICE":
            continue
        if key == "ig" and word != "IG":
            continue
        if key == "attention" and re.match(r"^\s*(?:to|on)\b", s[m.end():], re.I):
            continue  # "pay attention to"
        out.append((m.start(), m.end(), METHOD_TERMS[key]))
    return out


def _pairs(cat: FactCatalogue) -> dict[frozenset[str], dict]:
    return {frozenset(p["pair"]): p for p in get(cat.raw, "comparison", "pairs", default=[]) or [] if p.get("pair")}


def check_methods(s: str, cat: FactCatalogue) -> list[Claim]:
    expl = get(cat.raw, "explanations", default={}) or {}
    ran = {k for k, v in expl.items() if isinstance(v, dict)}
    comp = get(cat.raw, "comparison", default={}) or {}
    claims = []
    mentions = _method_mentions(s)
    for start, end, key in mentions:
        ok = key in ran or is_negated_at(s, start, end)
        if not ok:
            claims.append(_claim("method", s[start:end], False, "this method was not run on this case"))
    for m in _OTHER_XAI_RE.finditer(s):
        if not is_negated_at(s, m.start(), m.end()):
            claims.append(_claim("method", m.group(0), False, "this method was not run on this case"))
    named = list(dict.fromkeys(k for _, _, k in mentions))
    # best / most faithful
    for field_name, pattern in _BEST_RE.items():
        for m in pattern.finditer(s):
            target = comp.get(field_name)
            near = [k for a, b, k in mentions if abs(a - m.start()) < 80]
            negated = is_negated_at(s, m.start(), m.end())
            if not near:
                hypothetical = re.search(r"\b(?:before|would|could|until|needed|need|required|cannot|no)\b", s[:m.start()], re.I)
                ok = (negated or bool(hypothetical)) and not target
                claims.append(_claim("relation", m.group(0), ok, f"the comparison names {display_word(target) if target else 'no'} "
                                                                 "method here"))
                continue
            closest = min(((abs(a - m.start()), k) for a, b, k in mentions))[1]
            ok = (closest == target) != negated
            claims.append(_claim("relation", f"{display_word(closest)}: {m.group(0)}", ok,
                                 f"the comparison's {field_name.replace('_', ' ')} is "
                                 f"{display_word(target) if target else 'none (no clear winner)'}"))
    if not any(p.search(s) for p in _BEST_RE.values()):
        for m in _BEST_ANY_RE.finditer(s):
            if named and not is_negated_at(s, m.start(), m.end()) and not re.search(r"\bbest\s+(?:to|practice)\b", s[m.start():], re.I):
                claims.append(_claim("relation", m.group(0), False, "no tool ranks the methods this way; cite "
                                     "the comparison's best-localised or most-faithful result"))
    # agreement between two named methods
    if len(named) >= 2:
        pairs = _pairs(cat)
        pair = frozenset(named[:2])
        info = pairs.get(pair)
        most = frozenset(comp.get("most_agreeing_pair") or ())
        least = frozenset(comp.get("least_agreeing_pair") or ())
        dis = _DISAGREE_RE.search(s)
        agr = _AGREE_RE.search(s)
        label = " and ".join(display_word(k) for k in named[:2])
        if dis or agr:
            negated = is_negated_at(s, (dis or agr).start(), (dis or agr).end())
            says_agree = bool(agr and not dis) != negated
            partial = bool(re.search(r"\b(?:partial(?:ly)?|partly|somewhat|moderately|to some extent|in part)\b", s, re.I))
            verdict = (info or {}).get("verdict")
            if info is None:
                ok = False
                reason = "these two methods were not compared"
            elif says_agree and partial:
                ok = verdict == "partial" or (verdict == "agree" and pair != least)
                reason = f"the comparison's verdict for {label} is {verdict!r}"
            elif says_agree:
                strong = bool(_STRONG_RE.search(s))
                ok = (pair == most or verdict == "agree") if strong else verdict in ("agree", "partial") or pair == most
                ok = ok and pair != least
                reason = f"the comparison's verdict for {label} is {verdict!r}" + (" (least agreeing pair)" if pair == least else "")
            else:
                ok = verdict == "disagree" or pair == least
                reason = f"the comparison's verdict for {label} is {verdict!r}"
            if info is None or partial:
                pass
            elif re.search(r"\b(?:least|lowest|weakest)\b", s, re.I):
                ok, reason = pair == least, f"the least agreeing pair is {display_word(sorted(least))}"
            elif says_agree and re.search(r"\b(?:most|best|closest|highest|strongest)\b", s, re.I):
                ok, reason = pair == most, f"the most agreeing pair is {display_word(sorted(most))}"
            claims.append(_claim("relation", f"{label} {'agree' if says_agree else 'disagree'}", ok, reason))
    return claims


def check_sequences(s: str, cat: FactCatalogue) -> list[Claim]:
    """Dominant-sequence claims ("relied mostly on FLAIR") against the tools' dominant sequence."""
    claims = []
    dom_m = _DOMINANT_RE.search(s)
    if not dom_m:
        return claims
    seqs = [(m.start(), SEQUENCE_TERMS[m.group(1).lower()]) for m in _SEQUENCE_RE.finditer(s)]
    if not seqs:
        return claims
    expl = get(cat.raw, "explanations", default={}) or {}
    dominant = {v.get("dominant_sequence") for v in expl.values() if isinstance(v, dict) and v.get("dominant_sequence")}
    shap = get(cat.raw, "explanations", "shapley", default=None)
    if isinstance(shap, dict):
        for region_values in (shap.get("regions") or {}).values():
            if isinstance(region_values, dict) and region_values.get("dominant_sequence"):
                dominant.add(region_values["dominant_sequence"])
    region_named = [r for _, r in region_mentions(s)]
    ig_named = bool(re.search(r"(?i:\bintegrated gradients?\b)|\bIG\b", s))
    if isinstance(shap, dict) and shap.get("regions") and not ig_named:
        regions = shap.get("regions") or {}
        explained = get(cat.raw, "explanations", "region", default="WT") or "WT"
        wanted = [r for r in region_named if r in regions] or [explained]  # "the prediction": the explained region
        dominant = {regions[r]["dominant_sequence"] for r in wanted
                    if isinstance(regions.get(r), dict) and regions[r].get("dominant_sequence")}
    elif ig_named:
        ig = get(cat.raw, "explanations", "integrated_gradients", "dominant_sequence")
        dominant = {ig} if ig else dominant
    after = [v for p, v in seqs if p > dom_m.start()]
    before = [v for p, v in seqs if p < dom_m.start()]
    claimed = after[0] if after else before[-1]
    negated = is_negated_at(s, dom_m.start(), dom_m.end())
    names = {str(d).lower() for d in dominant} | {display_word(d).lower() for d in dominant}
    ok = bool(dominant) and (((claimed in dominant) or display_word(claimed).lower() in names or claimed in names) != negated)
    claims.append(_claim("relation", f"dominant sequence {display_word(claimed)}", ok,
                         f"the tools' dominant sequence is {', '.join(sorted(display_word(d) for d in dominant)) or 'not computed'}"))
    return claims


# --------------------------------------------------------------------------- clinical, meta, names
_CLINICAL_RE = {kind: [re.compile(p, re.I) for p in patterns] for kind, patterns in CLINICAL_CLASSES.items()}


def _disclaimer_spans(s: str) -> list[tuple[int, int]]:
    spans = []
    for m in DISCLAIMER_RE.finditer(s):
        stop = re.search(r"[;.]|\bbut\b", s[m.end():])
        spans.append((m.start(), m.end() + (stop.start() if stop else len(s) - m.end())))
    for m in re.finditer(r"\b(?:no|neither|nor|not)\s+(?:a\s+)?(?:diagnos\w*|grad\w*|treatment|prognos\w*|therapy|"
                         r"recommendation)(?:\s*(?:,|or|nor|and)\s*(?:a\s+)?(?:diagnos\w*|grad\w*|treatment|prognos\w*|"
                         r"therapy|treatment recommendation))*\s+(?:can|could|may|should|is|are)\s+(?:be\s+)?"
                         r"(?:inferred|derived|made|given|drawn|offered|provided|implied|concluded)\b"
                         r"|\bno (?:treatment|clinical|diagnostic|therapeutic|medical) (?:recommendation|advice|decision)s?\b"
                         r"|\b(?:makes|gives|offers) no (?:diagnosis|treatment|clinical)\b|\bno diagnos\w*", s, re.I):
        spans.append((m.start(), m.end()))
    return spans


def check_clinical(s: str, cat: FactCatalogue) -> list[Claim]:
    spans = _disclaimer_spans(s)
    claims = []
    seen: set[str] = set()
    for kind, patterns in _CLINICAL_RE.items():
        for pattern in patterns:
            for m in pattern.finditer(s):
                if any(a <= m.start() < b for a, b in spans):
                    continue
                if kind == "grade" and re.search(r"\b(?:school|reading|flesch)", s[max(0, m.start() - 20):m.end() + 10], re.I):
                    continue
                key = m.group(0).lower()
                if key in seen:
                    continue
                seen.add(key)
                claims.append(Claim("clinical", m.group(0), False,
                                    f"{kind.replace('_', ' ')}: no tool result supports this in a research report"))
    return claims


def check_meta(s: str) -> list[Claim]:
    claims = [Claim("meta", m.group(0), False, "meta text or an instruction, not a finding")
              for pattern in (META_RE, META_EXTRA_RE) for m in pattern.finditer(s)]
    for word in mixed_script_words(s):
        claims.append(Claim("hidden text", word, False, "a word mixing alphabets (homoglyphs hide what it says)"))
    for word in non_latin_words(s)[:3]:
        claims.append(Claim("hidden text", word, False, "a word in a non-Latin alphabet"))
    return claims


def check_names(s: str, cat: FactCatalogue) -> list[Claim]:
    """Capitalised words the verifier does not know, inside a sentence: possible person or place names."""
    known = set(KNOWN_PROPER) | {k.lower() for k in (*METHOD_TERMS, *SEQUENCE_TERMS, *REGION_TERMS, *ANATOMY_TERMS)}
    known |= {w for k in ANATOMY_TERMS for w in k.split()} | {w for k in METHOD_TERMS for w in k.split()}
    case_id = str(get(cat.raw, "case", "case_id", default="") or "").lower()
    claims = []
    for m in _CAPITAL_RE.finditer(s):
        word = m.group(1)
        low = word.lower().removesuffix("'s").rstrip(".")
        if m.start() == 0 or re.search(r"[:(\-–—\"]\s*$|^\s*$", s[:m.start()][-3:]) or low in known or word.isupper() \
                or (word.endswith("s") and word[:-1].isupper()):
            continue
        if case_id and low in case_id:
            continue
        if re.match(r"^[A-Z][a-z]*\d", word):  # T1, SRI24-like model/space names
            continue
        claims.append(Claim("name", word, False, "an unknown proper name (people, places and institutions are not facts)"))
    return claims
