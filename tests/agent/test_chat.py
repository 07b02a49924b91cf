"""Chat: memory survives a restart, tools are called, paths outside the roots are refused."""

from __future__ import annotations

from langchain_core.messages import AIMessage, HumanMessage

from medbrain.agent.chat import ChatSession, open_checkpointer
from medbrain.agent.fake import ScriptedChatModel
from medbrain.tools.paths import AllowedRoots


def session(ws, roots, llm, db, name="s1"):
    return ChatSession(ws.fresh(), roots, llm, checkpointer=open_checkpointer(db), session=name)


def test_memory_survives_restart(analysed_workspace, data_root, tmp_path):
    db = tmp_path / "chat.sqlite"
    roots = AllowedRoots.of(data_root)
    first = session(analysed_workspace, roots, ScriptedChatModel(["The case is loaded."]), db)
    list(first.handle(f"/load {analysed_workspace.case_path}"))
    events = list(first.handle("Remember the word heliotrope."))
    assert "".join(e.text for e in events if e.kind == "token") == "The case is loaded."

    llm = ScriptedChatModel(["You said heliotrope."])
    second = session(analysed_workspace, roots, llm, db)  # a new process would do the same
    assert len(second.history()) == 2
    assert second.ws.case is not None, "the loaded case is restored with the conversation"
    list(second.handle("What word did I say?"))
    shown = [m.content for m in llm.calls[0] if isinstance(m, HumanMessage)]
    assert shown == ["Remember the word heliotrope.", "What word did I say?"]
    other = session(analysed_workspace, roots, ScriptedChatModel([]), db, name="another")
    assert other.history() == []


def test_tool_calls_are_shown_and_answered(analysed_workspace, data_root, tmp_path):
    call = AIMessage(content="", tool_calls=[{"name": "get_facts", "args": {"section": "case"}, "id": "t1"}])
    llm = ScriptedChatModel([call, "It is Brats18_2013_11_1."])
    chat = session(analysed_workspace, AllowedRoots.of(data_root), llm, tmp_path / "c.sqlite")
    list(chat.handle(f"/load {analysed_workspace.case_path}"))
    events = list(chat.handle("Which case is loaded?"))
    kinds = [e.kind for e in events]
    assert "tool_call" in kinds and "tool_result" in kinds
    assert any("Brats18_2013_11_1" in e.text for e in events if e.kind == "tool_result")


def test_path_outside_roots_is_refused(analysed_workspace, tmp_path):
    chat = session(analysed_workspace, AllowedRoots.of(tmp_path / "allowed"), None, tmp_path / "c.sqlite")
    events = list(chat.handle("/load /etc"))
    assert events[0].kind == "error" and "outside the allowed data roots" in events[0].text
    assert chat.ws.case is None


def test_without_llm_it_says_so_and_offers_commands(analysed_workspace, tmp_path):
    chat = session(analysed_workspace, AllowedRoots.of(tmp_path), None, tmp_path / "c.sqlite")
    events = list(chat.handle("How big is the tumour?"))
    assert "No LLM is configured" in events[0].text and "/load" in events[0].text
    assert list(chat.handle("/quit"))[0].data.get("quit")
