"""Which qualifier a number carries when its sentence names more than one of a group.

"Grad-CAM: deletion 0.351 and insertion 0.6527 with a zero baseline; 0.1631 and 0.5062 with the
blurred image" names both imputations; each number is bound to the one its own words name. A
qualifier written right after a group of numbers ("... 0.6515 (zero baseline)", "... 0.5062 with
the blurred image") labels the numbers since the previous label; otherwise the nearest one before
the number in its clause does ("With blur imputation, the deletion AUC (0.351) was higher than with
the zero baseline": the one after "than" is what it is compared with); failing both, the first one
after the number and before the next ("11,587 voxels lie near the mask and 1,577 elsewhere"). A
number none reaches keeps the sentence's qualifiers.
"""

from __future__ import annotations

import re

from medbrain.agent.grounding.number_facts import QUALIFIERS
from medbrain.agent.grounding.number_match import QUALIFIER_TEXT
from medbrain.agent.grounding.number_mentions import NumberMention

# what may stand between a number and the qualifier that labels it
_LABEL_GAP_RE = re.compile(r"^\s*[(,]?\s*(?:with|under|using|for|on|in|at|via|by)?\s*(?:an?|the)?\s*"
                           r"(?:zero[- ]?|zero-valued\s+|black\s+|image\s+)?$", re.I)


def scoped_qualifiers(sentence: str, mentions: list[NumberMention]) -> dict[int, set[str]]:
    """Number start -> the ``q:`` qualifiers it carries, for every group the sentence names twice or more."""
    out: dict[int, set[str]] = {}
    for members in QUALIFIERS.values():
        found = sorted((m.start(), q) for q in members for m in QUALIFIER_TEXT[q].finditer(sentence))
        if len({q for _, q in found}) < 2:
            continue
        labels = []  # (position, member) of the qualifiers that label the numbers before them
        for pos, q in found:
            before = [n for n in mentions if n.end <= pos]
            if before and _LABEL_GAP_RE.match(sentence[before[-1].end:pos]):
                labels.append((pos, q))
        for i, n in enumerate(mentions):
            clause = sentence.rfind(";", 0, n.start) + 1
            end = sentence.find(";", n.end)
            end = len(sentence) if end < 0 else end
            # the first qualifier after the number labels it only when it is a label; another qualifier in
            # between ("11,587 voxels lie near the mask and 1,577 elsewhere") is the number's own
            first_after = next(((p, q) for p, q in found if n.end <= p < end), None)
            label = first_after[1] if first_after in labels else None
            lead = [q for p, q in found if clause <= p < n.start and (p, q) not in labels]
            next_start = mentions[i + 1].start if i + 1 < len(mentions) else end
            own_after = first_after[1] if first_after and first_after[0] < next_start else None
            chosen = label or (lead[-1] if lead else None) or own_after
            if chosen:
                out.setdefault(n.start, set()).add("q:" + chosen)
    return out


def with_qualifiers(concepts: set[str], scoped: set[str] | None) -> set[str]:
    """The sentence's concepts with the qualifiers of each scoped group replaced by the number's own."""
    if not scoped:
        return concepts
    groups = [members for members in QUALIFIERS.values() if any("q:" + q in scoped for q in members)]
    drop = {"q:" + q for members in groups for q in members}
    return (concepts - drop) | scoped
