"""The deterministic grounding check: every claim in a text must come from a tool result.

It extracts numbers (with units), sides, midline crossing, lobes/structures, tumour
sub-regions, explanation methods and confidence levels from the text and checks each
against the case's facts. Numbers are supported when some fact rounds to them at the
precision written (fractions may be written as percentages, mm as cm). It returns every
claim with a verdict; the text passes when no claim is unsupported.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from medbrain.agent.facts import FactIndex

UNIT_PATTERN = r"(?P<unit>%|percent\b|mL\b|ml\b|cm³|cm3\b|cc\b|mm²|mm2\b|mm\^2|mm\b|cm\b|voxels?\b|slices?\b|s\b|seconds?\b)?"
NUMBER_RE = re.compile(r"(?<![\w.\-])(?P<num>\d+(?:\.\d+)?)(?![\w.]*[A-Za-z])(?:\s*" + UNIT_PATTERN + ")")
LIST_MARKER_RE = re.compile(r"^\s*(?:\d+[.)]|[-*•])\s+", re.MULTILINE)
NEGATION_RE = re.compile(r"\b(no|not|without|absent|none|neither|nor|zero|lacks?|free of)\b", re.IGNORECASE)
SIDE_RE = re.compile(r"\b(left|right|bilateral(?:ly)?)\b", re.IGNORECASE)
MIDLINE_RE = re.compile(r"\b(cross(?:es|ed|ing)?|extend(?:s|ing)? across|span(?:s|ning)?)\s+(?:the\s+)?midline", re.IGNORECASE)
CONFIDENCE_RE = re.compile(
    r"\b(high|moderate|low)(?:[\s-]+(?:overall|model|segmentation))?[\s-]+confidence\b"
    r"|\bconfidence(?:\s+level)?(?:\s+(?:is|was|of|rated|remains|appears))*\s*[:=]?\s*(high|moderate|low)\b",
    re.IGNORECASE,
)
STRUCTURE_TERMS = {
    "frontal": "frontal", "parietal": "parietal", "temporal": "temporal", "occipital": "occipital",
    "insula": "insula", "insular": "insula", "thalamus": "thalamus", "thalamic": "thalamus",
    "internal capsule": "internal capsule", "corpus callosum": "corpus callosum",
    "brainstem": "brainstem", "brain stem": "brainstem", "ventricle": "ventricles",
    "ventricles": "ventricles", "periventricular": "ventricles", "cerebellum": "cerebellum",
    "cerebellar": "cerebellum", "basal ganglia": "basal ganglia", "hippocampus": "hippocampus",
    "cingulate": "cingulate",
}
STRUCTURE_RE = re.compile(r"\b(" + "|".join(sorted(STRUCTURE_TERMS, key=len, reverse=True)) + r")\b", re.IGNORECASE)
SUBREGION_TERMS = {
    "non-enhancing": "NCR", "nonenhancing": "NCR",
    "enhancing": "ET", "enhancement": "ET", "enhances": "ET", "contrast-enhancing": "ET",
    "necrotic": "NCR", "necrosis": "NCR", "oedema": "ED", "edema": "ED", "oedematous": "ED", "edematous": "ED",
}
SUBREGION_RE = re.compile(r"\b(" + "|".join(sorted(SUBREGION_TERMS, key=len, reverse=True)) + r")\b", re.IGNORECASE)
METHOD_RE = re.compile(r"\b(grad-?cam|integrated[ -]gradients?|slice|attention|shap|lime|occlusion|saliency)\b", re.IGNORECASE)


@dataclass
class Claim:
    """One checkable statement found in a text."""

    kind: str  # number | side | midline | structure | subregion | method | confidence
    text: str
    supported: bool
    reason: str = ""


@dataclass
class VerificationResult:
    claims: list[Claim] = field(default_factory=list)

    @property
    def unsupported(self) -> list[Claim]:
        return [c for c in self.claims if not c.supported]

    @property
    def passed(self) -> bool:
        return not self.unsupported

    def findings(self) -> list[str]:
        """Human-readable list of what is wrong (fed back to the reviser)."""
        return [f"{c.text!r}: {c.reason}" for c in self.unsupported]

    def to_dict(self) -> dict[str, Any]:
        return {"passed": self.passed, "claims_checked": len(self.claims),
                "unsupported": [asdict(c) for c in self.unsupported],
                "claims": [asdict(c) for c in self.claims]}


def _sentence_of(text: str, start: int, end: int) -> tuple[str, int]:
    """The sentence around a span, and the span's offset inside it."""
    left = max(text.rfind(". ", 0, start), text.rfind("\n", 0, start), text.rfind("; ", 0, start))
    left = 0 if left < 0 else left + 1
    right_candidates = [i for i in (text.find(". ", end), text.find("\n", end), text.find("; ", end)) if i >= 0]
    right = min(right_candidates) if right_candidates else len(text)
    return text[left:right], start - left


