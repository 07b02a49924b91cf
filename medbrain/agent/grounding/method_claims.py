"""Claims about the explanation methods of one sentence, checked against the comparison.

A method named must have been run (and no method outside the project's may be named);
"best-localised" / "most faithful" must name the comparison's winner; agreement or
disagreement between two named methods must match that pair's verdict
(:mod:`medbrain.agent.grounding.agreement_claims`); a dominant-sequence claim must match the tools'
dominant sequence (:mod:`medbrain.agent.grounding.dominance_claims`).
Per-method results (random baseline, AUCs, maxima) are in
:mod:`medbrain.agent.grounding.method_relations`.
"""

from __future__ import annotations

import re

from medbrain.agent.grounding.agreement_claims import check_agreement
from medbrain.agent.grounding.claim import Claim, make_claim
from medbrain.agent.grounding.dominance_claims import check_dominance
from medbrain.agent.grounding.mentions import OTHER_XAI_RE, method_mentions
from medbrain.agent.grounding.text import is_negated_at
from medbrain.facts import FactCatalogue, display_word, get

_BEST_RE = {
    "best_localised_method": re.compile(r"\b(best[- ]locali[sz]ed|locali[sz]es? best|most precise(?:ly)? locali[sz]\w*|"
                                        r"best locali[sz]ation|most focused)\b", re.I),
    "most_faithful_method": re.compile(r"\b(most faithful|faithful(?:ly)? (?:the )?most|highest faithfulness|"
                                       r"best faithfulness|most reliable (?:method|explanation)|most trustworthy)\b", re.I),
}
_BEST_ANY_RE = re.compile(r"\b(best|most useful|most informative|most helpful|most accurate|superior|outperform\w*|"
                          r"winner|preferred|better than)\b", re.I)


# "better than chance / the random map / the probability map": a comparison with a control, checked on its own
_AGAINST_CONTROL_RE = re.compile(r"(?:better than|outperform\w*|superior to)\s+(?:the\s+|a\s+)?(?:model's\s+own\s+)?"
                                 r"(?:chance|random|probability)\b", re.I)


_BEST_METRIC_RE = re.compile(r"best\s+(?:(?:relevance|attribution)\s+)?(?:rank accuracy|mass accuracy|mass|insertion(?:\s+auc)?|"
                             r"deletion(?:\s+auc)?|pointing)\b", re.I)


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
            if named and not is_negated_at(s, m.start(), m.end()) and not re.search(r"\bbest\s+(?:to|practice)\b", s[m.start():], re.I) \
                    and not re.search(r"\bat\s+(?:the\s+)?$", s[:m.start()], re.I) \
                    and not _AGAINST_CONTROL_RE.match(s[m.start():]) \
                    and not _BEST_METRIC_RE.match(s[m.start():]):  # "partial at best", "better than chance": no ranking;
                # "the best rank accuracy": a superlative of one metric, checked against its values (method_relations)
                claims.append(make_claim("relation", m.group(0), False, "no tool ranks the methods this way; cite "
                                         "the comparison's best-localised or most-faithful result"))
    claims.extend(check_agreement(s, cat))
    return claims


def check_sequences(s: str, cat: FactCatalogue) -> list[Claim]:
    """Dominant-sequence claims ("relied mostly on FLAIR"), conjunct by conjunct
    (:mod:`medbrain.agent.grounding.dominance_claims`)."""
    return check_dominance(s, cat)
