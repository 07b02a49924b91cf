"""Checking one section of an assessment: the verifier plus the safety checks, and pruning."""

from __future__ import annotations

from typing import Any

from medbrain.agent.safety import safety_claims
from medbrain.agent.verifier import verify_text


def verify_section(text: str, facts: dict[str, Any], key: str = "") -> dict[str, Any]:
    """One section's verification record: the sentence-level verifier plus the safety checks."""
    if not text.strip():
        return {"passed": False, "status": "failed", "claims_checked": 0, "missing": True,
                "unsupported": [{"kind": "section", "text": key, "supported": False,
                                 "reason": "section missing or empty"}], "claims": [], "sentences": []}
    result = verify_text(text, facts)
    result.extra.extend(safety_claims(text))  # diagnoses, treatment orders, identifiers
    return result.to_dict()


def prune_unsupported(text: str, record: dict[str, Any], facts: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """``text`` without the sentences the verifier rejected, if what is left passes; else None."""
    sentences = record.get("sentences") or []
    kept = " ".join(s["text"] for s in sentences if s["verdict"] != "unsupported")
    if not kept.strip() or not any(s["verdict"] == "unsupported" for s in sentences):
        return None  # nothing to remove (e.g. a text-level failure such as hidden control characters)
    again = verify_section(kept, facts)
    if not again["passed"]:
        return None
    again["removed"] = [s["text"] for s in sentences if s["verdict"] == "unsupported"]
    again["removed_claims"] = record.get("unsupported", [])
    return kept, again
