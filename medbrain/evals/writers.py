"""The report writers an eval runs: the grounded writer, or an LLM through the writing graph.

``none`` backend: :func:`medbrain.agent.writer.grounded_sections` + ``patient_summary``.

LLM backends: :func:`write_with_llm` runs :class:`medbrain.agent.writing_graph.WritingGraph`
on the item's stored facts — ``draft`` (system prompt ``report_system`` + task
``report_task`` with ``facts_block``), ``verify`` (``verify_text`` per section), ``revise``
(``report_revise`` with the verifier's findings) and ``finalize`` (sections that still fail
are replaced by the grounded writer, ``grounded-fallback``). So the prompts, the revise loop
and the fallback are the report's, not a copy. Differences, by design:

- no analysis tools are bound (the facts are stored; there is no case to run a tool on),
  so a model that asks for a tool gets the tool node's error message back and must write
  from the facts;
- the item's ``history`` (adversarial chat turns) is inserted after the system message of
  every free-text LLM call;
- ``facts_view``: the compact view of the facts (:mod:`medbrain.agent.facts_view`, the
  report's default) or the full facts;
- ``verifier_loop=False`` stops after ``draft``: the model's raw answer is the report
  (what a plain LLM writer without the verifier would deliver).

The graded text is the report as delivered: the raw answer without the loop, else the
final sections rendered under the report's headings.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage

from medbrain.agent.writer import SECTION_KEYS, grounded_sections, patient_summary
from medbrain.report.document import SECTION_TITLES

SUMMARY_TITLE = "Patient summary"


def render_report(sections: dict[str, str], summary: str) -> str:
    """Sections and patient summary under the graph's headings (``## 1. Clinical assessment`` ...)."""
    parts = [f"## {SECTION_TITLES[k]}\n{sections.get(k, '').strip()}" for k in SECTION_KEYS]
    parts.append(f"## {SUMMARY_TITLE}\n{summary.strip()}")
    return "\n\n".join(parts) + "\n"


@dataclass
class WrittenReport:
    """What a writer produced for one item, and how."""

    text: str
    sections: dict[str, str]
    patient_summary: str
    sources: dict[str, str] = field(default_factory=dict)
    draft_text: str = ""
    revisions: int = 0
    fallback_sections: list[str] = field(default_factory=list)
    llm_calls: list[dict[str, Any]] = field(default_factory=list)
    latency_s: float = 0.0
    latency_source: str = "measured"
    error: str | None = None

    @property
    def input_tokens(self) -> int:
        return sum(c.get("input_tokens", 0) for c in self.llm_calls)

    @property
    def output_tokens(self) -> int:
        return sum(c.get("output_tokens", 0) for c in self.llm_calls)

    def run_metrics(self) -> dict[str, Any]:
        return {"latency_s": self.latency_s, "latency_source": self.latency_source,
                "llm_calls": len(self.llm_calls), "input_tokens": self.input_tokens,
                "output_tokens": self.output_tokens, "revisions": self.revisions,
                "fallback_sections": self.fallback_sections, "error": self.error}


def write_grounded(facts: dict[str, Any]) -> WrittenReport:
    start = time.perf_counter()
    sections = grounded_sections(facts)
    summary = patient_summary(facts)
    return WrittenReport(text=render_report(sections, summary), sections=sections, patient_summary=summary,
                         sources={k: "grounded" for k in (*SECTION_KEYS, "patient_summary")},
                         latency_s=time.perf_counter() - start)


class _Metered:
    """Wraps the runnable the graph invokes: times each call and reads its token usage."""

    def __init__(self, runnable: Any, log: list[dict[str, Any]]):
        self.runnable = runnable
        self.log = log

    def bind(self, **kwargs: Any) -> "_Metered":
        """The bound runnable (e.g. a response format), still metered into the same log."""
        return _Metered(self.runnable.bind(**kwargs), self.log)

    def invoke(self, messages: Any, *args: Any, **kwargs: Any) -> AIMessage:
        start = time.perf_counter()
        reply = self.runnable.invoke(messages, *args, **kwargs)
        seconds = time.perf_counter() - start
        usage = getattr(reply, "usage_metadata", None) or {}
        recorded = ((getattr(reply, "response_metadata", None) or {}).get("cassette") or {}).get("seconds")
        self.log.append({"seconds": round(seconds, 3), "recorded_seconds": recorded,
                         "input_tokens": int(usage.get("input_tokens", 0) or 0),
                         "output_tokens": int(usage.get("output_tokens", 0) or 0)})
        return reply


