"""Claims about the explanation methods of one sentence, checked against the comparison.

A method named must have been run (and no method outside the project's may be named);
"best-localised" / "most faithful" must name the comparison's winner; agreement or
disagreement between two named methods must match that pair's verdict (and the most/least
agreeing pair); a dominant-sequence claim must match the tools' dominant sequence.
Per-method results (random baseline, AUCs, maxima) are in
:mod:`medbrain.agent.grounding.method_relations`.
"""

from __future__ import annotations

import re

from medbrain.agent.grounding.claim import Claim, make_claim
from medbrain.agent.grounding.lexicon import SEQUENCE_TERMS
from medbrain.agent.grounding.mentions import OTHER_XAI_RE, SEQUENCE_RE, method_mentions, region_mentions
from medbrain.agent.grounding.text import is_negated_at
from medbrain.facts import FactCatalogue, display_word, get

_DOMINANT_RE = re.compile(
    r"\b(relied (?:mostly|most|mainly|chiefly|primarily|heavily) on|rel(?:ies|y) (?:mostly|most|mainly|chiefly|primarily) on|"
    r"driven (?:mostly |mainly |chiefly |primarily )?by|dominated by|dominant|most (?:important|influential|informative)|"
    r"contributed (?:the )?most|contributes (?:the )?most|largest (?:share|contribution)|strongest contribution|"
    r"mattered most|matters most|weighted most|most weight|(?:most|largest|greatest) (?:of the )?(?:attribution|share|weight))\b", re.I)
_EVERY_REGION_RE = re.compile(r"\b(?:in|for|across)\s+(?:every|each|all(?: three| four| the)?)(?: of the)?\s+(?:three\s+|four\s+)?"
                              r"(?:tumou?r\s+)?(?:regions?|sub-?regions?)\b|\b(?:every|each|all three) (?:region|sub-?region)s?\b", re.I)
_AGREE_RE = re.compile(r"\b(agree(?:s|d|ment|ing)?|concur|align|coincide|overlap|consistent with each other|similar)\b", re.I)
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


def _pairs(cat: FactCatalogue) -> dict[frozenset[str], dict]:
    return {frozenset(p["pair"]): p for p in get(cat.raw, "comparison", "pairs", default=[]) or [] if p.get("pair")}


def check_methods(s: str, cat: FactCatalogue) -> list[Claim]:
    expl = get(cat.raw, "explanations", default={}) or {}
    ran = {k for k, v in expl.items() if isinstance(v, dict)}
    comp = get(cat.raw, "comparison", default={}) or {}
    claims = []
    mentions = method_mentions(s)
    for start, end, key in mentions:
        ok = key in ran or is_negated_at(s, start, end)
        if not ok:
            claims.append(make_claim("method", s[start:end], False, "this method was not run on this case"))
    for m in OTHER_XAI_RE.finditer(s):
        if not is_negated_at(s, m.start(), m.end()):
            claims.append(make_claim("method", m.group(0), False, "this method was not run on this case"))
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
                claims.append(make_claim("relation", m.group(0), ok, f"the comparison names {display_word(target) if target else 'no'} "
                                                                 "method here"))
                continue
            closest = min(((abs(a - m.start()), k) for a, b, k in mentions))[1]
            ok = (closest == target) != negated
            claims.append(make_claim("relation", f"{display_word(closest)}: {m.group(0)}", ok,
                                     f"the comparison's {field_name.replace('_', ' ')} is "
                                     f"{display_word(target) if target else 'none (no clear winner)'}"))
    if not any(p.search(s) for p in _BEST_RE.values()):
        for m in _BEST_ANY_RE.finditer(s):
            if named and not is_negated_at(s, m.start(), m.end()) and not re.search(r"\bbest\s+(?:to|practice)\b", s[m.start():], re.I):
                claims.append(make_claim("relation", m.group(0), False, "no tool ranks the methods this way; cite "
                                         "the comparison's best-localised or most-faithful result"))
    # agreement between two named methods
    if len(named) >= 2:
        pairs = _pairs(cat)
        pair = frozenset(named[:2])
        info = pairs.get(pair)
        most = frozenset(comp.get("most_agreeing_pair") or ())
        least = frozenset(comp.get("least_agreeing_pair") or ())
        # "A and B agree most (…), C and D least": what the pair's own clause says
        second = max(min(p for p, _, k in method_mentions(s) if k == key) for key in named[:2])
        stop = re.search(r"[,;]", s[second:])
        own = s[: second + stop.start()] if stop else s
        dis = _DISAGREE_RE.search(own)
        agr = _AGREE_RE.search(own)
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
                ok = verdict == "disagree" or (pair == least and verdict != "agree")
                reason = f"the comparison's verdict for {label} is {verdict!r}"
            if info is None or partial:
                pass
            elif re.search(r"\b(?:least|lowest|weakest)\b", own, re.I):
                ok, reason = pair == least, f"the least agreeing pair is {display_word(sorted(least))}"
            elif says_agree and re.search(r"\b(?:most|best|closest|highest|strongest)\b", own, re.I):
                ok, reason = pair == most, f"the most agreeing pair is {display_word(sorted(most))}"
            claims.append(make_claim("relation", f"{label} {'agree' if says_agree else 'disagree'}", ok, reason))
    return claims


