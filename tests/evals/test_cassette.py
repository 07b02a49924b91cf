"""Record/replay chat model: keyed by the prompt, offline, repeatable."""

from __future__ import annotations

import json

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

from medbrain.agent.fake import ScriptedChatModel
from medbrain.evals.cassette import (
    CassetteChatModel,
    CassetteMissError,
    RecordedError,
    messages_key,
    prompt_fingerprint,
)

PROMPT = [SystemMessage("You write reports."), HumanMessage("Facts: WT 81.79 mL.")]


def test_key_depends_on_every_message():
    assert messages_key(PROMPT) == messages_key(list(PROMPT))
    assert messages_key(PROMPT) != messages_key([PROMPT[0], HumanMessage("Facts: WT 81.80 mL.")])
    assert messages_key(PROMPT) != messages_key([HumanMessage("You write reports."), PROMPT[1]])


def test_record_then_replay(tmp_path):
    path = tmp_path / "c.json"
    usage = {"input_tokens": 12, "output_tokens": 5, "total_tokens": 17}
    inner = ScriptedChatModel([AIMessage(content="The tumour is 81.79 mL.", usage_metadata=usage)])
    recorder = CassetteChatModel(path, mode="record", inner=inner, description={"backend": "scripted"})
    first = recorder.invoke(PROMPT)
    assert first.content == "The tumour is 81.79 mL." and len(inner.calls) == 1
    data = json.loads(path.read_text())
    assert data["prompt_fingerprint"] == prompt_fingerprint() and len(data["entries"]) == 1
    assert data["model"] == {"backend": "scripted"}

    player = CassetteChatModel(path, mode="replay")
    again = player.invoke(PROMPT)
    assert again.content == first.content and again.usage_metadata["output_tokens"] == 5
    assert again.response_metadata["cassette"]["key"] == messages_key(PROMPT)
    assert again.response_metadata["cassette"]["seconds"] is not None
    assert player.hits == 1 and not player.is_stale()


def test_replay_miss_says_how_to_rerecord(tmp_path):
    path = tmp_path / "c.json"
    CassetteChatModel(path, mode="record", inner=ScriptedChatModel(["x"])).invoke(PROMPT)
    with pytest.raises(CassetteMissError, match="re-record"):
        CassetteChatModel(path, mode="replay").invoke([HumanMessage("another prompt")])


def test_missing_cassette_file_is_a_clear_error(tmp_path):
    with pytest.raises(CassetteMissError, match="does not exist"):
        CassetteChatModel(tmp_path / "nope.json", mode="replay")


def test_auto_mode_records_only_misses(tmp_path):
    path = tmp_path / "c.json"
    inner = ScriptedChatModel(["one", "two"])
    model = CassetteChatModel(path, mode="auto", inner=inner)
    assert model.invoke(PROMPT).content == "one"
    assert model.invoke(PROMPT).content == "one"  # replayed, inner not asked
    assert model.invoke([HumanMessage("b")]).content == "two"
    assert len(inner.calls) == 2 and model.hits == 1 and model.misses == 2


def test_bind_tools_shares_the_tape(tmp_path):
    path = tmp_path / "c.json"
    model = CassetteChatModel(path, mode="auto", inner=ScriptedChatModel(["a"]))
    bound = model.bind_tools([])
    assert bound.invoke(PROMPT).content == "a"
    assert model.entries and CassetteChatModel(path, mode="replay").invoke(PROMPT).content == "a"


def test_a_rejected_request_is_recorded_and_replayed(tmp_path):
    def too_long(messages):
        raise ValueError("request (8803 tokens) exceeds the available context size (8192 tokens)")

    path = tmp_path / "c.json"
    with pytest.raises(ValueError, match="exceeds"):
        CassetteChatModel(path, mode="auto", inner=ScriptedChatModel([too_long])).invoke(PROMPT)
    with pytest.raises(RecordedError, match=r"\(recorded\) ValueError: request \(8803 tokens\) exceeds"):
        CassetteChatModel(path, mode="replay").invoke(PROMPT)
