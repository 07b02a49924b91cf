"""Structured drafting: the LLM writes sentences that cite facts by path; code renders the values.

The model never types a number. It returns JSON matching :class:`DraftedReport` (grammar-
constrained on the local llama.cpp backend, the provider's JSON-schema mode on OpenAI), one
list of sentences per section, in which every value appears as a reference such as
``{measurements.volumes_ml.ET}`` or ``{comparison.most_agreeing_pair}``. :func:`render_draft`
replaces each reference with the fact's display text (value, unit, precision) and drops a
sentence that cites an unknown path or types a digit of its own; the rendered text then goes
through the verifier like any other, so a reference placed next to the wrong words
("the whole tumour measures {measurements.volumes_ml.ET}") still fails.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from medbrain.facts import FactCatalogue

DRAFT_KEYS = ("clinical_assessment", "method_comparison", "confidence", "recommendations", "patient_summary")
MAX_SENTENCES = 6
MAX_SENTENCE_CHARS = 320

_REF_RE = re.compile(r"\{\s*([A-Za-z_][\w]*(?:\.[\w]+|\[\d+\])*)\s*\}")
# digits the model may type: sequence and atlas names (T1, T1ce, T2, SRI24, HD95), section numbers
_ALLOWED_DIGITS_RE = re.compile(r"(?<![\w.])(?:T1ce|T1c|T1|T2w|T2|SRI24|HD95|BraTS\s?20\d\d)(?![\w])", re.I)
_DIGIT_RE = re.compile(r"\d")


class DraftedReport(BaseModel):
    """What the LLM returns: sentences per section, facts only as ``{path}`` references."""

    clinical_assessment: list[str] = Field(default_factory=list, max_length=MAX_SENTENCES)
    method_comparison: list[str] = Field(default_factory=list, max_length=MAX_SENTENCES)
    confidence: list[str] = Field(default_factory=list, max_length=MAX_SENTENCES)
    recommendations: list[str] = Field(default_factory=list, max_length=MAX_SENTENCES)
    patient_summary: list[str] = Field(default_factory=list, max_length=4)


def draft_json_schema() -> dict[str, Any]:
    """A strict JSON Schema for :class:`DraftedReport` (every key required, no extras).

    Bounded lengths keep a small grammar-constrained model from looping forever.
    """
    def sentences(n: int) -> dict[str, Any]:
        return {"type": "array", "maxItems": n,
                "items": {"type": "string", "minLength": 1, "maxLength": MAX_SENTENCE_CHARS}}

    props = {k: sentences(4 if k == "patient_summary" else MAX_SENTENCES) for k in DRAFT_KEYS}
    return {"type": "object", "properties": props, "required": list(DRAFT_KEYS), "additionalProperties": False}


def response_format() -> dict[str, Any]:
    """The OpenAI-style ``response_format`` both backends accept (llama.cpp turns it into a grammar)."""
    return {"type": "json_schema", "json_schema": {"name": "medbrain_draft", "schema": draft_json_schema(),
                                                   "strict": True}}


def parse_draft(text: str) -> DraftedReport:
    """The draft in ``text`` (JSON, optionally in a code fence); raises ValueError naming the problem."""
    body = text.strip()
    fence = re.match(r"^```(?:json)?\s*(.*?)\s*```$", body, re.S)
    if fence:
        body = fence.group(1)
    try:
        data = json.loads(body)
    except json.JSONDecodeError as exc:
        raise ValueError(f"the draft is not JSON ({exc.msg} at character {exc.pos})") from None
    if not isinstance(data, dict):
        raise ValueError("the draft is not a JSON object")
    data = {k: v for k, v in data.items() if k in DRAFT_KEYS}
    try:
        return DraftedReport.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ValueError(f"the draft does not match the schema: {'.'.join(map(str, first['loc']))}: {first['msg']}") from None


# --------------------------------------------------------------------------- the reference menu
_MENU_PATTERNS = [
    (r"^measurements\.volumes_ml\.\w+$", "volume"),
    (r"^measurements\.side\.(side|left_fraction|right_fraction|crosses_midline)$", "laterality"),
    (r"^measurements\.lesions\.count$", "lesion count"),
    (r"^measurements\.location\.structures\[[0-4]\]\.(name|fraction_of_tumour)$", "atlas location"),
    (r"^measurements\.largest_axial_slice\.(slice_index|area_mm2)$", "largest axial cross-section"),
    (r"^measurements\.rano\.(longest_diameter_mm|perpendicular_diameter_mm|product_mm2)$", "bidimensional size"),
    (r"^explanations\.(region|slice_index)$", "what the explanations explain"),
    (r"^explanations\.shapley\.regions\.\w+\.dominant_sequence$", "sequence that drove the prediction"),
    (r"^comparison\.(most_agreeing_pair|least_agreeing_pair|faithfulness_verdict|localisation_verdict)$",
     "method comparison"),
    (r"^comparison\.methods\[\d\]\.(method|energy_inside_region|deletion_auc)$", "per-method result"),
    (r"^confidence\.(level|method_agreement)$", "overall confidence"),
    (r"^confidence\.regions\.\w+\.(level|mean_probability)$", "per-region confidence"),
    (r"^segmentation\.scores_vs_truth\.\w+$", "Dice against the reference segmentation"),
]


@dataclass(frozen=True)
class MenuItem:
    path: str
    shown: str
    topic: str


def reference_menu(cat: FactCatalogue) -> list[MenuItem]:
    """The facts a draft may cite, each with how it renders: what the prompt lists."""
    items: list[MenuItem] = []
    seen: set[str] = set()
    for pattern, topic in _MENU_PATTERNS:
        rx = re.compile(pattern)
        for path in _candidate_paths(cat):
            if path not in seen and rx.match(path):
                fact = cat.lookup(path)
                if fact is not None:
                    items.append(MenuItem(path, fact.display(), topic))
                    seen.add(path)
    return items


def _candidate_paths(cat: FactCatalogue) -> list[str]:
    paths = [f.path for f in cat]
    # lists and pairs are not leaves of the catalogue but render as words
    for extra in ("comparison.most_agreeing_pair", "comparison.least_agreeing_pair"):
        if cat.lookup(extra) is not None:
            paths.append(extra)
    return paths


def menu_text(menu: list[MenuItem]) -> str:
    """One line per citable fact: ``{path}`` -> how it renders (topic)."""
    return "\n".join(f"{{{m.path}}} -> {m.shown}  ({m.topic})" for m in menu)


# --------------------------------------------------------------------------- rendering
@dataclass
class RenderedSentence:
    template: str
    text: str | None  # None: dropped before verification
    references: list[str] = field(default_factory=list)
    problem: str = ""


@dataclass
class RenderedDraft:
    sections: dict[str, str]
    sentences: dict[str, list[RenderedSentence]]

    def problems(self) -> list[str]:
        """Why sentences were dropped, for the reviser and the log."""
        return [f"[{key}] {s.template!r}: {s.problem}" for key, items in self.sentences.items()
                for s in items if s.problem]

    def counts(self) -> dict[str, dict[str, int]]:
        """Per section: sentences drafted and sentences kept after rendering."""
        return {key: {"drafted": len(items), "rendered": sum(s.text is not None for s in items)}
                for key, items in self.sentences.items()}


def render_sentence(template: str, cat: FactCatalogue) -> RenderedSentence:
    """Replace each ``{path}`` with the fact's display text; drop typed numbers and unknown paths."""
    template = " ".join(template.split())
    refs = [m.group(1) for m in _REF_RE.finditer(template)]
    outside = _ALLOWED_DIGITS_RE.sub("", _REF_RE.sub("", template))
    if _DIGIT_RE.search(outside):
        return RenderedSentence(template, None, refs, "types a number instead of citing a fact by {path}")
    if "{" in _REF_RE.sub("", template) or "}" in _REF_RE.sub("", template):
        return RenderedSentence(template, None, refs, "has a malformed {reference}")
    parts: list[str] = []
    last = 0
    for m in _REF_RE.finditer(template):
        fact = cat.lookup(m.group(1))
        if fact is None:
            return RenderedSentence(template, None, refs, f"cites {{{m.group(1)}}}, which is not a fact of this case")
        parts.append(template[last:m.start()])
        parts.append(fact.display())
        last = m.end()
    parts.append(template[last:])
    text = "".join(parts).strip()
    if text and text[-1] not in ".!?":
        text += "."
    return RenderedSentence(template, text, refs)


def render_draft(draft: DraftedReport, cat: FactCatalogue) -> RenderedDraft:
    """Every section's sentences rendered; a section's text joins the sentences that rendered."""
    sentences = {key: [render_sentence(t, cat) for t in getattr(draft, key) if t.strip()] for key in DRAFT_KEYS}
    sections = {key: " ".join(s.text for s in items if s.text) for key, items in sentences.items()}
    return RenderedDraft(sections, sentences)
