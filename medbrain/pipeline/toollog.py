"""JSONL log of every tool call: tool, arguments, duration, result summary."""

from __future__ import annotations

import json
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

#: ``listener(tool, done, total)``: a tool starts (``done`` and ``total`` None) or reports
#: how far it is (e.g. segmentation slices run so far and in all).
StepListener = Callable[[str, "int | None", "int | None"], None]


class ToolLog:
    """Appends one JSON line per tool call (in memory, and to a file when given).

    ``listener`` hears each call start and any step progress inside it, for a live display.
    """

    def __init__(self, path: str | Path | None = None, listener: StepListener | None = None):
        self.path = Path(path) if path else None
        self.entries: list[dict[str, Any]] = []
        self.listener = listener

    def step(self, tool: str, done: int | None = None, total: int | None = None) -> None:
        """Tell the listener (if any) where a tool is; never fails the tool."""
        if self.listener is not None:
            try:
                self.listener(tool, done, total)
            except Exception:  # noqa: BLE001 - a display must not break the analysis
                pass

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
        self.step(tool)
        start = time.perf_counter()
        try:
            yield out
        except Exception as exc:
            self.record(tool, arguments, time.perf_counter() - start, f"error: {exc}", ok=False)
            raise
        self.record(tool, arguments, time.perf_counter() - start, out["summary"])
