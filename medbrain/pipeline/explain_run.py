"""`medbrain explain` as one function: every analysis tool on one case, written to OUT/<case>/.

The workspace runs load, segment, measure, the chosen explanation methods on one slice, the
method comparison and the confidence analysis; this module claims the case's output folder
(locked, as a report does), writes the montage, ``explain.json`` (every fact and the tool
calls) and the tool log atomically, and removes the montage of an earlier run it replaces.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from medbrain.io import atomic_write_lines, atomic_write_text
from medbrain.pipeline.outputs import OutputTree
from medbrain.pipeline.workspace import CaseWorkspace

EXPLAIN_JSON, EXPLAIN_LOG = "explain.json", "explain_tool_calls.jsonl"


@dataclass
class ExplainOutcome:
    """Where the files went and which slice was explained."""

    folder: Path
    json_path: Path
    figure: Path
    slice_index: int


def earlier_explain_figure(json_path: Path) -> str | None:
    """The montage file name an earlier explain.json in this folder points to, if any."""
    try:
        name = json.loads(json_path.read_text()).get("figure")
    except (OSError, ValueError, AttributeError):
        return None
    return name if isinstance(name, str) and Path(name).name == name and name.endswith(".png") else None


def run_explain(ws: CaseWorkspace, case: Path, out: Path, *, region: str, slice_: str, methods: tuple[str, ...],
                on_loaded: Callable[[CaseWorkspace], None] = lambda ws: None,
                on_skip: Callable[[str], None] = lambda note: None) -> ExplainOutcome:
    """Analyse ``case`` in ``ws`` and write OUT/<case>/; ``slice_`` is 'auto' or an axial index."""
    ws.load(case)
    on_loaded(ws)
    claimed = OutputTree(out).claim(ws.case.case_id, ws.case_path)  # OUT/<case>/, as for report; locked
    try:
        folder = claimed.folder
        folder.mkdir(exist_ok=True)
        ws.segment()
        ws.measure()
        z = ws.default_slice(region) if slice_ == "auto" else int(slice_)
        for method in methods:
            if method == "attention" and ws.model.bottleneck is None:
                on_skip("attention skipped: this model has no transformer block")
                continue
            ws.explain(method, region, z)
        ws.compare()
        ws.confidence()
        json_path = folder / EXPLAIN_JSON
        earlier = earlier_explain_figure(json_path)
        figure = ws.montage(folder / f"{claimed.name}_{region}_z{z}.png")
        doc = {"facts": ws.facts, "warnings": ws.case.warnings, "checkpoint_integrity": ws.checkpoint.integrity,
               "tool_calls": ws.log.entries, "figure": figure.name}
        atomic_write_lines(folder / EXPLAIN_LOG, ws.log.entries)
        atomic_write_text(json_path, json.dumps(doc, indent=2, default=str))
        if earlier is not None and earlier != figure.name:
            (folder / earlier).unlink(missing_ok=True)  # the montage of an earlier run, now stale
    finally:
        claimed.lock.release()
    return ExplainOutcome(folder=folder, json_path=json_path, figure=figure, slice_index=z)
