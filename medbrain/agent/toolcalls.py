"""A chat-model adapter that gives tool calling to models which only write text.

Small GGUF models served by llama.cpp rarely emit structured OpenAI ``tool_calls``; asked
to use a tool they write a fenced JSON block instead::

    ```json
    {"name": "measure", "arguments": {"region": "ET"}}
    ```

:class:`FencedToolCallChatModel` wraps any chat model so that ``bind_tools`` works with
that text protocol: it describes the tools in the system message and rewrites the history
(:mod:`medbrain.agent.toolcall_protocol`), and returns an ``AIMessage`` whose
``tool_calls`` hold the calls parsed from the answer (:mod:`medbrain.agent.toolcall_parsing`;
unknown tools go to ``invalid_tool_calls``) and whose content no longer holds the JSON.
This module owns the adapter alone: binding, generation and streaming with hold-back.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable, RunnableConfig
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import ConfigDict, Field

from medbrain.agent.toolcall_parsing import extract_tool_calls
from medbrain.agent.toolcall_protocol import message_text, render_tool_instruction, to_text_protocol

__all__ = ["FencedToolCallChatModel"]


def _hold_back_index(text: str, start: int = 0) -> int:
    """Where text that may start a tool call begins (``len(text)`` when nowhere).

    A position cleared once stays cleared as ``text`` grows, so a caller may pass the
    previous answer as ``start``.
    """
    n = len(text)
    for i in range(start, n):
        ch = text[i]
        if ch == "{":
            return i
        if ch == "`" and (text.startswith("```", i) or (n - i < 3 and "```".startswith(text[i:]))):
            return i
        if ch == "<" and (text.startswith("<tool_call", i) or (n - i < 10 and "<tool_call".startswith(text[i:]))):
            return i
        if ch == "[":
            j = i + 1
            while j < n and text[j].isspace():
                j += 1
            if j == n or text[j] == "{":
                return i
    return n


# The inner model runs without the caller's callbacks: the adapter reports tokens itself,
# and a graph's message stream must not also receive the raw JSON text of the inner run.
_INNER_CONFIG: RunnableConfig = {"callbacks": [], "run_name": "fenced_tool_call_inner"}


class FencedToolCallChatModel(BaseChatModel):
    """Tool calling over plain text for models without native tool calls.

    Wraps ``inner`` (e.g. a ``ChatOpenAI`` talking to a local llama.cpp server).
    ``bind_tools`` returns a copy that describes the tools in the system message; its
    answers carry the parsed calls in ``tool_calls``. Streaming passes tokens through
    as they come and holds back only from the first character that may start a JSON
    call; the calls arrive in the last chunk.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    inner: BaseChatModel
    """The model that produces the text."""
    tools: list[dict[str, Any]] = Field(default_factory=list)
    """Bound tools in OpenAI function format."""
    tool_choice: str | None = None
    """``auto``/``none``/``required``/``any`` or a tool name."""

    @property
    def _llm_type(self) -> str:
        return "medbrain-fenced-tool-calls"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"inner": getattr(self.inner, "_identifying_params", {}), "tools": sorted(self.tool_names)}

    @property
    def tool_names(self) -> set[str]:
        """Names of the bound tools."""
        return {t["function"]["name"] for t in self.tools}

    def bind_tools(
        self,
        tools: Sequence[Any],
        *,
        tool_choice: str | dict | bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """A copy of this model that offers ``tools`` through the JSON text protocol."""
        if isinstance(tool_choice, dict):  # {"type": "function", "function": {"name": ...}}
            tool_choice = tool_choice.get("function", {}).get("name") or tool_choice.get("name")
        elif tool_choice is True:
            tool_choice = "required"
        converted = [convert_to_openai_tool(t) for t in tools]
        return self.model_copy(update={"tools": converted, "tool_choice": tool_choice or None})

    def _prepare(self, messages: list[BaseMessage]) -> list[BaseMessage]:
        active = self.tools and self.tool_choice != "none"
        instruction = render_tool_instruction(self.tools, self.tool_choice) if active else None
        return to_text_protocol(messages, instruction)

    def _finish(self, message: AIMessage) -> AIMessage:
        raw = message_text(message)
        if not self.tools or self.tool_choice == "none":
            return message
        parsed = extract_tool_calls(raw, self.tool_names)
        native = [c for c in message.tool_calls if c["name"] in self.tool_names]
        metadata = {**message.response_metadata, "raw_content": raw}
        return AIMessage(
            content=parsed.content,
            tool_calls=native + parsed.calls,
            invalid_tool_calls=list(message.invalid_tool_calls) + parsed.rejected,
            id=message.id,
            response_metadata=metadata,
            usage_metadata=message.usage_metadata,
        )

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        answer = self.inner.invoke(self._prepare(messages), config=_INNER_CONFIG, stop=stop, **kwargs)
        if not isinstance(answer, AIMessage):
            answer = AIMessage(content=message_text(answer))
        return ChatResult(generations=[ChatGeneration(message=self._finish(answer))])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        stream = self.inner.stream(self._prepare(messages), config=_INNER_CONFIG, stop=stop, **kwargs)
        if not self.tools or self.tool_choice == "none":
            for chunk in stream:
                if run_manager:
                    run_manager.on_llm_new_token(chunk.text, chunk=ChatGenerationChunk(message=chunk))
                yield ChatGenerationChunk(message=chunk)
            return
        text, emitted, hold = "", "", 0
        last: AIMessageChunk | None = None
        for chunk in stream:
            last = chunk if last is None else last + chunk
            text += chunk.text
            if hold < len(text) and text[hold] == "{":
                continue  # a JSON object has begun: buffer the rest
            hold = _hold_back_index(text, hold)
            # The final content is trimmed, so whitespace at either end waits.
            ready = text[:hold].strip()
            if len(ready) > len(emitted) and ready.startswith(emitted):
                piece = ready[len(emitted) :]
                emitted = ready
                out = ChatGenerationChunk(message=AIMessageChunk(content=piece, id=chunk.id))
                if run_manager:
                    run_manager.on_llm_new_token(piece, chunk=out)
                yield out
        final = self._finish(AIMessage(
            content=text,
            tool_calls=last.tool_calls if last else [],
            id=last.id if last else None,
            response_metadata=last.response_metadata if last else {},
            usage_metadata=last.usage_metadata if last else None,
        ))
        content = str(final.content)
        rest = content[len(emitted) :] if content.startswith(emitted) else ("\n\n" + content if content else "")
        tool_chunks = [
            {"name": c["name"], "args": json.dumps(c["args"]), "id": c["id"], "index": i, "type": "tool_call_chunk"}
            for i, c in enumerate(final.tool_calls)
        ]
        out = ChatGenerationChunk(message=AIMessageChunk(
            content=rest,
            tool_call_chunks=tool_chunks,
            invalid_tool_calls=final.invalid_tool_calls,
            id=final.id,
            response_metadata=final.response_metadata,
            usage_metadata=final.usage_metadata,
            chunk_position="last",
        ))
        if run_manager:
            run_manager.on_llm_new_token(rest, chunk=out)
        yield out
