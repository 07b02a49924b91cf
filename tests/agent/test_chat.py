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


def test_without_llm_and_without_a_case_it_says_what_it_can_answer(analysed_workspace, tmp_path):
    chat = session(analysed_workspace, AllowedRoots.of(tmp_path), None, tmp_path / "c.sqlite")
    events = list(chat.handle("How big is the tumour?"))
    assert "No case loaded" in events[0].text and "/load" in events[0].text and "side" in events[0].text
    assert list(chat.handle("/quit"))[0].data.get("quit")


# --------------------------------------------------------------------------- answers a clinician can rely on
QUESTIONS = {  # question -> (topic, a value the answer must contain)
    "How big is the tumour?": "size",
    "What is the tumour volume in mL?": "size",
    "Which side is it on?": "side",
    "Does it cross the midline?": "side",
    "Where is it located, which lobe?": "location",
    "How many lesions are there?": "lesions",
    "How confident is the model?": "confidence",
    "Which sequence drove the prediction?": "sequence",
    "Do the explanation methods agree?": "methods",
    "Where should I start the review?": "review",
    "How was the volume measured?": "how_measured",
    "Give me a summary of the findings.": "overview",
}


def _analysed_session(ws, tmp_path, llm, name):
    """A chat on the already analysed workspace (no re-analysis)."""
    return ChatSession(ws, AllowedRoots.of(tmp_path), llm, checkpointer=open_checkpointer(tmp_path / "c.sqlite"), session=name)


def _answer_events(chat, question):
    events = list(chat.handle(question))
    text = "".join(e.text for e in events if e.kind == "token")
    notes = [e for e in events if e.kind == "notice"]
    return text, notes


def test_without_llm_common_questions_are_answered_from_the_facts(analysed_workspace, tmp_path):
    from medbrain.agent.verifier import verify_text

    chat = _analysed_session(analysed_workspace, tmp_path, None, "router")
    facts = analysed_workspace.facts
    expected = {"size": f"{facts['measurements']['volumes_ml']['WT']:g} mL",
                "side": facts["measurements"]["side"]["side"] if facts["measurements"]["side"]["side"] != "bilateral"
                else "both hemispheres",
                "lesions": "lesion", "confidence": f"Overall confidence is {facts['confidence']['level']}",
                "review": f"slice {facts['measurements']['largest_axial_slice']['slice_index']}",
                "how_measured": "voxel volume", "overview": f"{facts['measurements']['volumes_ml']['WT']:g} mL"}
    correct = 0
    for question, topic in QUESTIONS.items():
        text, notes = _answer_events(chat, question)
        assert text.strip(), question
        result = verify_text(text, facts)
        assert result.status != "failed", (question, result.findings())
        assert "Answered from the tool facts" in notes[-1].text
        if topic in expected:
            assert expected[topic] in text, (question, text)
        correct += 1
    assert correct == len(QUESTIONS)


def test_llm_answer_loses_the_sentence_the_facts_do_not_support(analysed_workspace, tmp_path):
    wt = analysed_workspace.facts["measurements"]["volumes_ml"]["WT"]
    llm = ScriptedChatModel([f"The whole tumour measures {wt:g} mL. It has grown since the previous scan."])
    chat = _analysed_session(analysed_workspace, tmp_path, llm, "prune")
    text, notes = _answer_events(chat, "How big is it?")
    assert f"{wt:g} mL" in text and "previous scan" not in text
    assert notes[-1].data["verdict"] == "pruned" and "previous scan" in notes[-1].text


def test_llm_answer_that_fails_is_replaced_by_the_facts(analysed_workspace, tmp_path):
    wt = analysed_workspace.facts["measurements"]["volumes_ml"]["WT"]
    llm = ScriptedChatModel([f"The whole tumour measures {wt * 3:.1f} mL and it is a glioblastoma."])
    chat = _analysed_session(analysed_workspace, tmp_path, llm, "replace")
    text, notes = _answer_events(chat, "How big is the tumour?")
    assert "glioblastoma" not in text and f"{wt:g} mL" in text
    assert "did not pass verification" in notes[-1].text
