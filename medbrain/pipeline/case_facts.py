"""The ``case`` facts of a loaded case: identity, geometry, and which sequences it has."""

from __future__ import annotations

from typing import Any

from nibabel import aff2axcodes

from medbrain.data.loading import Case
from medbrain.model.expected_accuracy import expected_accuracy


def case_facts(case: Case, *, synthetic: bool, metadata: dict[str, Any]) -> dict[str, Any]:
    """Facts about ``case`` (no header text: nothing here can carry patient data).

    A case without all four sequences also gets ``expected_accuracy``: what cross-validation
    measured for exactly its sequences (from the model's JSON ``metadata``), or that it did not.
    """
    facts: dict[str, Any] = {
        "case_id": case.case_id,
        "synthetic": synthetic,
        "has_ground_truth": case.label is not None,
        "shape": list(case.shape),
        "spacing_mm": [round(float(s), 3) for s in case.spacing],
        "orientation": "".join(aff2axcodes(case.affine)),
        "label_convention": case.files.convention.value,
        "sequences": list(case.sequences),
        "sequences_missing": list(case.files.missing),
    }
    if case.files.missing:
        facts["expected_accuracy"] = expected_accuracy(metadata, case.sequences)
    return facts
