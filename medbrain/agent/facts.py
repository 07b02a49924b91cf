"""What the tools established about a case, indexed for the verifier and the writers.

``facts`` is the JSON-ready dict the graph assembles from tool results:

- ``case``: case_id (sanitised), synthetic, has_ground_truth, shape, spacing_mm
- ``measurements``: ``measure_tumour(...).to_dict()`` (volumes_ml, lesions, side, location, rano, ...)
- ``segmentation``: settings and, when truth exists, ``scores_vs_truth`` (Dice per region)
- ``explanations``: per method the tool's ``to_dict()``, plus ``region`` and ``slice_index``
- ``comparison``: ``compare_methods(...).to_dict()``
- ``confidence``: ``assess_confidence(...).to_dict()``
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Iterator

from medbrain.facts import get  # noqa: F401  (one nested lookup for the package; re-exported)

METHOD_NAMES = {
    "gradcam": "Grad-CAM",
    "integrated_gradients": "Integrated Gradients",
    "slice": "SLICE",
    "attention": "attention rollout",
}
REGION_WORDS = {"WT": "whole tumour", "TC": "tumour core", "ET": "enhancing tumour"}


def iter_numbers(obj: Any) -> Iterator[float]:
    """Every finite number anywhere in a nested structure (bools excluded)."""
    if isinstance(obj, bool) or obj is None:
        return
    if isinstance(obj, (int, float)):
        if math.isfinite(obj):
            yield float(obj)
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from iter_numbers(v)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            yield from iter_numbers(v)


@dataclass
class FactIndex:
    """Numbers and vocabulary a text may cite for one case."""

    numbers: list[float] = field(default_factory=list)
    side: str = "none"
    left_fraction: float = 0.0
    right_fraction: float = 0.0
    crosses_midline: bool | None = None
    location_known: bool = False
    structures: set[str] = field(default_factory=set)
    volumes: dict[str, float] = field(default_factory=dict)
    methods: set[str] = field(default_factory=set)
    confidence_level: str | None = None
    raw: dict = field(default_factory=dict)

    @classmethod
    def from_facts(cls, facts: dict) -> "FactIndex":
        numbers = sorted(set(iter_numbers(facts)))
        side = get(facts, "measurements", "side", default={}) or {}
        location = get(facts, "measurements", "location", default={}) or {}
        structures = {s.get("name", "").lower() for s in location.get("structures", []) if s.get("name")}
        return cls(
            numbers=numbers,
            side=side.get("side", "none"),
            left_fraction=float(side.get("left_fraction") or 0.0),
            right_fraction=float(side.get("right_fraction") or 0.0),
            crosses_midline=side.get("crosses_midline"),
            location_known=location.get("status") == "known",
            structures=structures,
            volumes={k: float(v) for k, v in (get(facts, "measurements", "volumes_ml", default={}) or {}).items()},
            methods={m for m in METHOD_NAMES if get(facts, "explanations", m) is not None},
            confidence_level=get(facts, "confidence", "level"),
            raw=facts,
        )
