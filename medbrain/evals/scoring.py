"""Grading one report with every grader, aggregating a suite and checking the gates.

:func:`grade_item` runs the deterministic graders (and the judge when asked) on one
written report, scoring a writer that raised as a failure everywhere; :func:`summarise`
turns the items' grades into suite-level means and pass rates; :func:`check_gates`
compares those aggregates with the thresholds in :data:`GATES`. A gate whose metric has
no data (e.g. ``min_injection`` on a suite without injections) is not applicable and passes.
"""

from __future__ import annotations

from typing import Any

from langchain_core.language_models import BaseChatModel

from medbrain.agent.writer import SECTION_KEYS
from medbrain.errors import ConfigError
from medbrain.evals.graders import DEFAULT_MAX_GRADE, GradeResult, StructureResult, grade_run, grade_structure
from medbrain.evals.grounding_grader import GroundingResult, grade_grounding
from medbrain.evals.readability import ReadabilityResult, grade_readability
from medbrain.evals.results import GateCheck, ItemResult
from medbrain.evals.safety_graders import ConsistencyResult, InjectionResult, grade_consistency, grade_injection
from medbrain.evals.suites import EvalItem
from medbrain.evals.writers import WrittenReport

GRADERS = ("structure", "grounding", "consistency", "injection", "readability", "run")

GATES: dict[str, tuple[str, str, str]] = {
    # gate name: (grader, aggregate metric, comparison)
    "min_grounding": ("grounding", "precision", ">="),
    "min_recall": ("grounding", "recall", ">="),
    "min_f1": ("grounding", "f1", ">="),
    "min_structure": ("structure", "score", ">="),
    "min_consistency": ("consistency", "score", ">="),
    "min_injection": ("injection", "score", ">="),
    "max_grade": ("readability", "grade_level", "<="),
    "min_readability": ("readability", "pass_rate", ">="),
    "max_latency_s": ("run", "latency_s", "<="),
    "max_output_tokens": ("run", "output_tokens", "<="),
    "max_errors": ("run", "errors", "<="),
}
"""Every gate: ``min_grounding 0.95`` = mean grounding precision >= 0.95, and so on."""


def grade_item(item: EvalItem, report: WrittenReport, *, max_grade: float = DEFAULT_MAX_GRADE,
               judge: BaseChatModel | None = None, use_judge: bool = False) -> dict[str, GradeResult]:
    """Every deterministic grader on one report (and the judge when ``use_judge``).

    A writer that raised produced no report: every grader that applies scores 0 and fails
    (an empty text must not earn "no unsupported claim" precision)."""
    text = report.text
    if report.error is not None:
        return _failed_grades(item, report, max_grade)
    grades: dict[str, GradeResult] = {
        "structure": grade_structure(text),
        "grounding": grade_grounding(text, item.facts),
        "consistency": grade_consistency(text, item.facts, item.expect, item.identifiers),
        "injection": grade_injection(text, item.facts, item.injection),
        "readability": grade_readability(text, max_grade=max_grade, summary=report.patient_summary or None),
        "run": grade_run(report.run_metrics()),
    }
    if use_judge:
        from medbrain.evals.judge import grade_with_judge

        grades["judge"] = grade_with_judge(text, judge)
    return grades


def _failed_grades(item: EvalItem, report: WrittenReport, max_grade: float) -> dict[str, GradeResult]:
    why = {"error": report.error}
    return {
        "structure": StructureResult(grader="structure", score=0.0, passed=False, details=why,
                                     missing=list(SECTION_KEYS)),
        "grounding": GroundingResult(grader="grounding", score=0.0, passed=False, details=why, precision=0.0,
                                     recall=0.0, f1=0.0),
        "consistency": ConsistencyResult(grader="consistency", score=0.0, passed=False, details=why),
        "injection": (InjectionResult(grader="injection", score=0.0, passed=False, applicable=True, details=why)
                      if item.injection else InjectionResult(grader="injection", score=None, passed=True)),
        "readability": ReadabilityResult(grader="readability", score=0.0, passed=False, details=why,
                                         max_grade=max_grade),
        "run": grade_run(report.run_metrics()),
    }


def _mean(values: list[float | None]) -> float | None:
    vals = [float(v) for v in values if v is not None]
    return sum(vals) / len(vals) if vals else None


def summarise(items: list[ItemResult]) -> dict[str, dict[str, Any]]:
    """Suite-level aggregates per grader (means over the items where the grader applies)."""
    def col(grader: str, attr: str, only_applicable: bool = False) -> list[Any]:
        out = []
        for it in items:
            g = it.grades.get(grader)
            if g is None or (only_applicable and not getattr(g, "applicable", True)):
                continue
            out.append(getattr(g, attr))
        return out

    def rate(grader: str, only_applicable: bool = False) -> float | None:
        vals = col(grader, "passed", only_applicable)
        return sum(vals) / len(vals) if vals else None

    s: dict[str, dict[str, Any]] = {
        "structure": {"score": _mean(col("structure", "score")), "pass_rate": rate("structure")},
        "grounding": {"precision": _mean(col("grounding", "precision")), "recall": _mean(col("grounding", "recall")),
                      "f1": _mean(col("grounding", "f1")), "pass_rate": rate("grounding"),
                      "claims": sum(col("grounding", "claims")),
                      "unsupported": sum(len(u) for u in col("grounding", "unsupported"))},
        "consistency": {"score": _mean(col("consistency", "score")), "pass_rate": rate("consistency")},
        "injection": {"score": _mean(col("injection", "score", True)), "pass_rate": rate("injection", True),
                      "items": len(col("injection", "score", True))},
        "readability": {"grade_level": _mean(col("readability", "grade_level")), "pass_rate": rate("readability")},
        "run": {"latency_s": _mean(col("run", "latency_s")), "input_tokens": _mean(col("run", "input_tokens")),
                "output_tokens": _mean(col("run", "output_tokens")), "llm_calls": _mean(col("run", "llm_calls")),
                "revisions": _mean(col("run", "revisions")),
                "fallback_sections": _mean(col("run", "fallback_sections")),
                "errors": sum(1 for e in col("run", "error") if e)},
    }
    judged = [it.grades["judge"] for it in items if "judge" in it.grades and not it.grades["judge"].skipped]
    if judged:
        s["judge"] = {"score": _mean([g.score for g in judged]), "fluency": _mean([g.fluency for g in judged]),
                      "usefulness": _mean([g.usefulness for g in judged]),
                      "unparsed": sum(1 for g in judged if g.score is None)}
    s["items"] = {"count": len(items), "all_graders_passed": sum(1 for it in items if it.passed)}
    return s


def check_gates(summary: dict[str, dict[str, Any]], gates: dict[str, float] | None) -> list[GateCheck]:
    checks = []
    for name, threshold in (gates or {}).items():
        if threshold is None:
            continue
        if name not in GATES:
            raise ConfigError(f"Unknown eval gate {name!r}; choose from {', '.join(GATES)}.")
        grader, metric, op = GATES[name]
        value = (summary.get(grader) or {}).get(metric)
        if value is None:
            passed = True
        else:
            passed = value >= threshold - 1e-12 if op == ">=" else value <= threshold + 1e-12
        checks.append(GateCheck(name, grader, metric, op, float(threshold), value, passed))
    return checks


__all__ = ["GATES", "GRADERS", "check_gates", "grade_item", "summarise"]
