"""`medbrain chat`: a tool-calling agent over one case, with memory that survives restarts.

The conversation lives in a LangGraph SQLite checkpointer under a session name; the loaded
case path is kept in a small table of the same database, so a restarted session reloads it. Slash commands work
without an LLM: /load CASE, /facts [section], /report, /help, /quit.

Every answer goes through the report verifier: an answer that passes is shown, one with
unsupported sentences loses them (and says which), and one with nothing left that passes is
replaced by the deterministic answer from the facts (:mod:`medbrain.agent.chat_router`). With
``--llm none`` questions about size, side, location, lesions, confidence, sequences, methods,
where to start the review and how it was measured are answered from the facts directly.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Callable, Iterator

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage, SystemMessage, ToolMessage
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages
from langgraph.prebuilt import ToolNode, tools_condition
from typing_extensions import TypedDict

from medbrain.agent.chat_router import answer as routed_answer, route
from medbrain.agent.verifier import verify_text
from medbrain.errors import MedBrainError
from medbrain.prompts import load_prompt
from medbrain.tools.paths import AllowedRoots
from medbrain.pipeline.registry import build_tools
from medbrain.pipeline.workspace import CaseWorkspace

HELP = """Ask about size, side, location, lesions, confidence, sequences, methods, where to start the review,
or how it was measured: answers come from the tool facts and are checked by the verifier.
Commands:
  /load CASE        load a case (under an allowed data root)
  /facts [SECTION]  show the facts the tools established (case, measurements, confidence, ...)
  /analyse          segment, measure, explain and assess confidence (no LLM needed)
  /report [DIR]     write the four-part report for the loaded case (grounded writer)
  /help             this help
  /quit             leave (the conversation is kept under its session name)"""


class ChatState(TypedDict, total=False):
    messages: Annotated[list[BaseMessage], add_messages]


@dataclass
class ChatEvent:
    """What the terminal shows: streamed text, a tool call, a tool result, or a notice."""

    kind: str  # "token" | "tool_call" | "tool_result" | "notice" | "error"
    text: str
    data: dict[str, Any] = field(default_factory=dict)


def open_checkpointer(db_path: str | Path):
    """A SqliteSaver on ``db_path`` (created if needed)."""
    from langgraph.checkpoint.sqlite import SqliteSaver

    db_path = Path(db_path).expanduser()
    db_path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(db_path), check_same_thread=False)
    conn.execute("CREATE TABLE IF NOT EXISTS medbrain_sessions (name TEXT PRIMARY KEY, case_path TEXT)")
    conn.commit()
    return SqliteSaver(conn)


class ChatSession:
    """One named conversation over a workspace; ``handle(line)`` yields events to show."""

    def __init__(self, workspace: CaseWorkspace, roots: AllowedRoots, llm: BaseChatModel | None, *,
                 checkpointer, session: str = "default",
                 report: Callable[[Path | None], Path] | None = None):
        self.ws = workspace
        self.roots = roots
        self.llm = llm
        self.session = session
        self.report = report
        self.tools = build_tools(workspace, roots)
        self.config = {"configurable": {"thread_id": session}, "recursion_limit": 30}
        self.checkpointer = checkpointer
        self.graph = self._build(checkpointer)
        self._restore_case()

    def _build(self, checkpointer):
        g = StateGraph(ChatState)
        system = SystemMessage(load_prompt("chat_system"))
        bound = self.llm.bind_tools(self.tools) if self.llm is not None else None

        def agent(state: ChatState) -> dict:
            if bound is None:
                return {}
            return {"messages": [bound.invoke([system, *state["messages"]])]}

        g.add_node("agent", agent)
        g.add_node("tools", ToolNode(self.tools))
        g.add_edge(START, "agent")
        g.add_conditional_edges("agent", tools_condition, {"tools": "tools", END: END})
        g.add_edge("tools", "agent")
        return g.compile(checkpointer=checkpointer)

    # ------------------------------------------------------------------ state
    def history(self) -> list[BaseMessage]:
        return list(self.graph.get_state(self.config).values.get("messages", []))

    def _restore_case(self) -> None:
        row = self.checkpointer.conn.execute(
            "SELECT case_path FROM medbrain_sessions WHERE name = ?", (self.session,)).fetchone()
        path = row[0] if row else None
        if path:
            try:
                self.ws.load(self.roots.check(path))
            except MedBrainError:
                pass  # the case moved or is no longer allowed; the user can /load again

    def _remember_case(self, path: Path) -> None:
        """Keep the loaded case with the session (beside the checkpointer's tables)."""
        conn = self.checkpointer.conn
        conn.execute("INSERT OR REPLACE INTO medbrain_sessions (name, case_path) VALUES (?, ?)",
                     (self.session, str(path)))
        conn.commit()

    # ------------------------------------------------------------------ input
    def handle(self, line: str) -> Iterator[ChatEvent]:
        line = line.strip()
        if not line:
            return
        if line.startswith("/"):
            yield from self._command(line)
            return
        if self.llm is None:
            yield from self._answer_from_facts(line)
            return
        yield from self._ask(line)

    def _answer_from_facts(self, question: str, why: str = "") -> Iterator[ChatEvent]:
        """The deterministic answer (no LLM): topic by the question's words, text from the facts."""
        if self.ws.case is None:
            yield ChatEvent("notice", "No case loaded: /load CASE first. Without an LLM I answer questions about "
                                      "size, side, location, lesions, confidence, sequences, methods, where to start "
                                      "the review and how it was measured.\n" + HELP)
            return
        if "measurements" not in self.ws.facts or "confidence" not in self.ws.facts:
            yield ChatEvent("notice", "Analysing the case first (segment, measure, explain, confidence)...")
            try:
                self.ws.analyse()
            except MedBrainError as exc:
                yield ChatEvent("error", f"The analysis failed: {exc}")
                return
        routed = routed_answer(route(question), self.ws.facts)
        yield ChatEvent("token", routed.text, {"topics": routed.topics})
        yield ChatEvent("notice", (why + " " if why else "") + "Answered from the tool facts: "
                        + (", ".join(routed.sources) or "no fact needed"), {"sources": routed.sources})

    def _ask(self, text: str) -> Iterator[ChatEvent]:
        """Run the agent; show its tool calls, then only the part of its answer the verifier supports."""
        seen_calls: set[str] = set()
        parts: list[str] = []
        for chunk, _meta in self.graph.stream({"messages": [HumanMessage(content=text)]}, self.config,
                                               stream_mode="messages"):
            if isinstance(chunk, ToolMessage):
                parts.clear()  # text before a tool call was thinking aloud; the answer comes after
                yield ChatEvent("tool_result", f"{chunk.name}: {str(chunk.content)[:200]}")
            elif isinstance(chunk, (AIMessageChunk, AIMessage)):
                for call in getattr(chunk, "tool_calls", None) or []:
                    key = call.get("id") or call.get("name")
                    if call.get("name") and key not in seen_calls:
                        seen_calls.add(key)
                        yield ChatEvent("tool_call", f"{call['name']}({json.dumps(call.get('args') or {})})", call)
                if isinstance(chunk.content, str) and chunk.content:
                    parts.append(chunk.content)
        if self.ws.case_path:
            self._remember_case(self.ws.case_path)  # the model may have loaded a case through a tool
        yield from self._verified("".join(parts).strip(), text)

    def _verified(self, reply: str, question: str) -> Iterator[ChatEvent]:
        """The model's answer through the report verifier: kept, pruned, or replaced by the facts."""
        result = verify_text(reply, self.ws.facts) if reply else None
        if result is not None and result.passed:
            yield ChatEvent("token", reply)
            yield ChatEvent("notice", f"Verified against the tool facts ({len(result.claims)} claims).",
                            {"verdict": "passed"})
            return
        if result is not None and result.status == "unverified":
            yield ChatEvent("token", reply)
            yield ChatEvent("notice", "No checkable claim in this answer.", {"verdict": "unverified"})
            return
        kept = result.supported_text() if result is not None else ""
        if kept and verify_text(kept, self.ws.facts).passed:
            yield ChatEvent("token", kept)
            removed = [s.text for s in result.sentences if s.verdict == "unsupported"]
            yield ChatEvent("notice", f"Removed {len(removed)} sentence(s) the tool facts do not support: "
                            + " | ".join(removed)[:400], {"verdict": "pruned", "removed": removed})
            return
        yield from self._answer_from_facts(question, why="The model's answer did not pass verification.")

    def _command(self, line: str) -> Iterator[ChatEvent]:
        cmd, _, arg = line.partition(" ")
        arg = arg.strip()
        try:
            if cmd == "/help":
                yield ChatEvent("notice", HELP)
            elif cmd == "/quit":
                yield ChatEvent("notice", f"Session {self.session!r} saved.", {"quit": True})
            elif cmd == "/load":
                if not arg:
                    raise MedBrainError("Usage: /load CASE")
                path = self.roots.check(arg)
                facts = self.ws.load(path)
                self._remember_case(path)
                yield ChatEvent("notice", f"Loaded {facts['case_id']} {tuple(facts['shape'])}.")
                for warning in self.ws.case.warnings:  # e.g. the sequences missing and what that costs
                    yield ChatEvent("notice", f"Warning: {warning}")
            elif cmd == "/facts":
                facts = self.ws.facts if not arg else self.ws.facts.get(arg, {})
                yield ChatEvent("notice", json.dumps(facts, indent=1, default=str)[:4000])
            elif cmd == "/analyse":
                self._need_case()
                facts = self.ws.analyse()
                vol = facts["measurements"]["volumes_ml"]
                yield ChatEvent("notice", f"WT {vol['WT']} mL, side {facts['measurements']['side']['side']}, "
                                          f"confidence {facts['confidence']['level']}.")
            elif cmd == "/report":
                self._need_case()
                if self.report is None:
                    raise MedBrainError("Reports are not available in this session.")
                out = self.report(Path(arg) if arg else None)
                yield ChatEvent("notice", f"Report written to {out}")
            else:
                yield ChatEvent("error", f"Unknown command {cmd!r}.\n{HELP}")
        except MedBrainError as exc:
            yield ChatEvent("error", str(exc))

    def _need_case(self) -> None:
        if self.ws.case is None:
            raise MedBrainError("No case loaded: /load CASE first.")
