"""The grounding grader: precision over the verifier's claims, recall over key facts.

Precision is the share of claims the verifier extracts (per section, as the report graph
verifies) that the facts support; recall is the share of the facts every report must
mention (:func:`key_facts`: whole-tumour volume, side, confidence level, most and least
agreeing method pairs) that the text does mention; the score is their F1. It lives apart
from the other graders because it alone binds the text to the facts claim by claim.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from medbrain.agent.facts import FactIndex, get
from medbrain.agent.safety import sentences
from medbrain.agent.verifier import catalogue_of, claims_of_kind, verify_text
from medbrain.evals.graders import GradeResult, section_bodies

METHOD_PATTERNS = {
    "gradcam": re.compile(r"\bgrad[- ]?cam\b", re.I),
    "integrated_gradients": re.compile(r"(?i:\bintegrated[ -]gradients?\b)|\bIG\b"),
    "slice": re.compile(r"\bSLICE\b"),
    "attention": re.compile(r"\battention\b", re.I),
}
AGREE_RE = re.compile(r"\b(agree\w*|similar\w*|consistent|concordan\w*|correlat\w*|overlap\w*|closest|align\w*)\b", re.I)
LEAST_RE = re.compile(r"\b(least|disagree\w*|differ\w*|inconsistent|lowest|weakest|diverg\w*|conflict\w*|poorest|worst)\b", re.I)
VOLUME_UNITS = {"ml", "cc", "cm3", "cm³", ""}


def _mentions_method(sentence: str, method: str) -> bool:
    pattern = METHOD_PATTERNS.get(method)
    return bool(pattern and pattern.search(sentence))


def _pair_sentence(text: str, pair: list[str], wanted: str) -> str | None:
    """A sentence naming both methods of ``pair`` as agreeing most (``wanted='most'``) or least."""
    for s in sentences(text):
        if not all(_mentions_method(s, m) for m in pair):
            continue
        least = bool(LEAST_RE.search(s))
        if wanted == "least" and least:
            return s
        if wanted == "most" and not least and AGREE_RE.search(s):
            return s
    return None


def key_facts(facts: dict) -> dict[str, Any]:
    """The facts every report must mention, and what the text must contain for each.

    - ``wt_volume``: a number (unit mL/cc/cm3 or none) that rounds from the WT volume at the
      precision written; for WT 0, a statement that no tumour was segmented (or "0 mL").
    - ``side``: ``left``/``right`` as measured; ``bilateral`` (or both words) when bilateral;
      not required when no tumour was found.
    - ``confidence_level``: the level stated as the verifier reads it ("low confidence",
      "confidence is low" ...).
    - ``most_agreeing`` / ``least_agreeing``: one sentence naming both methods of the pair
      with an agreement word (most) or a least/disagree word (least); only when compared.
    """
    required: dict[str, Any] = {}
    vol = get(facts, "measurements", "volumes_ml", "WT")
    if vol is not None:
        required["wt_volume"] = float(vol)
    side = get(facts, "measurements", "side", "side")
    if side in ("left", "right", "bilateral") and (vol or 0) > 0:
        required["side"] = side
    level = get(facts, "confidence", "level")
    if level:
        required["confidence_level"] = level
    comp = facts.get("comparison") or {}
    if comp.get("most_agreeing_pair"):
        required["most_agreeing"] = list(comp["most_agreeing_pair"])
    if comp.get("least_agreeing_pair") and comp.get("least_agreeing_pair") != comp.get("most_agreeing_pair"):
        required["least_agreeing"] = list(comp["least_agreeing_pair"])
    return required


def find_key_fact(name: str, value: Any, text: str, index: FactIndex) -> str | None:
    """The evidence (a snippet) that ``text`` mentions the key fact, or None."""
    if name == "wt_volume":
        if value == 0:
            m = re.search(r"\b(no|not|did not|didn't)\b[^.\n]{0,60}\b(tumou?r|lesion|segment\w*)\b|\b0(?:\.0+)?\s*m[lL]\b", text, re.I)
            return m.group(0) if m else None
        for sentence in verify_text(text, index).sentences:
            for claim in sentence.claims:
                if claim.kind == "number" and claim.supported and claim.text.lower().endswith(" ml"):
                    raw = claim.text.split(" ")[0].replace(",", "")
                    if abs(float(raw) - value) <= 0.5 * 10 ** -(len(raw.split(".")[1]) if "." in raw else 0) + 1e-9:
                        return claim.text
        return None
    if name == "side":
        stated = {c.text.lower().split("-")[0].split()[0] for c in claims_of_kind(text, index, "side")
                  if c.supported and not c.text.lower().startswith(("not ", "no "))}
        if value == "bilateral":
            ok = any(w.startswith(("bilateral", "both", "contralateral")) for w in stated) or {"left", "right"} <= stated
        else:
            ok = value in stated
        return value if ok else None
    if name == "confidence_level":
        for claim in claims_of_kind(text, index, "confidence"):
            if claim.supported and value in claim.text.lower():
                return claim.text
        return None
    if name in ("most_agreeing", "least_agreeing"):
        return _pair_sentence(text, value, "most" if name == "most_agreeing" else "least")
    raise KeyError(name)


@dataclass
class GroundingResult(GradeResult):
    precision: float = 1.0
    recall: float = 1.0
    f1: float = 1.0
    claims: int = 0
    unsupported: list[str] = field(default_factory=list)
    key_facts_found: dict[str, str] = field(default_factory=dict)
    key_facts_missing: list[str] = field(default_factory=list)


def grade_grounding(text: str, facts: dict) -> GroundingResult:
    """Precision over every extracted claim (per section, as the graph verifies), recall over
    :func:`key_facts` (searched in the whole text), F1. ``score`` is F1; ``passed`` means no
    unsupported claim. A text with no claims has precision 1 (nothing false) but low recall."""
    index = catalogue_of(facts)
    claims, unsupported = 0, []
    for key, body in section_bodies(text).items():
        result = verify_text(body, index)
        claims += len(result.claims)
        unsupported += [f"[{key}] {c.kind} {c.text!r}: {c.reason}" for c in result.unsupported]
    precision = 1.0 if claims == 0 else (claims - len(unsupported)) / claims
    required = key_facts(facts)
    found: dict[str, str] = {}
    for name, value in required.items():
        evidence = find_key_fact(name, value, text, index)
        if evidence is not None:
            found[name] = evidence
    missing = [k for k in required if k not in found]
    recall = 1.0 if not required else len(found) / len(required)
    f1 = 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)
    return GroundingResult(
        grader="grounding", score=f1, passed=not unsupported, details={"required": list(required)},
        precision=precision, recall=recall, f1=f1, claims=claims, unsupported=unsupported,
        key_facts_found=found, key_facts_missing=missing)


__all__ = ["GroundingResult", "find_key_fact", "grade_grounding", "key_facts"]