def is_negated(text: str, start: int, end: int) -> bool:
    """A negation word within the 8 words before the term (same sentence) or 'absent' after it."""
    sentence, offset = _sentence_of(text, start, end)
    before = " ".join(sentence[:offset].split()[-8:])
    after = " ".join(sentence[offset + (end - start):].split()[:5])
    return bool(NEGATION_RE.search(before)) or bool(re.search(r"\b(absent|not (?:present|seen|detected|predicted))\b", after, re.I))


def number_supported(value: float, decimals: int, unit: str, index: FactIndex) -> bool:
    tol = 0.5 * 10 ** (-decimals) + 1e-9
    unit = (unit or "").lower()
    for f in index.numbers:
        candidates = [f]
        if unit in ("%", "percent") or (not unit and f <= 1.0):
            candidates.append(f * 100)
        if unit == "cm":
            candidates.append(f / 10)
        if unit in ("cm²",):
            candidates.append(f / 100)
        if any(abs(c - value) <= tol for c in candidates):
            return True
    return False


def check_numbers(text: str, index: FactIndex) -> list[Claim]:
    body = LIST_MARKER_RE.sub(" ", text)
    claims = []
    for m in NUMBER_RE.finditer(body):
        raw = m.group("num")
        unit = m.group("unit") or ""
        decimals = len(raw.split(".")[1]) if "." in raw else 0
        ok = number_supported(float(raw), decimals, unit, index)
        shown = f"{raw} {unit}".strip()
        claims.append(Claim("number", shown, ok, "" if ok else "no tool result has this value"))
    return claims


def check_sides(text: str, index: FactIndex) -> list[Claim]:
    claims = []
    for m in SIDE_RE.finditer(text):
        word = m.group(1).lower()
        if word.startswith("bilateral"):
            ok = index.side == "bilateral" or is_negated(text, m.start(), m.end())
            reason = f"the measured side is {index.side!r}"
        else:
            share = index.left_fraction if word == "left" else index.right_fraction
            ok = index.side == word or (index.side == "bilateral" and share > 0) or share >= 0.05
            if is_negated(text, m.start(), m.end()):
                ok = share < 0.05
            reason = f"the measured side is {index.side!r} ({word} share {share:.3f})"
        claims.append(Claim("side", m.group(0), ok, "" if ok else reason))
    for m in MIDLINE_RE.finditer(text):
        negated = is_negated(text, m.start(), m.end())
        stated = not negated
        ok = index.crosses_midline is not None and bool(index.crosses_midline) == stated
        claims.append(Claim("midline", m.group(0), ok, "" if ok else f"measured crosses_midline={index.crosses_midline}"))
    return claims


def check_structures(text: str, index: FactIndex) -> list[Claim]:
    claims = []
    for m in STRUCTURE_RE.finditer(text):
        term = STRUCTURE_TERMS[m.group(1).lower()]
        if is_negated(text, m.start(), m.end()):
            ok = not any(term in s for s in index.structures)
            claims.append(Claim("structure", m.group(0), ok, "" if ok else "the atlas does list this structure"))
            continue
        ok = index.location_known and any(term in s for s in index.structures)
        reason = "location is unknown (not in SRI24 space)" if not index.location_known else "not among the atlas structures involved"
        claims.append(Claim("structure", m.group(0), ok, "" if ok else reason))
    return claims


def check_subregions(text: str, index: FactIndex) -> list[Claim]:
    claims = []
    for m in SUBREGION_RE.finditer(text):
        region = SUBREGION_TERMS[m.group(1).lower()]
        volume = index.volumes.get(region, 0.0)
        negated = is_negated(text, m.start(), m.end())
        ok = volume == 0 if negated else volume > 0
        reason = f"predicted {region} volume is {volume} mL"
        claims.append(Claim("subregion", m.group(0), ok, "" if ok else reason))
    return claims


def check_methods(text: str, index: FactIndex) -> list[Claim]:
    claims = []
    for m in METHOD_RE.finditer(text):
        word = m.group(1)
        low = word.lower()
        if low == "slice" and word != "SLICE":
            continue  # the word "slice" (an MRI slice) is not the method
        if low.startswith("integrated"):
            key = "integrated_gradients"
        elif low.startswith("grad"):
            key = "gradcam"
        else:
            key = low
        ok = key in index.methods or is_negated(text, m.start(), m.end())
        claims.append(Claim("method", word, ok, "" if ok else "this method was not run on this case"))
    return claims


def check_confidence(text: str, index: FactIndex) -> list[Claim]:
    claims = []
    for m in CONFIDENCE_RE.finditer(text):
        level = (m.group(1) or m.group(2)).lower()
        ok = index.confidence_level == level
        claims.append(Claim("confidence", m.group(0), ok, "" if ok else f"the confidence tool says {index.confidence_level!r}"))
    return claims


def verify_text(text: str, facts: dict | FactIndex) -> VerificationResult:
    """Check every claim of ``text`` against the facts."""
    index = facts if isinstance(facts, FactIndex) else FactIndex.from_facts(facts)
    claims: list[Claim] = []
    for check in (check_numbers, check_sides, check_structures, check_subregions, check_methods, check_confidence):
        claims.extend(check(text, index))
    return VerificationResult(claims)
