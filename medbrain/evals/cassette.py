"""Recorded LLM responses ("cassettes") so evals run offline and repeatably.

``CassetteChatModel(path, mode="replay")`` answers each prompt with the response recorded
for it; ``CassetteChatModel(path, mode="record", inner=model)`` asks ``inner`` and stores
the answer (``mode="auto"`` replays what it has and records the rest). Responses are keyed
by a SHA-256 of the prompt messages (type, text, tool calls), so a changed prompt
template, fact or draft is a miss, never a wrong answer. A miss in replay mode raises
:class:`CassetteMissError` that says how to re-record.

A cassette is one JSON file (``medbrain/evals/cassettes/*.json``)::

    {"format_version": 1, "model": {...backend description...},
     "prompt_fingerprint": "<sha256 of the report prompt templates>",
     "entries": {"<key>": {"seconds": 4.2, "prompt_tail": "...", "response": {
         "content": "...", "tool_calls": [], "usage_metadata": {...}, "response_metadata": {...}}}}}

A request the backend rejected is recorded as ``{"error": "..."}`` and replayed as
:class:`RecordedError`, so a failure (e.g. a prompt longer than the model's context)
reproduces offline too; ``mode="record"`` asks again.

Replayed messages carry ``response_metadata["cassette"] = {"key", "seconds"}`` so the
runner can report the recorded generation time as latency.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from pathlib import Path
from typing import Any, Literal, Sequence

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable
from pydantic import ConfigDict, Field, PrivateAttr

from medbrain.errors import MedBrainError
from medbrain.io import atomic_write_text

CASSETTES = Path(__file__).parent / "cassettes"
PROMPT_NAMES = ("report_system", "report_task", "report_revise")
Mode = Literal["replay", "record", "auto"]


class CassetteMissError(MedBrainError):
    """A replayed cassette has no response for a prompt."""


class RecordedError(RuntimeError):
    """The backend failed on this prompt when the cassette was recorded (e.g. context too long)."""


def _message_text(message: BaseMessage) -> str:
    content = message.content
    if isinstance(content, str):
        return content
    return "".join(part.get("text", "") if isinstance(part, dict) else str(part) for part in content)


def messages_key(messages: Sequence[BaseMessage]) -> str:
    """SHA-256 of the prompt: each message's type, text and tool calls (names + args)."""
    canon = []
    for m in messages:
        entry: dict[str, Any] = {"type": m.type, "text": _message_text(m)}
        calls = getattr(m, "tool_calls", None)
        if calls:
            entry["tool_calls"] = [{"name": c["name"], "args": c.get("args")} for c in calls]
        canon.append(entry)
    blob = json.dumps(canon, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def facts_fingerprint(facts: dict[str, Any]) -> str:
    """SHA-256 of an item's facts (canonical JSON)."""
    blob = json.dumps(facts, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def prompt_fingerprint() -> str:
    """SHA-256 of the report prompt templates: a cassette recorded under other prompts is stale."""
    from medbrain.prompts import load_prompt

    digest = hashlib.sha256()
    for name in PROMPT_NAMES:
        digest.update(name.encode() + b"\0" + load_prompt(name).encode("utf-8") + b"\0")
    return digest.hexdigest()


def resolve_cassette(name_or_path: str | Path) -> Path:
    """A cassette by name (``medbrain/evals/cassettes/<name>.json``) or path."""
    p = Path(name_or_path)
    if p.suffix == ".json" or p.parent != Path("."):
        return p
    return CASSETTES / f"{p.name}.json"


def _response_dict(message: AIMessage) -> dict[str, Any]:
    meta = {k: v for k, v in (message.response_metadata or {}).items()
            if k in ("model_name", "finish_reason", "system_fingerprint")}
    return {"content": _message_text(message),
            "tool_calls": [{"name": c["name"], "args": c.get("args", {}), "id": c.get("id")} for c in message.tool_calls],
            "usage_metadata": dict(message.usage_metadata) if message.usage_metadata else None,
            "response_metadata": meta}


class CassetteChatModel(BaseChatModel):
    """Record/replay chat model keyed by a hash of the prompt messages."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    path: Path
    mode: Mode = "replay"
    inner: Any = None
    """The model asked on a miss in record/auto mode (a chat model or a tool-bound runnable)."""
    description: dict[str, Any] = Field(default_factory=dict)
    """What recorded it (backend description), stored in the file."""
    bound_tools: list[str] = Field(default_factory=list)
    hits: int = 0
    misses: int = 0
    _data: dict[str, Any] = PrivateAttr(default_factory=dict)
    _lock: Any = PrivateAttr(default_factory=threading.Lock)

    def __init__(self, path: str | Path, /, **kwargs: Any) -> None:
        super().__init__(path=resolve_cassette(path), **kwargs)
        if self.mode not in ("replay", "record", "auto"):
            raise MedBrainError(f"Cassette mode must be replay, record or auto (got {self.mode!r}).")
        if self.mode != "replay" and self.inner is None:
            raise MedBrainError(f"Recording a cassette ({self.mode}) needs a model to ask: give inner=.")
        self._data = self._load()

    # ---------------------------------------------------------------- file
    def _load(self) -> dict[str, Any]:
        if self.path.is_file():
            try:
                data = json.loads(self.path.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError) as exc:
                raise MedBrainError(f"Cannot read cassette {self.path}: {exc}") from exc
            data.setdefault("entries", {})
            return data
        if self.mode == "replay":
            raise CassetteMissError(f"Cassette {self.path} does not exist: record it first "
                                    "(medbrain eval --llm local --record --cassette NAME).")
        return {"format_version": 1, "model": self.description, "prompt_fingerprint": prompt_fingerprint(),
                "entries": {}}

    def save(self) -> Path:
        with self._lock:
            data = dict(self._data)
            data["entries"] = dict(sorted(data["entries"].items()))
            self.path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(self.path, json.dumps(data, indent=1, ensure_ascii=False) + "\n")
        return self.path

    def add_item(self, item_id: str, facts: dict[str, Any] | None = None) -> None:
        """Note that an eval item was recorded on this tape (``items`` in the file: id -> facts hash)."""
        with self._lock:
            items = self._data.get("items")
            if not isinstance(items, dict):
                items = self._data["items"] = {i: None for i in items or []}
            items[item_id] = facts_fingerprint(facts) if facts is not None else None
        self.save()

    @property
    def items(self) -> list[str]:
        """Ids of the eval items recorded on this tape."""
        return list(self._data.get("items") or [])

    def covers(self, item_id: str, facts: dict[str, Any]) -> bool:
        """Whether this tape recorded ``item_id`` with these very facts (fixtures not regenerated since)."""
        items = self._data.get("items")
        return isinstance(items, dict) and items.get(item_id) == facts_fingerprint(facts)

    @property
    def entries(self) -> dict[str, Any]:
        return self._data["entries"]

    @property
    def recorded_fingerprint(self) -> str | None:
        return self._data.get("prompt_fingerprint")

    def is_stale(self) -> bool:
        """True when the prompt templates changed since this cassette was recorded."""
        return self.recorded_fingerprint != prompt_fingerprint()

    # ---------------------------------------------------------------- model
    @property
    def _llm_type(self) -> str:
        return "medbrain-cassette"

    def bind_tools(self, tools: Sequence[Any], *, tool_choice: Any = None,
                   **kwargs: Any) -> Runnable[LanguageModelInput, AIMessage]:
        """A copy whose recorder asks ``inner.bind_tools(tools)``; replay ignores tools."""
        names = [str(getattr(t, "name", None) or getattr(t, "__name__", t)) for t in tools]
        inner = self.inner
        if inner is not None and tools and hasattr(inner, "bind_tools"):
            inner = inner.bind_tools(tools, tool_choice=tool_choice, **kwargs)
        clone = self.model_copy(update={"inner": inner, "bound_tools": names})
        clone._data, clone._lock = self._data, self._lock  # one file, shared
        return clone

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> ChatResult:
        key = messages_key(messages)
        entry = self.entries.get(key)
        if entry is not None and self.mode != "record":
            self.hits += 1
        elif self.mode == "replay":
            self.misses += 1
            stale = " (the report prompts changed since it was recorded)" if self.is_stale() else ""
            raise CassetteMissError(
                f"Cassette {self.path} has no response for prompt {key[:12]}{stale}; re-record it with "
                "`medbrain eval --llm local --record --cassette NAME` (or mode='record').")
        else:
            self.misses += 1
            start = time.perf_counter()
            try:
                answer = self.inner.invoke(messages, stop=stop, **kwargs) if stop else self.inner.invoke(messages, **kwargs)
            except Exception as exc:  # a rejected request is a result too: replay raises it again
                with self._lock:
                    self.entries[key] = {"seconds": round(time.perf_counter() - start, 3),
                                         "prompt_tail": _message_text(messages[-1])[-300:],
                                         "error": f"{type(exc).__name__}: {exc}"[:1000]}
                self.save()
                raise
            seconds = time.perf_counter() - start
            if not isinstance(answer, AIMessage):
                answer = AIMessage(content=_message_text(answer))
            entry = {"seconds": round(seconds, 3), "prompt_tail": _message_text(messages[-1])[-300:],
                     "response": _response_dict(answer)}
            with self._lock:
                self.entries[key] = entry
            self.save()
        if "error" in entry:
            raise RecordedError(f"(recorded) {entry['error']}")
        resp = entry["response"]
        message = AIMessage(
            content=resp.get("content", ""),
            tool_calls=[{"name": c["name"], "args": c.get("args") or {}, "id": c.get("id") or c["name"],
                         "type": "tool_call"} for c in resp.get("tool_calls") or []],
            usage_metadata=resp.get("usage_metadata") or None,
            response_metadata={**(resp.get("response_metadata") or {}),
                               "cassette": {"key": key, "seconds": entry.get("seconds")}},
        )
        return ChatResult(generations=[ChatGeneration(message=message)])


__all__ = ["CASSETTES", "CassetteChatModel", "CassetteMissError", "RecordedError", "facts_fingerprint",
           "messages_key", "prompt_fingerprint",
           "resolve_cassette"]
