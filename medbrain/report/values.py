"""Fact values as display text: typed facts with their units, raw values, readable labels.

:class:`FactValues` shows a fact the way the verifier and the writers know it (through
:class:`medbrain.facts.FactCatalogue`: its unit and precision, method / sequence / region
display names). :func:`format_value` and :func:`flatten` show anything else compactly
(used by the raw appendix), and :func:`humanise` turns a fact key into a column label.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any, Mapping

from medbrain.facts import Fact, FactCatalogue, display_word, get_path

MAX_FLAT_ROWS = 40
MAX_INLINE_LIST = 8
MISSING = "—"
#: Words a label keeps in a fixed spelling (abbreviations and units).
LABEL_WORDS = {"auc": "AUC", "iou": "IoU", "tta": "TTA", "hd95": "HD95", "ml": "mL", "mm": "mm",
               "mm2": "mm²", "wt": "WT", "tc": "TC", "et": "ET", "ncr": "NCR", "ed": "ED",
               "top10": "top 10%", "sha256": "SHA-256", "llm": "LLM"}


def humanise(key: str) -> str:
    """A fact key as a label: ``deletion_auc`` -> ``Deletion AUC``."""
    words = [LABEL_WORDS.get(w.lower(), w) for w in str(key).replace("-", "_").split("_") if w]
    if not words:
        return str(key)
    first = words[0]
    if first not in LABEL_WORDS.values():
        words[0] = first[:1].upper() + first[1:]
    return " ".join(words)


def format_value(value: Any) -> str:
    """Any value as short display text (raw: keys and names as stored)."""
    if value is None:
        return MISSING
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.6g}" if math.isfinite(value) else MISSING
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, Mapping):
        return ", ".join(f"{k}: {format_value(v)}" for k, v in value.items()) or MISSING
    if isinstance(value, (list, tuple)):
        if not value:
            return "none"
        if len(value) > MAX_INLINE_LIST or any(isinstance(v, (Mapping, list, tuple)) for v in value):
            return f"[{len(value)} items]"
        return ", ".join(format_value(v) for v in value)
    if hasattr(value, "item"):
        return format_value(value.item())
    return str(value)


def flatten(data: Any, prefix: str = "", depth: int = 3, limit: int = MAX_FLAT_ROWS) -> list[tuple[str, str]]:
    """Compact ``(dotted.key, value)`` rows of a nested dict; long lists are summarised."""
    rows: list[tuple[str, str]] = []

    def walk(obj: Any, key: str, level: int) -> None:
        if len(rows) >= limit:
            return
        if isinstance(obj, Mapping) and obj and level < depth:
            for k, v in obj.items():
                walk(v, f"{key}.{k}" if key else str(k), level + 1)
        else:
            rows.append((key or "value", format_value(obj)))

    walk(data, prefix, 0)
    if len(rows) >= limit:
        rows.append(("…", "more in report.json"))
    return rows


class FactValues:
    """Display text of the facts at given paths, with units and display names."""

    def __init__(self, facts: Mapping[str, Any] | None) -> None:
        self.raw: dict[str, Any] = dict(facts) if isinstance(facts, Mapping) else {}
        self.catalogue = FactCatalogue.from_facts(self.raw)
        self._by_path = {fact.path: fact for fact in self.catalogue}

    def fact(self, path: str) -> Fact | None:
        """The catalogued fact at ``path``, or the raw value there as text; None when absent."""
        found = self._by_path.get(path)
        if found is not None:
            return found
        value = get_path(self.raw, path)
        return None if value is None else Fact(path=path, value=value, quantity=path.rsplit(".", 1)[-1], unit="text")

    def text(self, path: str) -> str:
        """The value at ``path`` as a report prints it (``62.92 mL``, ``97%``, ``Grad-CAM``)."""
        fact = self.fact(path)
        if fact is None:
            return MISSING
        if fact.is_number:
            if not math.isfinite(float(fact.value)):
                return MISSING
            return fact.display() if fact.unit != "text" else format_value(fact.value)
        return word(fact.value)

    def number(self, path: str) -> str:
        """The number at ``path`` at its precision, without its unit (``41.2``)."""
        fact = self.fact(path)
        if fact is None or not fact.is_number or not math.isfinite(float(fact.value)):
            return MISSING
        return dataclasses.replace(fact, unit="score").display()


def word(value: Any) -> str:
    """A word, list or flag for a reader: display names, ``yes``/``no``, ``none``."""
    if value is None:
        return MISSING
    if isinstance(value, (list, tuple)):
        if not value:
            return "none"
        if any(isinstance(v, (Mapping, list, tuple)) for v in value):
            return format_value(value)
        return ", ".join(word(v) for v in value)
    if isinstance(value, (str, bool)):
        return display_word(value)
    return format_value(value)


def pair(value: Any) -> str:
    """A method pair as ``Grad-CAM and Integrated Gradients``."""
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return display_word(list(value))
    return word(value)
