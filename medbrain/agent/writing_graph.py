"""The writing graph (LangGraph): facts in, a verified four-part assessment out.

draft -> verify -> (revise -> verify)* -> finalize. It takes the facts as input (from the
analysis graph, or stored facts in the evals) and keeps everything it writes in the graph
state, so the report, the evals and chat share one writer.

- No LLM: ``draft`` is the deterministic grounded writer.
- ``drafting="structured"`` (default with an LLM, :mod:`medbrain.agent.drafting`): the model
  returns JSON sentences that cite facts by ``{path}``; code renders the values.
- ``drafting="free"``: markdown text written in a tool loop, ``model`` -> ``tools``
  (LangGraph's ``ToolNode``) -> ``model`` ... for at most ``max_tool_rounds`` rounds, then
  ``collect`` splits the answer into sections. A tool may add facts (e.g. another slice
  explained); ``refresh_facts`` reads them back into the state after each tool round.

Every fact the text cites must pass the deterministic verifier. After the last revision,
``finalize`` removes each sentence the verifier rejected and keeps the rest when it still
passes (``llm-pruned``); a section with nothing left that passes falls back to the grounded
writer (``grounded-fallback``).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from pathlib import Path
from string import Template
from typing import Any, Callable

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, RemoveMessage, SystemMessage
from langchain_core.tools import BaseTool
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import REMOVE_ALL_MESSAGES
from langgraph.prebuilt import ToolNode

from medbrain.agent.drafting import RenderedDraft, menu_text, parse_draft, reference_menu, render_draft, response_format
from medbrain.agent.facts_view import compact_facts
from medbrain.agent.section_checks import prune_unsupported, verify_section
from medbrain.agent.sections import parse_sections
from medbrain.agent.state import WritingState
from medbrain.agent.writer import SECTION_KEYS, SUMMARY_KEY, grounded_sections, patient_summary
from medbrain.facts import FactCatalogue
from medbrain.prompts import load_prompt


@dataclass
class WritingOptions:
    max_revisions: int = 2
    max_tool_rounds: int = 4
    attach_image: bool = False
    facts_view: Callable[[dict[str, Any]], dict[str, Any]] | None = compact_facts  # None: full facts
    drafting: str = "structured"  # "structured" (JSON sentences citing facts) | "free" (markdown text)
    history: list[BaseMessage] = field(default_factory=list)  # inserted after the system message (evals)
    on_step: Callable[[str], None] | None = None  # progress: "drafting", "verifying", "revising"
    refresh_facts: Callable[[], dict[str, Any]] | None = None  # the facts after a tool call


def facts_block(facts: dict[str, Any]) -> str:
    """Facts as JSON that cannot close the <facts> delimiter (no raw '<' or '>')."""
    text = json.dumps(facts, indent=1, default=str)
    return text.replace("<", "\\u003c").replace(">", "\\u003e")


def content_text(message: BaseMessage) -> str:
    content = message.content
    if isinstance(content, str):
        return content
    return "".join(part.get("text", "") if isinstance(part, dict) else str(part) for part in content)


def _error(exc: Exception, **extra: Any) -> dict[str, Any]:
    return {"error": f"{type(exc).__name__}: {exc}"[:300], **extra}


class WritingGraph:
    """Builds and runs the writing graph; ``llm=None`` writes with the grounded writer."""

    def __init__(self, llm: Any | None, tools: list[BaseTool] | None = None, options: WritingOptions | None = None):
        self.llm = llm
        self.opt = options or WritingOptions()
        tools = list(tools or [])
        # never bind an empty tool list: some providers reject it
        self.chat = llm.bind_tools(tools) if (llm is not None and tools) else llm
        self.tool_node = ToolNode(tools, handle_tool_errors=True)
        self.graph = self._build()

    def _step(self, name: str) -> None:
        if self.opt.on_step is not None:
            self.opt.on_step(name)

    # ------------------------------------------------------------------ prompts
    def _task_message(self, state: WritingState) -> HumanMessage:
        facts = self.opt.facts_view(state["facts"]) if self.opt.facts_view else state["facts"]
        text = Template(load_prompt("report_task")).substitute(facts=facts_block(facts))
        figures = state.get("figures") or []
        if self.opt.attach_image and figures:
            data = base64.b64encode(Path(figures[0]).read_bytes()).decode()
            return HumanMessage(content=[{"type": "text", "text": text},
                                         {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{data}"}}])
        return HumanMessage(content=text)

    def _conversation(self, state: WritingState, *extra: BaseMessage) -> list[BaseMessage]:
        return [SystemMessage(load_prompt("report_system")), *self.opt.history, self._task_message(state), *extra]

    def _findings(self, state: WritingState) -> list[str]:
        return [f"- [{key}] {claim['text']!r}: {claim['reason']}"
                for key, result in state["verification"].items() for claim in result["unsupported"]]

    # ------------------------------------------------------------------ structured drafting
    def _structured(self, facts: dict[str, Any], feedback: str | None, previous: str) -> dict:
        """Ask for JSON sentences citing facts by path; render them; log what survived rendering."""
        cat = FactCatalogue.from_facts(facts)
        task = Template(load_prompt("report_draft")).substitute(menu=menu_text(reference_menu(cat)))
        messages: list[BaseMessage] = [SystemMessage(load_prompt("draft_system")), HumanMessage(content=task)]
        if feedback is not None:
            messages.append(AIMessage(content=previous))
            messages.append(HumanMessage(content=Template(load_prompt("draft_revise")).substitute(findings=feedback)))
        try:
            raw = content_text(self.llm.bind(response_format=response_format()).invoke(messages))
            rendered: RenderedDraft = render_draft(parse_draft(raw), cat)
        except Exception as exc:  # endpoint down, invalid JSON, schema mismatch: the fallback covers it
            return {"sections": {k: "" for k in SECTION_KEYS}, "patient_summary": "", "draft_text": "",
                    "draft_problems": [], "llm_calls": [_error(exc, drafting="structured")]}
        return {"sections": {k: rendered.sections[k] for k in SECTION_KEYS},
                "patient_summary": rendered.sections[SUMMARY_KEY], "draft_text": raw,
                "draft_problems": rendered.problems(),
                "llm_calls": [{"drafting": "structured", "chars": len(raw), "sentences": rendered.counts(),
                               "dropped": rendered.problems()[:8], "excerpt": raw[:300]}]}

    # ------------------------------------------------------------------ nodes
    def draft(self, state: WritingState) -> dict:
        self._step("drafting")
        facts = state["facts"]
        start = {"revisions": 0, "warnings": list(state.get("warnings") or [])}
        if self.llm is None:
            return {**start, "sections": grounded_sections(facts), "patient_summary": patient_summary(facts),
                    "sources": {k: "grounded" for k in SECTION_KEYS}, "draft_text": ""}
        sources = {k: "llm" for k in SECTION_KEYS}
        if self.opt.drafting == "structured":
            return {**start, **self._structured(facts, None, ""), "sources": sources}
        return {**start, "sources": sources, "phase": "draft", "tool_rounds": 0,
                "messages": [RemoveMessage(id=REMOVE_ALL_MESSAGES), *self._conversation(state)]}

    def revise(self, state: WritingState) -> dict:
        self._step("revising")
        findings = self._findings(state)
        revisions = state.get("revisions", 0) + 1
        if self.opt.drafting == "structured":
            findings += [f"- {p}" for p in state.get("draft_problems") or []]
            out = self._structured(state["facts"], "\n".join(findings), state.get("draft_text", ""))
            previous = state.get("sections") or {}
            out["sections"] = {k: out["sections"][k] or previous.get(k, "") for k in SECTION_KEYS}
            out["patient_summary"] = out["patient_summary"] or state.get("patient_summary", "")
            return {**out, "revisions": revisions}
        prompt = Template(load_prompt("report_revise")).substitute(
            findings="\n".join(findings), draft=state.get("draft_text", "").replace("</draft>", ""))
        return {"phase": "revise", "tool_rounds": 0, "revisions": revisions,
                "messages": [RemoveMessage(id=REMOVE_ALL_MESSAGES),
                             *self._conversation(state, HumanMessage(content=prompt))]}

    def model(self, state: WritingState) -> dict:
        """One round of the free-text loop: the model answers or asks for tools."""
        rounds = state.get("tool_rounds", 0) + 1
        try:
            reply = self.chat.invoke(list(state["messages"]))
        except Exception as exc:  # endpoint down, context overflow, ...: the fallback covers it
            return {"tool_rounds": rounds, "reply_text": "", "llm_calls": [_error(exc)]}
        calls = getattr(reply, "tool_calls", None) or []
        for i, call in enumerate(calls):  # the tool node answers by id; some backends send none
            call["id"] = call.get("id") or f"{call['name']}_{rounds}_{i}"
        log = {"tool_calls": [c["name"] for c in calls], "chars": len(content_text(reply))}
        return {"messages": [reply], "tool_rounds": rounds, "reply_text": "" if calls else content_text(reply),
                "llm_calls": [log]}

    def route_after_model(self, state: WritingState) -> str:
        last = state["messages"][-1] if state.get("messages") else None
        asked = isinstance(last, AIMessage) and bool(last.tool_calls) and not state.get("reply_text")
        if asked and state.get("tool_rounds", 0) <= self.opt.max_tool_rounds:
            return "tools"
        return "collect"

    def refresh(self, state: WritingState) -> dict:
        """After a tool round: the facts as the tools left them (a tool may have added some)."""
        return {"facts": self.opt.refresh_facts()} if self.opt.refresh_facts is not None else {}

    def collect(self, state: WritingState) -> dict:
        """Split the loop's final answer into sections (a revision keeps what it did not rewrite)."""
        text = state.get("reply_text", "")
        parsed = parse_sections(text)
        sections = {k: parsed.get(k, "") for k in SECTION_KEYS}
        summary = parsed.get(SUMMARY_KEY, "")
        if state.get("phase") == "revise":
            previous = state.get("sections") or {}
            sections = {k: sections[k] or previous.get(k, "") for k in SECTION_KEYS}
            summary = summary or state.get("patient_summary", "")
        return {"sections": sections, "patient_summary": summary, "draft_text": text}

    def verify(self, state: WritingState) -> dict:
        self._step("verifying")
        facts, sections = state["facts"], state.get("sections") or {}
        return {"verification": {key: verify_section(state.get("patient_summary", "") if key == SUMMARY_KEY
                                                     else sections.get(key, ""), facts, key)
                                 for key in (*SECTION_KEYS, SUMMARY_KEY)}}

    def route_after_verify(self, state: WritingState) -> str:
        failed = [k for k, v in state["verification"].items() if not v["passed"]]
        if not failed or self.llm is None:
            return "finalize"
        return "revise" if state.get("revisions", 0) < self.opt.max_revisions else "finalize"

    def finalize(self, state: WritingState) -> dict:
        facts = state["facts"]
        texts = {**(state.get("sections") or {}), SUMMARY_KEY: state.get("patient_summary", "")}
        sources = dict(state.get("sources") or {})
        warnings = list(state.get("warnings") or [])
        verification = dict(state["verification"])
        for key in (*SECTION_KEYS, SUMMARY_KEY):
            if verification[key]["passed"] or self.llm is None:
                continue
            pruned = prune_unsupported(texts[key], verification[key], facts)
            if pruned is None:
                continue
            texts[key], verification[key] = pruned
            sources[key] = "llm-pruned"
            warnings.append(f"Section {key!r}: {len(verification[key]['removed'])} sentence(s) the verifier "
                            "rejected were removed; the rest passed.")
        failed = [k for k in SECTION_KEYS if not verification[k]["passed"]]
        grounded = grounded_sections(facts) if failed else {}
        for key in failed:
            texts[key] = grounded[key]
            sources[key] = "grounded-fallback"
            warnings.append(f"Section {key!r} failed verification after {state.get('revisions', 0)} "
                            "revision(s) and was replaced by the grounded writer.")
        errors = [e["error"] for e in state.get("llm_calls") or [] if "error" in e]
        if errors:
            warnings.append(f"The LLM failed {len(errors)} time(s) (first: {errors[0]}).")
        if not verification[SUMMARY_KEY]["passed"]:
            texts[SUMMARY_KEY] = patient_summary(facts)
            sources[SUMMARY_KEY] = "grounded-fallback"
        return {"sections": {k: texts[k] for k in SECTION_KEYS}, "patient_summary": texts[SUMMARY_KEY],
                "sources": sources, "warnings": warnings, "verification": verification}

    # ------------------------------------------------------------------ graph
    def _build(self, *, stop_after_draft: bool = False):
        """The graph; ``stop_after_draft`` ends after the first answer (what a writer without the verifier gives)."""
        g = StateGraph(WritingState)
        for name in ("draft", "model", "refresh", "collect"):
            g.add_node(name, getattr(self, name))
        g.add_node("tools", self.tool_node)
        g.add_edge(START, "draft")
        g.add_conditional_edges("model", self.route_after_model, {"tools": "tools", "collect": "collect"})
        g.add_edge("tools", "refresh")
        g.add_edge("refresh", "model")
        if stop_after_draft:
            g.add_conditional_edges("draft", self._after_compose, {"model": "model", "verify": END})
            g.add_edge("collect", END)
            return g.compile()
        for name in ("verify", "revise", "finalize"):
            g.add_node(name, getattr(self, name))
        to_text = {"model": "model", "verify": "verify"}
        g.add_conditional_edges("draft", self._after_compose, to_text)
        g.add_conditional_edges("revise", self._after_compose, to_text)
        g.add_edge("collect", "verify")
        g.add_conditional_edges("verify", self.route_after_verify, {"revise": "revise", "finalize": "finalize"})
        g.add_edge("finalize", END)
        return g.compile()

    def _after_compose(self, state: WritingState) -> str:
        return "model" if self.llm is not None and self.opt.drafting != "structured" else "verify"

    def run(self, facts: dict[str, Any], *, figures: list[str] | None = None,
            warnings: list[str] | None = None, stop_after_draft: bool = False) -> WritingState:
        """Write from ``facts``; ``stop_after_draft``: the model's first answer, unverified (evals)."""
        state: WritingState = {"facts": facts, "figures": list(figures or []), "warnings": list(warnings or [])}
        limit = (self.opt.max_revisions + 1) * (3 * self.opt.max_tool_rounds + 6) + 10
        graph = self._build(stop_after_draft=True) if stop_after_draft else self.graph
        # max_concurrency 1: ToolNode would run one reply's calls in threads; the tools share one network
        return graph.invoke(state, {"recursion_limit": limit, "max_concurrency": 1})