def _history_messages(history: list[dict[str, str]]) -> list[BaseMessage]:
    out: list[BaseMessage] = []
    for turn in history:
        role, content = turn.get("role", "user"), str(turn.get("content", ""))
        out.append(AIMessage(content=content) if role == "assistant" else HumanMessage(content=content))
    return out


def _latency(wall: float, calls: list[dict[str, Any]]) -> tuple[float, str]:
    """Wall time, with replayed calls counted at their recorded duration (cassettes)."""
    recorded = [c["recorded_seconds"] for c in calls]
    if not recorded or any(r is None for r in recorded):
        return wall, "measured"
    return wall - sum(c["seconds"] for c in calls) + sum(recorded), "recorded"


def write_with_llm(facts: dict[str, Any], llm: BaseChatModel, *, verifier_loop: bool = True,
                   history: list[dict[str, str]] | None = None, max_revisions: int = 2,
                   facts_view: Callable[[dict], dict] | None = None, drafting: str = "free") -> WrittenReport:
    """One report from ``facts`` by ``llm`` through the graph's writing nodes.

    ``facts_view`` (e.g. :func:`medbrain.agent.facts_view.compact_facts`) changes only the
    facts shown in the task prompt; verification and fallback use the full facts. ``drafting``:
    ``free`` (markdown text, what the suites and cassettes measure) or ``structured``."""
    from medbrain.agent.writing_graph import WritingGraph, WritingOptions  # langgraph: import on use

    calls: list[dict[str, Any]] = []
    options = WritingOptions(max_revisions=max_revisions, facts_view=facts_view, drafting=drafting,
                             history=_history_messages(history or []))
    start = time.perf_counter()
    try:
        state = WritingGraph(_Metered(llm, calls), [], options).run(facts, stop_after_draft=not verifier_loop)
        errors = [e["error"] for e in state.get("llm_calls") or [] if "error" in e]
        if errors:  # the graph fell back to the grounded writer; the eval must not score that
            raise RuntimeError(errors[0])
    except Exception as exc:  # a backend failure is a result to report, not a crash of the eval
        latency, source = _latency(time.perf_counter() - start, calls)
        return WrittenReport(text="", sections={}, patient_summary="", llm_calls=calls,
                             latency_s=latency, latency_source=source, error=f"{type(exc).__name__}: {exc}"[:500])
    latency, source = _latency(time.perf_counter() - start, calls)
    sections = {k: (state.get("sections") or {}).get(k, "") for k in SECTION_KEYS}
    summary = state.get("patient_summary", "") or ""
    sources = dict(state.get("sources") or {})
    text = (state.get("draft_text") or "") if not verifier_loop else render_report(sections, summary)
    return WrittenReport(
        text=text, sections=sections, patient_summary=summary, sources=sources,
        draft_text=state.get("draft_text", "") or "", revisions=int(state.get("revisions", 0)),
        fallback_sections=[k for k, v in sources.items() if v == "grounded-fallback"],
        llm_calls=_with_drafting(calls, state.get("llm_calls") or []), latency_s=latency, latency_source=source)


def _with_drafting(calls: list[dict[str, Any]], logged: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The metered calls, each structured one with what the graph logged of it (sentences kept, dropped)."""
    drafting = [e for e in logged if e.get("drafting")]
    if len(drafting) != len(calls):
        return calls
    return [{**call, "drafting": entry} for call, entry in zip(calls, drafting)]


__all__ = ["WrittenReport", "render_report", "write_grounded", "write_with_llm"]
