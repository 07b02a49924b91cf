"""What cross-validation measured for the sequences a case has (``validation.by_sequences`` of a model's JSON)."""

from __future__ import annotations

from typing import Any, Iterable

from medbrain.data.discovery import subset_name
from medbrain.labels import REGIONS


def expected_accuracy(metadata: dict[str, Any], sequences: Iterable[str]) -> dict[str, Any]:
    """The cross-validated Dice of this model's recipe for exactly these sequences.

    ``{"sequences": NAME, "measured": True, "dice": {WT: mean, ...}, "dice_sd": {...},
    "cases": n, "folds": [...], "source": ...}``; ``measured`` is False when the model's JSON
    holds no row for this subset (the report then says so instead of guessing).
    """
    name = subset_name(sequences)
    table = ((metadata.get("validation") or {}).get("by_sequences") or {})
    row = (table.get("subsets") or {}).get(name)
    if not row:
        return {"sequences": name, "measured": False}
    return {"sequences": name, "measured": True,
            "dice": {r: row[r]["mean"] for r in REGIONS}, "dice_sd": {r: row[r]["sd"] for r in REGIONS},
            "cases": row["cases"], "folds": row["folds"], "source": table.get("method", "")}


def accuracy_note(expected: dict[str, Any]) -> str:
    """One line for a person: the expected Dice for the sequences used, or that it was not measured."""
    if not expected.get("measured"):
        return (f"No cross-validated accuracy exists for {expected['sequences']}: treat every number "
                "as unvalidated.")
    dice = ", ".join(f"{r} {expected['dice'][r]:.2f} ± {expected['dice_sd'][r]:.2f}" for r in REGIONS)
    return (f"Expected Dice with {expected['sequences']} (cross-validation, {expected['cases']} held-out "
            f"cases): {dice}.")


def warnings_with_accuracy(warnings: list[str], metadata: dict[str, Any], sequences: Iterable[str],
                           missing: Iterable[str]) -> list[str]:
    """A case's warnings with the expected-accuracy note after the missing-sequence one (first)."""
    if not list(missing):
        return list(warnings)
    return [*warnings[:1], accuracy_note(expected_accuracy(metadata, sequences)), *warnings[1:]]