_REGION_SEQUENCE_RE = re.compile(r"\b(WT|TC|ET)\s*[:=]?\s*(T2-FLAIR|FLAIR|T1ce|T1c|T1|T2)(?![-\w])", re.I)


def check_sequences(s: str, cat: FactCatalogue) -> list[Claim]:
    """Dominant-sequence claims ("relied mostly on FLAIR") against the tools' dominant sequence."""
    claims = []
    dom_m = _DOMINANT_RE.search(s)
    if not dom_m:
        return claims
    seqs = [(m.start(), SEQUENCE_TERMS[m.group(1).lower()]) for m in SEQUENCE_RE.finditer(s)]
    if not seqs:
        return claims
    pairs = _REGION_SEQUENCE_RE.findall(s)
    shap_regions = get(cat.raw, "explanations", "shapley", "regions", default={}) or {}
    if len(pairs) >= 2 and shap_regions:  # "Dominant sequence: WT FLAIR, TC FLAIR, ET T1ce"
        for region, word in pairs:
            seq = SEQUENCE_TERMS.get(word.lower(), "flair" if word.lower() == "t2-flair" else word.lower())
            truth = (shap_regions.get(region.upper()) or {}).get("dominant_sequence")
            claims.append(make_claim("relation", f"dominant sequence {region.upper()} {display_word(seq)}", truth == seq,
                                     f"the Shapley dominant sequence for {region.upper()} is {display_word(truth)}"))
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
        if _EVERY_REGION_RE.search(s):
            wanted = list(regions)  # "the dominant sequence is T1 in every region": it must be in each
            every = {regions[r].get("dominant_sequence") for r in wanted if isinstance(regions.get(r), dict)}
            if len(every) > 1:
                dominant = set()
                claimed = next((v for p, v in seqs if p > dom_m.start()), seqs[-1][1])
                shown = ", ".join(f"{r} {display_word(regions[r].get('dominant_sequence'))}" for r in wanted)
                ok = is_negated_at(s, dom_m.start(), dom_m.end())
                return [make_claim("relation", f"dominant sequence {display_word(claimed)} in every region", ok,
                                   f"the Shapley dominant sequence differs by region ({shown})")]
        dominant = {regions[r]["dominant_sequence"] for r in wanted
                    if isinstance(regions.get(r), dict) and regions[r].get("dominant_sequence")}
    elif ig_named:
        ig = get(cat.raw, "explanations", "integrated_gradients", "dominant_sequence")
        dominant = {ig} if ig else dominant
    after = [v for p, v in seqs if p > dom_m.start()]
    before = [(p, v) for p, v in seqs if p < dom_m.start()]
    # "FLAIR contributed most (37%), followed by T1ce": the sequence just before the word is its subject
    subject = before[-1][1] if before and dom_m.start() - before[-1][0] <= 40 \
        and not re.search(r"[,;(]|\b(?:than|after|behind|unlike)\b", s[before[-1][0]:dom_m.start()], re.I) else None
    claimed = subject or (after[0] if after else before[-1][1])
    negated = is_negated_at(s, dom_m.start(), dom_m.end())
    names = {str(d).lower() for d in dominant} | {display_word(d).lower() for d in dominant}
    ok = bool(dominant) and (((claimed in dominant) or display_word(claimed).lower() in names or claimed in names) != negated)
    claims.append(make_claim("relation", f"dominant sequence {display_word(claimed)}", ok,
                             f"the tools' dominant sequence is {', '.join(sorted(display_word(d) for d in dominant)) or 'not computed'}"))
    return claims
