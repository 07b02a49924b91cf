"""What an eval run produces: per-item results, gate checks and the run as a whole.

The runner fills these records, the scoring module computes their grades and gates, the
tables print them and ``results.json`` is :meth:`EvalResult.to_dict` (with
:data:`FORMAT_VERSION`). Keeping them in one small module lets each of those parts
import the records without importing one another.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from medbrain.evals.graders import GradeResult
from medbrain.evals.writers import WrittenReport

FORMAT_VERSION = 1


# --------------------------------------------------------------------------- results
@dataclass
class ItemResult:
    id: str
    kind: str
    suite: str
    report: WrittenReport
    grades: dict[str, GradeResult]

    @property
    def passed(self) -> bool:
        return all(g.passed for g in self.grades.values())

    def to_dict(self) -> dict[str, Any]:
        r = self.report
        return {"id": self.id, "kind": self.kind, "suite": self.suite, "passed": self.passed,
                "grades": {k: g.to_dict() for k, g in self.grades.items()},
                "report": {"text": r.text, "draft_text": r.draft_text, "sources": r.sources,
                           "revisions": r.revisions, "fallback_sections": r.fallback_sections,
                           "llm_calls": r.llm_calls, "error": r.error}}


@dataclass
class GateCheck:
    name: str
    grader: str
    metric: str
    op: str
    threshold: float
    value: float | None
    passed: bool

    def describe(self) -> str:
        shown = "n/a" if self.value is None else f"{self.value:.3f}"
        return f"{self.grader}.{self.metric} {shown} {self.op} {self.threshold:g}"


@dataclass
class EvalResult:
    suite: str
    backend: dict[str, Any]
    verifier_loop: bool
    items: list[ItemResult]
    summary: dict[str, dict[str, Any]]
    gates: list[GateCheck] = field(default_factory=list)
    started: str = ""
    seconds: float = 0.0
    files: dict[str, str] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return all(g.passed for g in self.gates)

    @property
    def exit_code(self) -> int:
        return 0 if self.passed else 1

    @property
    def label(self) -> str:
        return run_label(self.backend, self.verifier_loop)

    def to_dict(self) -> dict[str, Any]:
        return {"format_version": FORMAT_VERSION, "suite": self.suite, "backend": self.backend,
                "verifier_loop": self.verifier_loop, "started": self.started, "seconds": round(self.seconds, 2),
                "passed": self.passed, "summary": self.summary,
                "gates": [g.__dict__ for g in self.gates],
                "items": [i.to_dict() for i in self.items]}


def run_label(backend: dict[str, Any], verifier_loop: bool) -> str:
    """``none (grounded writer)`` / ``local SmolLM2-..., compact facts, verifier loop`` ..."""
    name = backend.get("backend", "?")
    if name == "none":
        return "none (grounded writer)"
    model = backend.get("model") or ""
    view = ", compact facts" if backend.get("facts_view") == "compact" else ""
    return f"{name} {model}".strip() + view + (", verifier loop" if verifier_loop else ", no verifier loop")


__all__ = ["FORMAT_VERSION", "EvalResult", "GateCheck", "ItemResult", "run_label"]
