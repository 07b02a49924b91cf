"""The batch report graph (LangGraph).

load -> segment -> (measure || plan -> gradcam -> integrated_gradients -> slice -> attention
-> compare) -> confidence -> figure -> draft -> verify -> (revise -> verify)* -> finalize
-> render.

With an LLM, ``draft`` is structured by default (:mod:`medbrain.agent.drafting`): the model
returns JSON sentences that cite facts by ``{path}`` and code renders the values;
``drafting="free"`` keeps the older free-text draft (used by the evals of what LLMs write).
After the last revision, ``finalize`` removes each sentence the verifier rejected and keeps
the rest when it still passes (``llm-pruned``); only a section with nothing left that
passes falls back to the grounded writer.

Explanation nodes run one after another: they share one network and captum's hooks, so
threads would corrupt each other; measurement (numpy only) runs beside them. Without an
LLM, ``draft`` is the deterministic grounded writer. With one, drafting and revising are
tool-calling steps over the same tools; every fact they cite must then pass the
deterministic verifier, and sections that still fail after ``max_revisions`` are replaced
by the grounded writer's text and marked ``grounded-fallback``.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from pathlib import Path
from string import Template
from typing import Any, Callable

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.tools import BaseTool
from langgraph.graph import END, START, StateGraph

from medbrain.agent.drafting import RenderedDraft, parse_draft, reference_menu, menu_text, render_draft, response_format
from medbrain.agent.facts_view import compact_facts
from medbrain.agent.safety import safety_claims
from medbrain.agent.sections import parse_sections
from medbrain.agent.state import ReportState
from medbrain.agent.verifier import verify_text
from medbrain.agent.writer import SECTION_KEYS, grounded_sections, patient_summary
from medbrain.facts import FactCatalogue
from medbrain.prompts import load_prompt
from medbrain.pipeline.workspace import METHODS, CaseWorkspace

SUMMARY_KEY = "patient_summary"


@dataclass
class GraphOptions:
    region: str = "WT"
    methods: tuple[str, ...] = METHODS
    max_revisions: int = 2
    max_tool_rounds: int = 4
    attach_image: bool = False
    figure_dir: Path | None = None
    render: Callable[[ReportState], dict[str, Any]] | None = None
    facts_view: Callable[[dict[str, Any]], dict[str, Any]] | None = compact_facts  # None: full facts
    llm_log: list[dict[str, Any]] = field(default_factory=list)
    drafting: str = "structured"  # "structured" (JSON sentences citing facts) | "free" (markdown text)


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


def facts_block(facts: dict[str, Any]) -> str:
    """Facts as JSON that cannot close the <facts> delimiter (no raw '<' or '>')."""
    text = json.dumps(facts, indent=1, default=str)
    return text.replace("<", "\\u003c").replace(">", "\\u003e")


def _content_text(message: BaseMessage) -> str:
    content = message.content
    if isinstance(content, str):
        return content
    return "".join(part.get("text", "") if isinstance(part, dict) else str(part) for part in content)


class ReportAgent:
    """Builds and runs the report graph for one workspace."""

    def __init__(self, workspace: CaseWorkspace, tools: list[BaseTool], llm: BaseChatModel | None,
                 options: GraphOptions | None = None):
        self.ws = workspace
        self.tools = {t.name: t for t in tools}
        self.llm = llm
        self.bound = llm.bind_tools(tools) if llm is not None else None
        self.opt = options or GraphOptions()
        self.plan: tuple[str, int] | None = None
        self.graph = self._build()

    # ------------------------------------------------------------------ analysis nodes
    def load(self, state: ReportState) -> dict:
        self.ws.load(state["case_path"])  # no work when the caller loaded this case already
        return {"facts": {"case": self.ws.facts["case"]}, "revisions": 0, "warnings": []}

    def segment(self, state: ReportState) -> dict:
        return {"facts": {"segmentation": self.ws.segment()}}

    def measure(self, state: ReportState) -> dict:
        return {"facts": {"measurements": self.ws.measure()}}

    def plan_explanations(self, state: ReportState) -> dict:
        region = self.opt.region
        label = self.ws.prediction.label
        from medbrain.labels import region_masks

        if not region_masks(label)[region].any():
            self.plan = None
            return {"warnings": [f"No {region} was predicted: explanation methods were not run."]}
        self.plan = (region, self.ws.default_slice(region))
        return {}

    def _explain_node(self, method: str) -> Callable[[ReportState], dict]:
        def node(state: ReportState) -> dict:
            if self.plan is None or method not in self.opt.methods:
                return {}
            if method == "attention" and self.ws.model.bottleneck is None:
                return {}
            region, z = self.plan
            self.ws.explain(method, region, z)
            return {"facts": {"explanations": dict(self.ws.facts["explanations"])}}

        node.__name__ = method
        return node

    def compare(self, state: ReportState) -> dict:
        if self.plan is None or not self.ws.maps:
            return {}
        return {"facts": {"comparison": self.ws.compare()}}

    def confidence(self, state: ReportState) -> dict:
        return {"facts": {"confidence": self.ws.confidence()}}

    def figure(self, state: ReportState) -> dict:
        if not self.ws.maps or self.opt.figure_dir is None:
            return {"figures": []}
        region, z = self.ws.explained
        path = self.ws.montage(self.opt.figure_dir / f"{self.ws.case.case_id}_{region}_montage.png")
        return {"figures": [str(path)]}

    # ------------------------------------------------------------------ writing nodes
    def _tool_loop(self, messages: list[BaseMessage]) -> str:
        """Let the model call tools (bounded rounds), then return its final text."""
        for _ in range(self.opt.max_tool_rounds + 1):
            try:
                reply = self.bound.invoke(messages)
            except Exception as exc:  # endpoint down, context overflow, ...: the fallback covers it
                self.opt.llm_log.append({"error": f"{type(exc).__name__}: {exc}"[:300]})
                return ""
            messages.append(reply)
            self.opt.llm_log.append({"tool_calls": [c["name"] for c in getattr(reply, "tool_calls", []) or []],
                                     "chars": len(_content_text(reply))})
            calls = getattr(reply, "tool_calls", None) or []
            if not calls:
                return _content_text(reply)
            for call in calls:
                tool = self.tools.get(call["name"])
                result = tool.invoke(call.get("args") or {}) if tool else f"error: no tool named {call['name']!r}"
                messages.append(ToolMessage(content=str(result), tool_call_id=call.get("id") or call["name"]))
        return _content_text(messages[-1]) if isinstance(messages[-1], AIMessage) else ""

    def _task_message(self, state: ReportState) -> HumanMessage:
        facts = self.opt.facts_view(self.ws.facts) if self.opt.facts_view else self.ws.facts
        text = Template(load_prompt("report_task")).substitute(facts=facts_block(facts))
        figures = state.get("figures") or []
        if self.opt.attach_image and figures:
            data = base64.b64encode(Path(figures[0]).read_bytes()).decode()
            return HumanMessage(content=[{"type": "text", "text": text},
                                         {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{data}"}}])
        return HumanMessage(content=text)

    def _from_text(self, text: str, previous: dict[str, str] | None = None) -> tuple[dict[str, str], str]:
        parsed = parse_sections(text)
        sections = {k: parsed.get(k, "") for k in SECTION_KEYS}
        if previous:
            sections = {k: sections[k] or previous.get(k, "") for k in SECTION_KEYS}
        return sections, parsed.get(SUMMARY_KEY, "")

    def _structured(self, feedback: str | None, previous: str) -> dict:
        """Ask for JSON sentences citing facts by path; render them; log what survived rendering."""
        cat = FactCatalogue.from_facts(self.ws.facts)
        task = Template(load_prompt("report_draft")).substitute(menu=menu_text(reference_menu(cat)))
        messages: list[BaseMessage] = [SystemMessage(load_prompt("draft_system")), HumanMessage(content=task)]
        if feedback is not None:
            messages.append(AIMessage(content=previous))
            messages.append(HumanMessage(content=Template(load_prompt("draft_revise")).substitute(findings=feedback)))
        try:
            reply = self.llm.bind(response_format=response_format()).invoke(messages)
            raw = _content_text(reply)
            rendered: RenderedDraft | None = render_draft(parse_draft(raw), cat)
        except Exception as exc:  # endpoint down, invalid JSON, schema mismatch: the fallback covers it
            self.opt.llm_log.append({"error": f"{type(exc).__name__}: {exc}"[:300], "drafting": "structured"})
            return {"sections": {k: "" for k in SECTION_KEYS}, "patient_summary": "", "draft_text": "",
                    "draft_problems": []}
        self.opt.llm_log.append({"drafting": "structured", "chars": len(raw), "sentences": rendered.counts(),
                                 "dropped": rendered.problems()[:8], "excerpt": raw[:300]})
        return {"sections": {k: rendered.sections[k] for k in SECTION_KEYS},
                "patient_summary": rendered.sections["patient_summary"], "draft_text": raw,
                "draft_problems": rendered.problems()}

    def draft(self, state: ReportState) -> dict:
        self.ws.log.step("drafting")
        facts = self.ws.facts
        if self.llm is None:
            return {"sections": grounded_sections(facts), "patient_summary": patient_summary(facts),
                    "sources": {k: "grounded" for k in SECTION_KEYS}, "draft_text": ""}
        if self.opt.drafting == "structured":
            return {**self._structured(None, ""), "sources": {k: "llm" for k in SECTION_KEYS},
                    "facts": dict(self.ws.facts)}
        messages: list[BaseMessage] = [SystemMessage(load_prompt("report_system")), self._task_message(state)]
        text = self._tool_loop(messages)
        sections, summary = self._from_text(text)
        return {"sections": sections, "patient_summary": summary, "draft_text": text,
                "sources": {k: "llm" for k in SECTION_KEYS}, "facts": dict(self.ws.facts)}

    def verify(self, state: ReportState) -> dict:
        self.ws.log.step("verifying")
        facts = self.ws.facts
        sections = state.get("sections") or {}
        results = {key: verify_section(state.get("patient_summary", "") if key == SUMMARY_KEY
                                       else sections.get(key, ""), facts, key)
                   for key in (*SECTION_KEYS, SUMMARY_KEY)}
        return {"verification": results}

    def route_after_verify(self, state: ReportState) -> str:
        failed = [k for k, v in state["verification"].items() if not v["passed"]]
        if not failed or self.llm is None:
            return "finalize"
        return "revise" if state.get("revisions", 0) < self.opt.max_revisions else "finalize"

    def revise(self, state: ReportState) -> dict:
        self.ws.log.step("revising")
        findings = []
        for key, result in state["verification"].items():
            for claim in result["unsupported"]:
                findings.append(f"- [{key}] {claim['text']!r}: {claim['reason']}")
        if self.opt.drafting == "structured":
            findings += [f"- {p}" for p in state.get("draft_problems") or []]
            out = self._structured("\n".join(findings), state.get("draft_text", ""))
            previous = state.get("sections") or {}
            out["sections"] = {k: out["sections"][k] or previous.get(k, "") for k in SECTION_KEYS}
            out["patient_summary"] = out["patient_summary"] or state.get("patient_summary", "")
            return {**out, "revisions": state.get("revisions", 0) + 1, "facts": dict(self.ws.facts)}
        prompt = Template(load_prompt("report_revise")).substitute(
            findings="\n".join(findings), draft=state.get("draft_text", "").replace("</draft>", ""))
        messages: list[BaseMessage] = [SystemMessage(load_prompt("report_system")), self._task_message(state),
                                       HumanMessage(content=prompt)]
        text = self._tool_loop(messages)
        sections, summary = self._from_text(text, previous=state.get("sections"))
        return {"sections": sections, "patient_summary": summary or state.get("patient_summary", ""),
                "draft_text": text, "revisions": state.get("revisions", 0) + 1, "facts": dict(self.ws.facts)}

    def finalize(self, state: ReportState) -> dict:
        facts = self.ws.facts
        sections = dict(state.get("sections") or {})
        sources = dict(state.get("sources") or {})
        grounded = grounded_sections(facts)
        warnings = list(state.get("warnings") or [])
        verification = dict(state["verification"])
        for key in (*SECTION_KEYS, SUMMARY_KEY):
            text = state.get("patient_summary", "") if key == SUMMARY_KEY else sections.get(key, "")
            if verification[key]["passed"] or self.llm is None:
                continue
            pruned = prune_unsupported(text, verification[key], facts)
            if pruned is None:
                continue
            kept, verification[key] = pruned
            if key == SUMMARY_KEY:
                state = {**state, "patient_summary": kept}
                sources[SUMMARY_KEY] = "llm-pruned"
            else:
                sections[key] = kept
                sources[key] = "llm-pruned"
            warnings.append(f"Section {key!r}: {len(verification[key]['removed'])} sentence(s) the verifier "
                            "rejected were removed; the rest passed.")
        for key in SECTION_KEYS:
            if not verification[key]["passed"]:
                sections[key] = grounded[key]
                sources[key] = "grounded-fallback"
                warnings.append(f"Section {key!r} failed verification after {state.get('revisions', 0)} "
                                "revision(s) and was replaced by the grounded writer.")
        errors = [e["error"] for e in self.opt.llm_log if "error" in e]
        if errors:
            warnings.append(f"The LLM failed {len(errors)} time(s) (first: {errors[0]}).")
        summary = state.get("patient_summary", "")
        if not verification[SUMMARY_KEY]["passed"]:
            summary = patient_summary(facts)
            sources[SUMMARY_KEY] = "grounded-fallback"
        return {"sections": sections, "sources": sources, "patient_summary": summary, "warnings": warnings,
                "facts": dict(facts), "verification": verification}

    def render(self, state: ReportState) -> dict:
        self.ws.log.step("writing files")
        return self.opt.render(state) if self.opt.render else {}

    # ------------------------------------------------------------------ graph
    def _build(self):
        g = StateGraph(ReportState)
        explain_nodes = [f"explain_{m}" for m in METHODS]
        for name, fn in [("load", self.load), ("segment", self.segment), ("measure", self.measure),
                         ("plan_explanations", self.plan_explanations), ("compare", self.compare),
                         ("confidence", self.confidence), ("figure", self.figure), ("draft", self.draft),
                         ("verify", self.verify), ("revise", self.revise), ("finalize", self.finalize),
                         ("render", self.render)]:
            g.add_node(name, fn)
        for method, node in zip(METHODS, explain_nodes):
            g.add_node(node, self._explain_node(method))
        g.add_edge(START, "load")
        g.add_edge("load", "segment")
        g.add_edge("segment", "measure")
        g.add_edge("segment", "plan_explanations")
        chain = ["plan_explanations", *explain_nodes, "compare"]
        for a, b in zip(chain, chain[1:]):
            g.add_edge(a, b)
        g.add_edge(["measure", "compare"], "confidence")
        g.add_edge("confidence", "figure")
        g.add_edge("figure", "draft")
        g.add_edge("draft", "verify")
        g.add_conditional_edges("verify", self.route_after_verify, {"revise": "revise", "finalize": "finalize"})
        g.add_edge("revise", "verify")
        g.add_edge("finalize", "render")
        g.add_edge("render", END)
        return g.compile()

    def run(self, case_path: str | Path) -> ReportState:
        return self.graph.invoke({"case_path": str(case_path)}, {"recursion_limit": 60})
