"""The report graph's typed state."""

from __future__ import annotations

from typing import Annotated, Any, TypedDict


def merge_dicts(left: dict | None, right: dict | None) -> dict:
    """Reducer: later writers add or replace keys (parallel branches write different keys)."""
    return {**(left or {}), **(right or {})}


class ReportState(TypedDict, total=False):
    case_path: str
    facts: Annotated[dict[str, Any], merge_dicts]
    sections: dict[str, str]  # section key -> text (current draft)
    sources: dict[str, str]  # section key -> "llm" | "llm-pruned" | "grounded" | "grounded-fallback"
    patient_summary: str
    verification: dict[str, dict]  # section key -> VerificationResult.to_dict()
    revisions: int
    draft_text: str
    draft_problems: list[str]  # structured drafting: sentences dropped before verification, and why
    figures: list[str]
    warnings: list[str]
    llm_messages: int
