"""The writing graph on stored facts: no workspace, no case, state only in the graph."""

from __future__ import annotations

import subprocess
import sys

from langchain_core.messages import AIMessage, ToolMessage
from langchain_core.tools import tool

from medbrain.agent.fake import ScriptedChatModel
from medbrain.agent.writer import SECTION_KEYS, SUMMARY_KEY, grounded_sections, patient_summary
from medbrain.agent.writing_graph import WritingGraph, WritingOptions
from medbrain.report.document import SECTION_TITLES
from tests.agent.facts_fixture import sample_facts


def as_text(sections: dict[str, str], summary: str) -> str:
    body = "\n\n".join(f"## {SECTION_TITLES[k]}\n{sections[k]}" for k in SECTION_KEYS)
    return f"{body}\n\n## Patient summary\n{summary}"


def good_text(facts: dict) -> str:
    return as_text(grounded_sections(facts), patient_summary(facts))


def free(**kw) -> WritingOptions:
    return WritingOptions(drafting="free", **kw)


def test_without_an_llm_the_grounded_writer_writes_and_every_section_passes():
    facts = sample_facts()
    state = WritingGraph(None).run(facts)
    assert state["sources"] == {k: "grounded" for k in SECTION_KEYS}
    assert all(state["verification"][k]["passed"] for k in (*SECTION_KEYS, SUMMARY_KEY))
    assert state["sections"] == grounded_sections(facts)
    assert "llm_calls" not in state or state["llm_calls"] == []


def test_free_draft_is_verified_and_the_calls_are_logged_in_the_state():
    facts = sample_facts()
    llm = ScriptedChatModel([good_text(facts)])
    state = WritingGraph(llm, [], free()).run(facts)
    assert state["sources"] == {k: "llm" for k in SECTION_KEYS}
    assert state["revisions"] == 0
    assert state["llm_calls"] == [{"tool_calls": [], "chars": len(good_text(facts))}]
    assert llm.bound_tools == []  # no tools: an empty tool list is never bound


def test_a_wrong_number_is_revised_in_a_fresh_conversation():
    facts = sample_facts()
    sections = grounded_sections(facts)
    bad = as_text({**sections, "clinical_assessment": "The whole tumour measures 99.9 mL."}, patient_summary(facts))
    llm = ScriptedChatModel([bad, good_text(facts)])
    state = WritingGraph(llm, [], free()).run(facts)
    assert state["revisions"] == 1 and state["sources"]["clinical_assessment"] == "llm"
    assert len(llm.calls) == 2
    revise_prompt = str(llm.calls[1][-1].content)
    assert "99.9" in revise_prompt and len(llm.calls[1]) == 3  # system, task, revision request: no old turns


def test_unknown_tool_gets_the_tool_nodes_error_and_the_model_goes_on():
    facts = sample_facts()
    call = AIMessage(content="", tool_calls=[{"name": "run_mri", "args": {}, "id": "c1"}])
    llm = ScriptedChatModel([call, good_text(facts)])
    state = WritingGraph(llm, [], free()).run(facts)
    tool_msgs = [m for m in llm.calls[1] if isinstance(m, ToolMessage)]
    assert tool_msgs and "run_mri is not a valid tool" in tool_msgs[0].content
    assert state["sources"]["confidence"] == "llm"


def test_tools_may_add_facts_and_the_state_reads_them_back():
    facts = sample_facts()
    store = {"facts": dict(facts)}

    @tool
    def add_note(note: str) -> str:
        """Add a note to the facts."""
        store["facts"] = {**store["facts"], "note": note}
        return "added"

    call = AIMessage(content="", tool_calls=[{"name": "add_note", "args": {"note": "x"}, "id": "c1"}])
    llm = ScriptedChatModel([call, good_text(facts)])
    state = WritingGraph(llm, [add_note], free(refresh_facts=lambda: store["facts"])).run(facts)
    assert llm.bound_tools == ["add_note"]
    assert state["facts"]["note"] == "x"


def test_a_model_that_only_calls_tools_is_stopped_and_replaced_by_the_grounded_writer():
    facts = sample_facts()
    calls = [AIMessage(content="", tool_calls=[{"name": "run_mri", "args": {}, "id": f"c{i}"}]) for i in range(30)]
    llm = ScriptedChatModel(calls)
    state = WritingGraph(llm, [], free(max_tool_rounds=2, max_revisions=1)).run(facts)
    assert len(llm.calls) == 2 * 3  # (draft + one revision) x (max_tool_rounds + 1) rounds
    assert set(state["sources"].values()) == {"grounded-fallback"}


def test_a_failing_endpoint_is_logged_and_falls_back():
    facts = sample_facts()

    def boom(messages):
        raise ConnectionError("endpoint down")

    state = WritingGraph(ScriptedChatModel([boom] * 5), [], free(max_revisions=0)).run(facts)
    assert [e["error"] for e in state["llm_calls"]] == ["ConnectionError: endpoint down"]
    assert any("The LLM failed 1 time" in w for w in state["warnings"])
    assert state["sources"]["clinical_assessment"] == "grounded-fallback"


def test_stop_after_draft_returns_the_raw_answer_unverified():
    facts = sample_facts()
    state = WritingGraph(ScriptedChatModel(["no headings at all"]), [], free()).run(facts, stop_after_draft=True)
    assert state["draft_text"] == "no headings at all" and "verification" not in state


def test_the_writing_graph_needs_no_torch():
    code = ("import sys; import medbrain.agent.writing_graph, medbrain.evals.writers; "
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_history_sits_after_the_system_message_of_draft_and_revision():
    from langchain_core.messages import AIMessage as AI, HumanMessage, SystemMessage

    facts = sample_facts()
    sections = grounded_sections(facts)
    bad = as_text({**sections, "clinical_assessment": "The whole tumour measures 99.9 mL."}, patient_summary(facts))
    llm = ScriptedChatModel([bad, good_text(facts)])
    history = [HumanMessage(content="earlier question"), AI(content="earlier answer")]
    WritingGraph(llm, [], free(history=history)).run(facts)
    for call, n in zip(llm.calls, (4, 5)):  # system, history x2, task (+ the revision request)
        assert isinstance(call[0], SystemMessage) and [m.content for m in call[1:3]] == ["earlier question",
                                                                                         "earlier answer"]
        assert len(call) == n and "<facts>" in str(call[3].content)
