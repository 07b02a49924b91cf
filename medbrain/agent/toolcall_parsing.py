"""Tool calls that small local models write as JSON text, found and normalised.

Small GGUF models served by llama.cpp rarely emit structured OpenAI ``tool_calls``; asked
to use a tool they write a fenced JSON block (or ``<tool_call>`` tags, bare JSON, a list,
arguments as a JSON string, ``parameters`` instead of ``arguments``). This module holds
only the parser, :func:`extract_tool_calls`, so that it can be tested and reused apart from
the chat-model adapter in :mod:`medbrain.agent.toolcalls` that feeds it model answers.
"""

from __future__ import annotations

import ast
import json
import logging
import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ToolCallParse", "extract_tool_calls", "parse_fenced_tool_calls"]

log = logging.getLogger(__name__)

_NAME_KEYS = ("name", "tool", "tool_name", "function")
_ARG_KEYS = ("arguments", "parameters", "args", "tool_input", "input")
_FENCE_RE = re.compile(r"```[ \t]*[\w+-]*[ \t]*\n?(?P<body>.*?)(?:```|\Z)", re.DOTALL)
_TAG_RE = re.compile(r"<tool_call>(?P<body>.*?)(?:</tool_call>|\Z)", re.DOTALL)
_TRAILING_COMMA_RE = re.compile(r",\s*([}\]])")
_JSON_START_RE = re.compile(r"[\[{]")
_MAX_LITERAL_CHARS = 20_000


@dataclass
class ToolCallParse:
    """What :func:`extract_tool_calls` found in one model answer."""

    calls: list[dict[str, Any]] = field(default_factory=list)
    """Valid calls as LangChain ``ToolCall`` dicts: name, args, id, type."""
    rejected: list[dict[str, Any]] = field(default_factory=list)
    """Tool-call-shaped JSON that cannot be run (unknown tool, bad arguments), as
    LangChain ``InvalidToolCall`` dicts: name, args (str), id, error, type."""
    spans: list[tuple[int, int]] = field(default_factory=list)
    """Character ranges of ``text`` that held tool calls."""
    content: str = ""
    """The text with those ranges removed."""


def _new_id() -> str:
    return f"call_{uuid.uuid4().hex[:24]}"


def _loads_lenient(text: str) -> Any:
    """Parse JSON, tolerating trailing commas, Python literals and JSON lines; raise ValueError."""
    text = text.strip()
    if not text:
        raise ValueError("empty")
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        pass
    repaired = _TRAILING_COMMA_RE.sub(r"\1", text)
    try:
        return json.loads(repaired)
    except json.JSONDecodeError:
        pass
    # Several objects one after another ("JSON lines", or separated by commas).
    decoder = json.JSONDecoder()
    items: list[Any] = []
    pos = 0
    while pos < len(repaired):
        while pos < len(repaired) and repaired[pos] in " \t\r\n,":
            pos += 1
        if pos >= len(repaired):
            break
        try:
            obj, pos = decoder.raw_decode(repaired, pos)
        except json.JSONDecodeError:
            items = []
            break
        items.append(obj)
    if len(items) > 1:
        return items
    # Python-style dicts ('single quotes', True/None); literal_eval runs no code.
    if len(text) <= _MAX_LITERAL_CHARS:
        try:
            return ast.literal_eval(text)
        except Exception:  # noqa: BLE001 - any failure means "not a literal"
            pass
    raise ValueError("not JSON")


def _call_items(obj: Any, allowed: set[str]) -> list[dict[str, Any]] | None:
    """The tool-call-shaped dicts in ``obj`` (normalised), or None when it holds none."""
    if isinstance(obj, list):
        found: list[dict[str, Any]] = []
        for item in obj:
            found.extend(_call_items(item, allowed) or [])
        return found or None
    if not isinstance(obj, dict):
        return None
    if isinstance(obj.get("tool_calls"), list):
        return _call_items(obj["tool_calls"], allowed)
    fn = obj.get("function")
    if isinstance(fn, dict) and isinstance(fn.get("name"), str):  # OpenAI wire format
        inner = dict(fn)
        inner.setdefault("id", obj.get("id"))
        obj = inner
    name = next((obj[k] for k in _NAME_KEYS if isinstance(obj.get(k), str)), None)
    if not name or not name.strip():
        return None
    name = name.strip()
    has_args = any(k in obj for k in _ARG_KEYS)
    short = name.rsplit(".", 1)[-1]  # "functions.measure" -> "measure"
    if name not in allowed and short in allowed:
        name = short
    # {"name": "Alice"} in prose is not a call: an unknown name needs an arguments key.
    if not has_args and name not in allowed:
        return None
    args = next((obj[k] for k in _ARG_KEYS if k in obj), None)
    call_id = obj.get("id") if isinstance(obj.get("id"), str) and obj.get("id") else None
    return [{"name": name, "args": args, "id": call_id}]


