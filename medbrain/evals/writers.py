"""The report writers an eval runs: the grounded writer, or an LLM through the graph's writing nodes.

``none`` backend: :func:`medbrain.agent.writer.grounded_sections` + ``patient_summary``.

LLM backends: :class:`FactsReportWriter` is :class:`medbrain.agent.graph.ReportAgent`
with a stand-in workspace that holds only the stored facts, driven through the graph's own
writing nodes — ``draft`` (system prompt ``report_system`` + task ``report_task`` with
``facts_block``), ``verify`` (``verify_text`` per section), ``route_after_verify``,
``revise`` (``report_revise`` with the verifier's findings) and ``finalize`` (sections that
still fail are replaced by the grounded writer, ``grounded-fallback``). So the prompts,
the revise loop and the fallback are the graph's, not a copy. Differences, by design:

- no analysis tools are bound (the facts are stored; there is no case to run a tool on),
  so a model that asks for a tool gets an error message back and must write from the facts;
- the item's ``history`` (adversarial chat turns) is inserted after the system message of
  every LLM call;
- ``facts_view`` is the graph's option: the compact view of the facts
  (:mod:`medbrain.agent.facts_view`, the graph's default) or the full facts;
- ``verifier_loop=False`` stops after ``draft``: the model's raw answer is the report
  (what a plain LLM writer without the verifier would deliver).

The graded text is the report as delivered: the raw answer without the loop, else the
final sections rendered under the graph's headings.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage

from medbrain.agent.writer import SECTION_KEYS, grounded_sections, patient_summary
from medbrain.pipeline.toollog import ToolLog
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


class _FactsOnly:
    """What the graph's writing nodes read of a workspace: the facts, and a tool log for their steps."""

    def __init__(self, facts: dict[str, Any]):
        self.facts = facts
        self.log = ToolLog()  # no file, no listener: the steps go nowhere


class _Metered:
    """Wraps the runnable the graph invokes: times each call and reads its token usage."""

    def __init__(self, runnable: Any, log: list[dict[str, Any]]):
        self.runnable = runnable
        self.log = log

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


def _agent_class():
    from medbrain.agent.graph import ReportAgent  # imports torch via the workspace module

    class FactsReportWriter(ReportAgent):
        """:class:`ReportAgent`'s writing nodes over stored facts (see the module docstring)."""

        def __init__(self, facts: dict[str, Any], llm: BaseChatModel, *, history: list[dict[str, str]] | None = None,
                     max_revisions: int = 2, facts_view: Callable[[dict], dict] | None = None, drafting: str = "free"):
            from medbrain.agent.graph import GraphOptions

            super().__init__(_FactsOnly(facts), [], llm,
                             GraphOptions(max_revisions=max_revisions, facts_view=facts_view, drafting=drafting))
            self.history = _history_messages(history or [])
            self.facts_view = facts_view
            self.calls: list[dict[str, Any]] = []
            self.bound = _Metered(llm, self.calls)  # no tools: never send an empty tool list

        def _tool_loop(self, messages: list[BaseMessage]) -> str:
            if self.history:
                messages[1:1] = list(self.history)
            return super()._tool_loop(messages)

        def write(self, *, verifier_loop: bool = True) -> dict[str, Any]:
            """Run draft [-> verify -> (revise -> verify)* -> finalize] like the graph does."""
            state: dict[str, Any] = {"revisions": 0, "warnings": [], "figures": []}
            state.update(self.draft(state))
            if not verifier_loop:
                return state
            state.update(self.verify(state))
            while self.route_after_verify(state) == "revise":
                state.update(self.revise(state))
                state.update(self.verify(state))
            state.update(self.finalize(state))
            return state

    return FactsReportWriter


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
    agent_class = _agent_class()
    start = time.perf_counter()
    writer = agent_class(facts, llm, history=history, max_revisions=max_revisions, facts_view=facts_view,
                         drafting=drafting)
    try:
        state = writer.write(verifier_loop=verifier_loop)
        errors = [e["error"] for e in writer.opt.llm_log if "error" in e]
        if errors:  # the graph fell back to the grounded writer; the eval must not score that
            raise RuntimeError(errors[0])
    except Exception as exc:  # a backend failure is a result to report, not a crash of the eval
        latency, source = _latency(time.perf_counter() - start, writer.calls)
        return WrittenReport(text="", sections={}, patient_summary="", llm_calls=writer.calls,
                             latency_s=latency, latency_source=source, error=f"{type(exc).__name__}: {exc}"[:500])
    latency, source = _latency(time.perf_counter() - start, writer.calls)
    sections = {k: (state.get("sections") or {}).get(k, "") for k in SECTION_KEYS}
    summary = state.get("patient_summary", "") or ""
    sources = dict(state.get("sources") or {})
    text = (state.get("draft_text") or "") if not verifier_loop else render_report(sections, summary)
    return WrittenReport(
        text=text, sections=sections, patient_summary=summary, sources=sources,
        draft_text=state.get("draft_text", "") or "", revisions=int(state.get("revisions", 0)),
        fallback_sections=[k for k, v in sources.items() if v == "grounded-fallback"],
        llm_calls=writer.calls + [e for e in writer.opt.llm_log if e.get("drafting")], latency_s=latency,
        latency_source=source)


__all__ = ["WrittenReport", "render_report", "write_grounded", "write_with_llm"]
