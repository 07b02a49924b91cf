"""Typed tool results: the contract between tools, agent, report and evals.

Two views of the same facts:

- :class:`CaseFacts` (pydantic) validates the JSON-ready dict the analysis assembles
  (``case``, ``segmentation``, ``measurements``, ``explanations``, ``comparison``,
  ``confidence``). Known fields are typed; tools may add fields (``extra="allow"``), so
  the schema grows without renaming. ``report.json`` embeds :func:`facts_json_schema` and
  :data:`FORMAT_VERSION`.
- :class:`FactCatalogue` lists every citable number and word as a :class:`Fact`: a stable
  path (``measurements.volumes_ml.ET``), a quantity name, a unit, a display precision and
  the region / method(s) / sequence / structure / side it is about. The verifier binds
  each number of a text to one of these; the writers render fact references with them.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, Iterator, Optional

from pydantic import BaseModel, ConfigDict

FORMAT_VERSION = "2.0"
REGIONS = ("WT", "TC", "ET")
SUBREGIONS = ("NCR", "ED", "ET")
VOLUME_KEYS = ("NCR", "ED", "ET", "TC", "WT")
SEQUENCES = ("t1", "t1ce", "t2", "flair")
METHODS = ("gradcam", "integrated_gradients", "slice", "attention")  # the four map methods compared
ANALYSIS_METHODS = (*METHODS, "shapley")  # what the analysis runs: the maps and per-sequence Shapley
METHOD_NAMES = {"gradcam": "Grad-CAM", "integrated_gradients": "Integrated Gradients", "slice": "SLICE",
                "attention": "attention rollout", "shapley": "Shapley values"}
SEQUENCE_NAMES = {"t1": "T1", "t1ce": "T1ce", "t2": "T2", "flair": "FLAIR"}
REGION_NAMES = {"WT": "whole tumour", "TC": "tumour core", "ET": "enhancing tumour",
                "NCR": "necrotic/non-enhancing core", "ED": "oedema"}


# --------------------------------------------------------------------------- pydantic models
class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class CaseInfo(_Open):
    case_id: str
    synthetic: bool = False
    has_ground_truth: bool = False
    shape: Optional[list[int]] = None
    spacing_mm: Optional[list[float]] = None


class SideFacts(_Open):
    side: str = "none"
    left_fraction: Optional[float] = None
    right_fraction: Optional[float] = None
    crosses_midline: Optional[bool] = None


class StructureFacts(_Open):
    name: str
    fraction_of_tumour: float
    volume_ml: Optional[float] = None
    side: Optional[str] = None


class LocationFacts(_Open):
    status: str = "unknown"
    primary_lobe: Optional[str] = None
    structures: list[StructureFacts] = []


class MeasurementFacts(_Open):
    volumes_ml: dict[str, float] = {}
    side: Optional[SideFacts] = None
    location: Optional[LocationFacts] = None


class SegmentationFacts(_Open):
    scores_vs_truth: Optional[dict[str, Optional[float]]] = None


class ComparisonFacts(_Open):
    most_agreeing_pair: Optional[list[str]] = None
    least_agreeing_pair: Optional[list[str]] = None
    best_localised_method: Optional[str] = None
    most_faithful_method: Optional[str] = None


class ConfidenceFacts(_Open):
    level: Optional[str] = None
    regions: dict[str, dict[str, Any]] = {}


class CaseFacts(_Open):
    """Everything the tools established about one case."""

    case: CaseInfo
    segmentation: Optional[SegmentationFacts] = None
    measurements: Optional[MeasurementFacts] = None
    explanations: Optional[dict[str, Any]] = None
    comparison: Optional[ComparisonFacts] = None
    confidence: Optional[ConfidenceFacts] = None


def facts_json_schema() -> dict[str, Any]:
    """JSON Schema of :class:`CaseFacts`, embedded in report.json."""
    schema = CaseFacts.model_json_schema()
    schema["$comment"] = f"MedBrainInsight facts format {FORMAT_VERSION}"
    return schema


# --------------------------------------------------------------------------- catalogue
# Words in fact keys -> concepts the verifier also finds in text.
KEY_CONCEPTS: dict[str, str] = {
    "volume": "volume", "volumes": "volume", "ml": "volume", "voxels": "voxels", "voxel": "voxels",
    "lesions": "lesions", "count": "count", "slice": "slice", "area": "area", "cross": "area", "section": "area",
    "diameter": "diameter", "longest": "longest", "perpendicular": "perpendicular", "product": "product",
    "rano": "diameter", "bidimensional": "diameter", "dice": "dice", "probability": "probability",
    "mean": "mean", "max": "max", "uncertain": "uncertain", "entropy": "entropy", "spearman": "spearman",
    "iou": "iou", "agreement": "agreement", "energy": "energy", "deletion": "deletion", "insertion": "insertion",
    "auc": "auc", "share": "share", "seconds": "seconds", "stability": "stability", "delta": "delta",
    "convergence": "delta", "threshold": "threshold", "thresholds": "threshold", "centroid": "centroid",
    "extent": "extent", "contralateral": "extent", "tta": "tta", "superpixels": "superpixels", "retained": "superpixels",
    "tokens": "tokens", "layers": "layers", "heads": "heads", "steps": "steps", "samples": "samples",
    "shapley": "shapley", "fraction": "fraction", "outside": "outside", "largest": "largest", "confidence": "confidence",
    "structures": "structure", "structure": "structure", "flip": "tta", "scores": "dice", "truth": "dice",
    "sd": "sd", "cleanup": "cleanup", "components": "lesions", "removed": "removed", "relabelled": "removed",
    "cells": "cells",
}
# Facts a text may cite without naming every concept of the path (the headline quantities).
_HEADLINE = re.compile(
    r"^(?:measurements\.(?:volumes_ml\.\w+|lesions\.(?:count|count_including_specks)|largest_axial_slice\.\w+|"
    r"rano\.\w+|wt_bidimensional\.\w+|side\.\w+|location\.structures\[\d+\]\.\w+|location\.fraction_outside_atlas_structures|"
    r"centroid\.world_mm\[\d\])|segmentation\.scores_vs_truth\.\w+|case\.expected_accuracy\.\w+(?:\.\w+)?|explanations\.slice_index|"
    r"explanations\.\w+\.(?:sequence_share\.\w+|shapley\.\w+.*|relative_delta|stability\.\w+|superpixels|retained|seconds|tokens|layers|heads)|"
    r"explanations\.shapley\..*|comparison\.(?:methods\[\d+\]\.\w+(?:\.\w+)?|pairs\[\d+\]\.\w+|mean_pairwise_spearman|[a-z_]+)|"
    r"confidence\.(?:regions\.\w+\.\w+|method_agreement|[a-z_]+))$")
# Of the case facts only the expected Dice for the sequences present is citable (identifiers never are).
_CITABLE_CASE = re.compile(r"^case\.expected_accuracy\.(?:dice|dice_sd|cases)(?:\.\w+)?$")
# Never cited: identifiers, hashes, shapes, curves, settings internals.
_NEVER = re.compile(r"(sha256|\.shape|\.map\.|curve|token_map|peak|_xy|\.steps\[|sigma_adjusted|top_superpixels|"
                    r"\.target\.|settings_requested|empty_scores|definitions|\.voxel\[|spacing|axial_axis|midline_x_mm|"
                    r"layer_peak|sequence_sum|baseline_score|score_difference|attribution_sum|convergence_delta|"
                    r"\.grid\[|checkpoint|\.seed\b|seeds|forward_passes|variants)")
_UNIT_BY_KEY = [
    (re.compile(r"(_ml|volumes_ml\.\w+|volumes_ml\[\d+\])$"), "mL"),
    (re.compile(r"_mm2$"), "mm2"),
    (re.compile(r"(_mm|world_mm\[\d\])$"), "mm"),
    (re.compile(r"(fraction\w*|share(\.\w+)?|energy\w*)$"), "fraction"),
    (re.compile(r"(slice_index)$"), "slice"),
    (re.compile(r"(voxels|count\w*|superpixels|retained|tokens|layers|heads|n_steps|num_samples|pixels)$"), "count"),
    (re.compile(r"^segmentation\.cleanup\.\w+_(?:removed|relabelled)$"), "count"),
    (re.compile(r"seconds$"), "s"),
    (re.compile(r"bits$"), "bits"),
]


@dataclass(frozen=True)
class Fact:
    """One citable value with what it is about."""

    path: str
    value: Any
    quantity: str
    unit: str  # mL | mm | mm2 | fraction | slice | count | s | bits | score | text | bool
    precision: int = 3
    region: str | None = None
    methods: frozenset[str] = frozenset()
    sequence: str | None = None
    structure: str | None = None
    side: str | None = None
    concepts: frozenset[str] = frozenset()
    headline: bool = True

    @property
    def is_number(self) -> bool:
        return isinstance(self.value, (int, float)) and not isinstance(self.value, bool)

    def display(self) -> str:
        """The value as a report prints it: at its precision, with its unit."""
        if not self.is_number:
            return display_word(self.value)
        v = float(self.value)
        if self.unit == "fraction":
            return f"{_fmt(100 * v, max(self.precision - 2, 0))}%"
        text = _fmt(v, self.precision)
        suffix = {"mL": " mL", "mm": " mm", "mm2": " mm²", "s": " s", "bits": " bits"}.get(self.unit, "")
        return text + suffix


def _fmt(value: float, precision: int) -> str:
    if float(value).is_integer() and precision == 0:
        return f"{int(value):d}"
    text = f"{value:.{precision}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def display_word(value: Any) -> str:
    """Display name of a method, sequence, region or pair."""
    if isinstance(value, (list, tuple)):
        return " and ".join(display_word(v) for v in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = str(value)
    return METHOD_NAMES.get(text) or SEQUENCE_NAMES.get(text) or REGION_NAMES.get(text) or text


def _stored_precision(value: float) -> int:
    text = repr(float(value))
    if "e" in text:
        return 4
    return min(len(text.split(".")[1].rstrip("0")) if "." in text else 0, 4)


def _concepts_of(path: str) -> frozenset[str]:
    path = path.replace("explanations.slice.", "explanations.method.")  # the SLICE method, not an axial slice
    words = re.split(r"[._\[\]\d]+", path.lower())
    return frozenset(KEY_CONCEPTS[w] for w in words if w in KEY_CONCEPTS)


def _unit_of(path: str, value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if not isinstance(value, (int, float)):
        return "text"
    for pattern, unit in _UNIT_BY_KEY:
        if pattern.search(path):
            return unit
    return "score"


@dataclass
class FactCatalogue:
    """Every citable fact of a case, with lookups the verifier and writers use."""

    facts: list[Fact] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_facts(cls, facts: dict[str, Any]) -> "FactCatalogue":
        items: list[Fact] = []
        explained_region = get(facts, "explanations", "region")
        for path, value, ctx in _walk(facts, "", {}):
            if value is None or (isinstance(value, float) and not math.isfinite(value)):
                continue
            if _NEVER.search(path) or (path.startswith("case.") and not _CITABLE_CASE.match(path)):
                continue
            unit = _unit_of(path, value)
            precision = _stored_precision(value) if isinstance(value, float) else 0
            region = ctx.get("region")
            if region is None and (path.startswith("explanations") or path.startswith("comparison")):
                region = explained_region
            if region is None and path.startswith("measurements"):
                region = "WT"
            items.append(Fact(
                path=path, value=value, quantity=path.rsplit(".", 1)[-1], unit=unit, precision=precision,
                region=region, methods=frozenset(ctx.get("methods", ())), sequence=ctx.get("sequence"),
                structure=ctx.get("structure"), side=ctx.get("side"),
                concepts=_concepts_of(path + ("." + ctx["factor"] if ctx.get("factor") and path.endswith("value") else "")),
                headline=bool(_HEADLINE.match(path))))
        return cls(items, facts)

    def __iter__(self) -> Iterator[Fact]:
        return iter(self.facts)

    def numbers(self) -> list[Fact]:
        return [f for f in self.facts if f.is_number]

    def lookup(self, path: str) -> Fact | None:
        """The fact at a path (``measurements.volumes_ml.ET``); None when absent."""
        for f in self.facts:
            if f.path == path:
                return f
        value = get_path(self.raw, path)
        if value is None:
            return None
        return Fact(path=path, value=value, quantity=path.rsplit(".", 1)[-1], unit="text", precision=0)

    def get(self, *keys: str, default: Any = None) -> Any:
        return get(self.raw, *keys, default=default)


def _walk(obj: Any, path: str, ctx: dict[str, Any]) -> Iterator[tuple[str, Any, dict[str, Any]]]:
    """(path, leaf, context) for every leaf; context carries region/method/sequence/structure/side."""
    if isinstance(obj, dict):
        local = dict(ctx)
        if isinstance(obj.get("region"), str) and obj["region"] in (*REGIONS, *SUBREGIONS):
            local["region"] = obj["region"]
        if isinstance(obj.get("method"), str) and obj["method"] in METHOD_NAMES:  # not free text under "method"
            local["methods"] = (obj["method"],)
        if isinstance(obj.get("pair"), list) and len(obj["pair"]) == 2:
            local["methods"] = tuple(obj["pair"])
        if isinstance(obj.get("factor"), str):
            local["factor"] = obj["factor"]
        if isinstance(obj.get("name"), str) and ".structures[" in path:
            local["structure"] = obj["name"]
        for key, value in obj.items():
            sub = dict(local)
            if key in (*REGIONS, *SUBREGIONS) or key in ("NCR", "ED"):
                sub["region"] = key
            if key in METHODS or key == "shapley":
                sub["methods"] = (key,)
            if key in SEQUENCES:
                sub["sequence"] = key
            if key in ("left_fraction", "right_fraction"):
                sub["side"] = key.split("_")[0]
            child = f"{path}.{key}" if path else str(key)
            yield from _walk(value, child, sub)
    elif isinstance(obj, (list, tuple)):
        for i, value in enumerate(obj):
            yield from _walk(value, f"{path}[{i}]", ctx)
    else:
        yield path, obj, ctx


def get(facts: dict, *path: str, default: Any = None) -> Any:
    """Nested lookup that tolerates missing keys and None on the way."""
    cur: Any = facts
    for key in path:
        if not isinstance(cur, dict) or key not in cur or cur[key] is None:
            return default
        cur = cur[key]
    return cur


_PATH_TOKEN = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def get_path(facts: dict, path: str) -> Any:
    """Value at a dotted path with list indices (``comparison.pairs[0].spearman``); None if absent."""
    cur: Any = facts
    for name, index in _PATH_TOKEN.findall(path):
        if name:
            if not isinstance(cur, dict) or name not in cur:
                return None
            cur = cur[name]
        else:
            if not isinstance(cur, list) or int(index) >= len(cur):
                return None
            cur = cur[int(index)]
    return cur