def _normalise(item: dict[str, Any], allowed: set[str], out: ToolCallParse) -> None:
    """Append ``item`` to ``out.calls`` or, with the reason, to ``out.rejected``."""
    name, args, call_id = item["name"], item["args"], item["id"] or _new_id()
    error = None
    if args is None or (isinstance(args, str) and not args.strip()):
        args = {}
    elif isinstance(args, str):
        try:
            args = _loads_lenient(args)
        except ValueError:
            error = "arguments are not valid JSON"
    if error is None and not isinstance(args, dict):
        error = "arguments must be a JSON object"
    if error is None and name not in allowed:
        available = ", ".join(sorted(allowed)) or "none"
        error = f"unknown tool {name!r}; available tools: {available}"
    if error is None:
        out.calls.append({"name": name, "args": args, "id": call_id, "type": "tool_call"})
        return
    raw = args if isinstance(args, str) else json.dumps(args, default=str)
    out.rejected.append(
        {"name": name, "args": raw, "id": call_id, "error": error, "type": "invalid_tool_call"}
    )
    log.warning("ignored tool call %r: %s", name, error)


def _join_outside(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """``text`` without ``spans``; pieces are trimmed at each cut and joined by a blank line."""
    pieces: list[str] = []
    pos = 0
    for start, end in sorted(spans):
        pieces.append(text[pos:start])
        pos = max(pos, end)
    pieces.append(text[pos:])
    kept = [p.strip() for p in pieces]
    return "\n\n".join(p for p in kept if p).strip()


def extract_tool_calls(text: str, allowed_tools: Iterable[str]) -> ToolCallParse:
    """Find tool calls written as JSON in ``text``; see :class:`ToolCallParse`.

    Looks at fenced blocks (any language tag, even unterminated), ``<tool_call>`` tags,
    then bare JSON objects or lists outside those blocks. JSON that is not
    tool-call-shaped (or not JSON at all) is left in the content untouched.
    """
    allowed = set(allowed_tools)
    out = ToolCallParse()
    blocks: list[tuple[int, int, str]] = []
    for regex in (_FENCE_RE, _TAG_RE):
        for m in regex.finditer(text):
            if any(s <= m.start() < e for s, e, _ in blocks):
                continue
            blocks.append((m.start(), m.end(), m.group("body")))
    blocks.sort()
    for start, end, body in blocks:
        try:
            obj = _loads_lenient(body)
        except ValueError:
            continue
        items = _call_items(obj, allowed)
        if items:
            out.spans.append((start, end))
            for item in items:
                _normalise(item, allowed, out)
    # Bare JSON outside every block.
    decoder = json.JSONDecoder()
    pos = 0
    while True:
        match = _JSON_START_RE.search(text, pos)
        if match is None:
            break
        i = match.start()
        inside = next((e for s, e, _ in blocks if s <= i < e), None)
        if inside is not None:
            pos = inside
            continue
        try:
            obj, end = decoder.raw_decode(text, i)
        except json.JSONDecodeError:
            pos = i + 1
            continue
        items = _call_items(obj, allowed)
        if items:
            out.spans.append((i, end))
            for item in items:
                _normalise(item, allowed, out)
            pos = end
        else:
            pos = i + 1
    out.spans.sort()
    out.content = _join_outside(text, out.spans)
    return out


def parse_fenced_tool_calls(text: str, allowed_tools: Iterable[str]) -> list[dict[str, Any]]:
    """The valid tool calls in ``text`` as ``{"name", "args", "id", "type"}`` dicts.

    Unknown tool names and unusable arguments are dropped (logged as warnings; use
    :func:`extract_tool_calls` to get them); malformed JSON is ignored.
    """
    return extract_tool_calls(text, allowed_tools).calls
