"""A live display of where one case is: the step (loading, segmenting slice k/n, Grad-CAM, ...).

The workspace's :class:`~medbrain.pipeline.toollog.ToolLog` tells a listener when each tool
starts and how far long steps are; :class:`StepProgress` turns that into one rich progress
line per running case, beside the batch's own bar.
"""

from __future__ import annotations

from rich.markup import escape
from rich.progress import Progress, TaskID

from medbrain.facts import METHOD_NAMES

#: What each tool (or writing step) is called on screen.
STEP_NAMES: dict[str, str] = {
    "load": "loading", "segment": "segmenting", "measure": "measuring",
    **METHOD_NAMES,
    "shapley": "sequence Shapley values", "compare_methods": "comparing the methods",
    "randomisation": "randomisation check", "confidence": "confidence", "figure": "figure",
}


def step_text(tool: str, done: int | None = None, total: int | None = None) -> str:
    """E.g. 'segmenting: slice 40/120' or 'Grad-CAM'."""
    name = STEP_NAMES.get(tool, tool)
    if done is not None and total and tool == "segment":
        return f"{name}: slice {done}/{total}"
    if done is not None and total:
        return f"{name}: {done}/{total}"
    return name


class StepProgress:
    """A ToolLog listener that shows the current case's step as a second progress line."""

    def __init__(self, progress: Progress, label: str = ""):
        self.progress = progress
        self.label = label
        self.task: TaskID = progress.add_task("", total=None)

    def case(self, label: str) -> None:
        """A new case starts."""
        self.label = label
        self.progress.update(self.task, description=escape(label), completed=0, total=None)

    def __call__(self, tool: str, done: int | None, total: int | None) -> None:
        text = step_text(tool, done, total)
        self.progress.update(self.task, description=escape(f"{self.label}: {text}" if self.label else text),
                             completed=done or 0, total=total)
