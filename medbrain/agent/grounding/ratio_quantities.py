"""The two quantities of a multiple named by words, not numbers: "the core's longest diameter is about 1.6
times its perpendicular diameter", "SLICE's relevance mass accuracy is about 7.5 times chance".

Each side is bound the way a number is (:mod:`medbrain.agent.grounding.number_context`): a stand-in
number is put after the words before the multiple, and after the words that follow it; the side after
the multiple takes the region and methods of the side before when it names none ("its", "chance").
"""

from __future__ import annotations

import re

from medbrain.agent.grounding.number_context import Context, SentenceContext
from medbrain.agent.grounding.number_facts import grounding_numbers
from medbrain.agent.grounding.number_match import compatible, narrowest, sentence_concepts
from medbrain.agent.grounding.number_mentions import NumberMention
from medbrain.facts import Fact, FactCatalogue

_UNITS = (("", 1.0), ("mm", 1.0), ("mL", 1.0), ("mm2", 1.0))
_VERB_TAIL_RE = re.compile(r"\s+(?:is|was|are|were|measures?|measured|reaches|reached|equals?|sits at|stands at)"
                           r"(?:\s+(?:about|around|roughly|approximately|nearly|almost|some|just over|just under))?\s*$", re.I)


def _bound(text: str, cat: FactCatalogue, carried: Context | None) -> tuple[Fact, Context] | None:
    """The fact the words of ``text`` name, with the context they gave it; None when none or unclear."""
    text = _VERB_TAIL_RE.sub("", text.rstrip(" ,"))
    sc = SentenceContext(text)
    explained = str(cat.get("explanations", "region") or "WT")
    concepts = sentence_concepts(text, sc)
    for unit, factor in _UNITS:
        n = NumberMention("1", 1.0, 0, len(text), len(text), unit, factor)
        ctx = sc.context(n, 0, len(text), None)
        if carried is not None:
            ctx.region = ctx.region if any(True for _ in sc.regions) else carried.region
            ctx.methods = ctx.methods or set(carried.methods)
        if not ctx.concepts:
            return None
        candidates = narrowest([f for f in grounding_numbers(cat) if compatible(n, ctx, f, concepts)], ctx, explained)
        values = {round(float(f.value), 6) for f in candidates}
        if len(values) == 1:
            return candidates[0], ctx
    return None


def named_ratio(s: str, start: int, end: int, limit: int, cat: FactCatalogue) -> tuple[float | None, str]:
    """The ratio of the quantity named before a multiple (from ``start``) to the one named after it
    (``end`` to ``limit``); (None, "") when either side names no single fact."""
    clause = max(s.rfind(";", 0, start), s.rfind(":", 0, start)) + 1
    first = _bound(s[clause:start], cat, None)
    if first is None:
        return None, ""
    second = _bound(s[end:limit], cat, first[1])
    if second is None or not float(second[0].value):
        return None, ""
    return float(first[0].value) / float(second[0].value), f"{first[0].path} / {second[0].path}"
