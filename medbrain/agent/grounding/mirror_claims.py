"""The mirror check of the seed-free methods: "Grad-CAM and IG stayed consistent when the slice was mirrored",
"attention's map changed under the left-right flip".

A sentence that names a mirror (mirror, flip, reflection, left-right) and says a method's map
was consistent, stable or robust (or inconsistent, unstable, changed) is checked against
``comparison.consistency.<method>`` (:mod:`medbrain.tools.mirror_consistency`): each method
named in that conjunct must have had the mirror test, with that outcome. SLICE's test is
across seeds, not the mirror; a mirror claim about it fails. Claims about seeds or runs are
:mod:`medbrain.agent.grounding.reliability_claims`'.
"""

from __future__ import annotations

import re

from medbrain.agent.grounding.claim import Claim, make_claim
from medbrain.agent.grounding.mentions import method_mentions
from medbrain.agent.grounding.text import conjunct_end, conjunct_start, is_negated_at
from medbrain.facts import FactCatalogue, display_word, get

_MIRROR_RE = re.compile(r"\b(?:mirror\w*|flip(?:s|ped|ping)?|reflect\w*|left[- ]right)\b", re.I)
_STATE_RE = re.compile(r"\b(?P<bad>inconsisten(?:t|cy)|unstable|changed|broke down)\b|"
                       r"\b(?P<good>consisten(?:t|cy)|stable|robust|invariant|equivariant|survived?|held up)\b", re.I)
_SEEDS_RE = re.compile(r"\b(?:across|over|between)\s+(?:\w+\s+){0,2}?(?:seeds?|runs?|repeats?|repetitions?)\b", re.I)
_TTA_RE = re.compile(r"\b(?:test[- ]time|tta|segmentation|probabilit\w*|dice)\b", re.I)


def check_mirror(s: str, cat: FactCatalogue) -> list[Claim]:
    """One claim per method said to be (in)consistent under the mirror."""
    if not _MIRROR_RE.search(s):
        return []
    results = get(cat.raw, "comparison", "consistency", default={}) or {}
    mentions = method_mentions(s)
    claims: list[Claim] = []
    done: set[tuple[int, str]] = set()
    for m in _STATE_RE.finditer(s):
        lo, hi = conjunct_start(s, m.start()), conjunct_end(s, m.end())
        part = s[lo:hi]
        if _SEEDS_RE.search(part) or (_TTA_RE.search(part) and not any(lo <= a < hi for a, _, _ in mentions)):
            continue  # seeds and runs: reliability_claims; flip TTA of the segmentation: confidence_claims
        methods = [k for a, _, k in mentions if lo <= a < hi and k != "shapley"]
        says = (m.group("good") is not None) != is_negated_at(s, m.start(), m.end())
        for method in dict.fromkeys(methods):
            if (lo, method) in done:
                continue
            done.add((lo, method))
            entry = results.get(method) or {}
            name = display_word(method)
            if entry.get("test") != "mirror" or entry.get("consistent") is None:
                what = entry.get("test") or "no consistency test"
                claims.append(make_claim("relation", f"{name} {'consistent' if says else 'not consistent'} under the mirror",
                                         False, f"{name} had no mirror check ({what})"))
                continue
            ok = bool(entry["consistent"]) == says
            claims.append(make_claim("relation", f"{name} {'consistent' if says else 'not consistent'} under the mirror",
                                     ok, f"mirror check of {name}: consistent is {entry['consistent']} "
                                         f"(Spearman {entry.get('spearman_abs')}, threshold {entry.get('min_spearman')})"))
    return claims
