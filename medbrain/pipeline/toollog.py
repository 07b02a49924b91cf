"""JSONL log of every tool call: tool, arguments, duration, result summary."""

from __future__ import annotations

import json
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator


class ToolLog:
    """Appends one JSON line per tool call (in memory, and to a file when given)."""

    def __init__(self, path: str | Path | None = None):
        self.path = Path(path) if path else None
        self.entries: list[dict[str, Any]] = []

    def record(self, tool: str, arguments: dict[str, Any], duration_s: float, summary: str, ok: bool = True) -> None:
        entry = {"tool": tool, "arguments": arguments, "duration_s": round(duration_s, 3),
                 "ok": ok, "result_summary": summary[:500]}
        self.entries.append(entry)
        if self.path:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path, "a") as fh:
                fh.write(json.dumps(entry, default=str) + "\n")

    @contextmanager
    def call(self, tool: str, **arguments: Any) -> Iterator[dict[str, str]]:
        """Time a tool call; the body sets ``out["summary"]``. Failures are logged too."""
        out = {"summary": ""}
        start = time.perf_counter()
        try:
            yield out
        except Exception as exc:
            self.record(tool, arguments, time.perf_counter() - start, f"error: {exc}", ok=False)
            raise
        self.record(tool, arguments, time.perf_counter() - start, out["summary"])
