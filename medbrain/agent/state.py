"""The typed states of the two report graphs: analysis (facts from a case) and writing (text from facts)."""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

from langchain_core.messages import BaseMessage
from langgraph.graph.message import add_messages


def merge_dicts(left: dict | None, right: dict | None) -> dict:
    """Reducer: later writers add or replace keys (parallel branches write different keys)."""
    return {**(left or {}), **(right or {})}


class AnalysisState(TypedDict, total=False):
    """load -> segment -> (measure || plan -> explanations -> compare) -> confidence -> figure."""

    case_path: str
    facts: Annotated[dict[str, Any], merge_dicts]
    plan: dict[str, Any] | None  # {"region", "slice"} to explain, or None when nothing was predicted
    figures: list[str]
    warnings: list[str]


class WritingState(TypedDict, total=False):
    """draft -> verify -> (revise -> verify)* -> finalize, over facts given as input."""

    facts: dict[str, Any]  # input; refreshed after a tool call (a tool may add facts)
    figures: list[str]  # input: the montage, attached to the prompt for a vision model
    warnings: list[str]  # input warnings, then the writing's own
    phase: str  # "draft" | "revise": what the free-text tool loop is answering
    messages: Annotated[list[BaseMessage], add_messages]  # the free-text tool loop's conversation
    tool_rounds: int
    reply_text: str  # the free-text loop's final answer ("" when the model failed or never stopped calling)
    sections: dict[str, str]  # section key -> text (current draft)
    sources: dict[str, str]  # section key -> "llm" | "llm-pruned" | "grounded" | "grounded-fallback"
    patient_summary: str
    verification: dict[str, dict]  # section key -> verification record
    revisions: int
    draft_text: str
    draft_problems: list[str]  # structured drafting: sentences dropped before verification, and why
    llm_calls: Annotated[list[dict[str, Any]], operator.add]  # one entry per model call (or failure)


class ReportState(AnalysisState, WritingState, total=False):
    """What a finished report is built from: the analysis state with the writing state over it."""
