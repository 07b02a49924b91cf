"""A scripted chat model for tests: replays answers and records what it was shown."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import LanguageModelInput
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from pydantic import Field

__all__ = ["ScriptedChatModel", "ScriptedReply"]

ScriptedReply = AIMessage | str | Callable[[list[BaseMessage]], AIMessage | str]
"""One scripted answer: a message, its text, or a function of the prompt that makes one."""


class ScriptedChatModel(GenericFakeChatModel):
    """``GenericFakeChatModel`` that agents can bind tools to and tests can inspect.

    ``ScriptedChatModel(["first answer", AIMessage(content="", tool_calls=[...])])``
    answers each call with the next scripted reply. ``calls`` holds the message list of
    every call (what the model was shown); ``bound_tools`` the names of the tools last
    bound. ``bind_tools`` returns the model itself, so the script and the record are
    shared. Streaming keeps tool calls (the base class drops them). Running out of
    replies raises ``AssertionError`` that says how many calls were made.
    """

    messages: Iterator[Any] = Field(default_factory=lambda: iter(()))
    calls: list[list[BaseMessage]] = Field(default_factory=list)
    bound_tools: list[str] = Field(default_factory=list)

    def __init__(self, replies: Sequence[ScriptedReply] | None = None, /, **kwargs: Any) -> None:
        if replies is not None:
            kwargs["messages"] = iter(list(replies))
        super().__init__(**kwargs)

    @property
    def _llm_type(self) -> str:
        return "medbrain-scripted"

    def bind_tools(
        self, tools: Sequence[Any], *, tool_choice: Any = None, **kwargs: Any
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Remember the tool names and return this same model."""
        self.bound_tools = [_tool_name(t) for t in tools]
        return self

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        self.calls.append(list(messages))
        try:
            reply = next(self.messages)
        except StopIteration:
            raise AssertionError(
                f"ScriptedChatModel has no reply left for call {len(self.calls)}: "
                "add more replies to the script"
            ) from None
        if callable(reply):
            reply = reply(list(messages))
        message = AIMessage(content=reply) if isinstance(reply, str) else reply
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        message = self._generate(messages, stop, run_manager, **kwargs).generations[0].message
        assert isinstance(message, AIMessage)
        text = message.text
        tokens = [t for t in re.split(r"(\s)", text) if t] or [""]
        for i, token in enumerate(tokens):
            last = i == len(tokens) - 1
            chunk = AIMessageChunk(
                content=token,
                id=message.id,
                tool_call_chunks=[
                    {"name": c["name"], "args": json.dumps(c["args"]), "id": c["id"], "index": n,
                     "type": "tool_call_chunk"}
                    for n, c in enumerate(message.tool_calls)
                ] if last else [],
                invalid_tool_calls=list(message.invalid_tool_calls) if last else [],
                response_metadata=dict(message.response_metadata) if last else {},
                usage_metadata=message.usage_metadata if last else None,
                additional_kwargs=dict(message.additional_kwargs) if last else {},
            )
            if last:
                chunk.chunk_position = "last"
            out = ChatGenerationChunk(message=chunk)
            if run_manager:
                run_manager.on_llm_new_token(token, chunk=out)
            yield out


def _tool_name(tool: Any) -> str:
    if isinstance(tool, dict):
        return str(tool.get("function", tool).get("name", tool))
    return str(getattr(tool, "name", None) or getattr(tool, "__name__", tool))
