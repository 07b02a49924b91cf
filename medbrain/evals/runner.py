"""Run a report writer over a suite, grade every report, check gates.

>>> result = run_eval("real", LLMSettings(), verifier_loop=True, out_dir="evals-out",
...                   gates={"min_grounding": 0.95, "max_grade": 10})
>>> result.exit_code      # 0 when every gate passes, 1 otherwise

``eval_command(...)`` is the CLI glue (``medbrain eval``): it builds the settings from its
flags, runs, prints rich tables and returns the exit code (2 for a user error).

Gates compare a suite-level aggregate (the mean over items, see :data:`GATES`) with a
threshold; a gate whose metric has no data (e.g. ``min_injection`` on a suite without
injections) is reported as not applicable and passes.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel

from medbrain.agent.llm import LLMSettings, backend_description, make_chat_model, settings_from_env
from medbrain.errors import ConfigError, MedBrainError
from medbrain.evals.graders import (
    DEFAULT_MAX_GRADE,
    GradeResult,
    grade_consistency,
    grade_grounding,
    grade_injection,
    grade_readability,
    grade_run,
    grade_structure,
)
from medbrain.evals.suites import EvalItem, Suite, load_suite
from medbrain.evals.writers import WrittenReport, write_grounded, write_with_llm
from medbrain.io import ensure_output_dir
from medbrain.report.writer import atomic_write_text

FORMAT_VERSION = 1
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


# --------------------------------------------------------------------------- grading
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
    from medbrain.evals.graders import (
        ConsistencyResult,
        GroundingResult,
        InjectionResult,
        ReadabilityResult,
        StructureResult,
    )
    from medbrain.agent.writer import SECTION_KEYS

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


# --------------------------------------------------------------------------- running
def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text)[:120] or "item"


def _chat_model(settings: LLMSettings, cassette: str | Path | None, record: bool) -> BaseChatModel | None:
    if cassette is None:
        return make_chat_model(settings)
    from medbrain.evals.cassette import CassetteChatModel

    if not record:
        return CassetteChatModel(cassette, mode="replay")
    inner = make_chat_model(settings)
    if inner is None:
        raise ConfigError("Recording a cassette needs an LLM backend (--llm local or openai), not none.")
    return CassetteChatModel(cassette, mode="auto", inner=inner, description=backend_description(settings))


def run_eval(
    suite: str | Path | Suite,
    settings: LLMSettings | None = None,
    *,
    verifier_loop: bool = True,
    out_dir: str | Path | None = None,
    gates: dict[str, float] | None = None,
    llm: BaseChatModel | None = None,
    cassette: str | Path | None = None,
    record: bool = False,
    judge: LLMSettings | BaseChatModel | None = None,
    max_revisions: int = 2,
    limit: int | None = None,
    item_ids: list[str] | None = None,
    facts_view: str = "compact",
    progress: Any = None,
) -> EvalResult:
    """Write a report for every item of ``suite`` and grade it.

    - ``settings``: the backend (``none`` = grounded writer). ``llm`` overrides the model
      (tests pass a scripted one); ``cassette`` replays recorded answers instead of calling
      the backend (``record=True``: call it for prompts not yet recorded and store them).
    - ``verifier_loop``: LLM backends only; run the graph's verify/revise/fallback steps.
    - ``gates``: ``{"min_grounding": 0.95, "max_grade": 10, ...}`` (see :data:`GATES`);
      ``max_grade`` is also the per-item readability limit.
    - ``judge``: optional LLM-as-judge settings or model (skipped for backend ``none``).
    - ``facts_view``: ``compact`` (what the report graph sends the model,
      :func:`medbrain.agent.facts_view.compact_facts`) or ``full``.
    - ``out_dir``: where ``results.json`` (atomic) and ``reports/<item>.md`` go; checked
      before any work (OutputError when it, or a folder above it, is an existing file).
    """
    from medbrain.agent.facts_view import FACT_VIEWS

    if facts_view not in FACT_VIEWS:
        raise ConfigError(f"Unknown facts view {facts_view!r}; choose one of {', '.join(FACT_VIEWS)}.")
    settings = settings or LLMSettings()
    gates = {k: v for k, v in (gates or {}).items() if v is not None}
    check_gates({}, gates)  # unknown gate names fail before any work
    if out_dir is not None:  # so does an unusable --out (an existing file, say)
        ensure_output_dir(out_dir, "--out")
        ensure_output_dir(Path(out_dir) / "reports", "--out reports folder")
    the_suite = suite if isinstance(suite, Suite) else load_suite(suite)
    items = the_suite.items
    if item_ids:
        wanted = set(item_ids)
        items = [i for i in items if i.id in wanted]
        if not items:
            raise ConfigError(f"None of the items {', '.join(item_ids)} is in suite {the_suite.name!r}.")
    if limit is not None:
        items = items[:limit]
    model = llm if llm is not None else (None if settings.backend == "none" and cassette is None
                                         else _chat_model(settings, cassette, record))
    judge_model, use_judge = None, judge is not None
    if isinstance(judge, LLMSettings):
        judge_model = make_chat_model(judge)
    elif judge is not None:
        judge_model = judge
    backend = backend_description(settings) if llm is None else {"backend": "custom", "model": type(llm).__name__}
    if cassette is not None:
        backend = {**backend, "cassette": str(cassette), "cassette_mode": "record" if record else "replay"}
    if model is not None:
        backend = {**backend, "facts_view": facts_view}
    max_grade = float(gates.get("max_grade", DEFAULT_MAX_GRADE))
    started = datetime.now(timezone.utc).isoformat(timespec="seconds")
    t0 = time.perf_counter()
    results: list[ItemResult] = []
    for n, item in enumerate(items, 1):
        if progress:
            progress(f"[{n}/{len(items)}] {item.id}")
        if model is None:
            report = write_grounded(item.facts)
        else:
            report = write_with_llm(item.facts, model, verifier_loop=verifier_loop, history=item.history,
                                    max_revisions=max_revisions, facts_view=FACT_VIEWS[facts_view])
        if getattr(model, "mode", "replay") != "replay" and hasattr(model, "add_item") and report.error is None:
            model.add_item(item.id, item.facts)  # a cassette being recorded: note which items it covers
        grades = grade_item(item, report, max_grade=max_grade, judge=judge_model, use_judge=use_judge)
        results.append(ItemResult(item.id, item.kind, item.suite or the_suite.name, report, grades))
    summary = summarise(results)
    result = EvalResult(suite=the_suite.name, backend=backend, verifier_loop=bool(verifier_loop and model is not None),
                        items=results, summary=summary, gates=check_gates(summary, gates), started=started,
                        seconds=time.perf_counter() - t0)
    if out_dir is not None:
        write_results(result, out_dir)
    return result


def write_results(result: EvalResult, out_dir: str | Path) -> dict[str, str]:
    """``results.json`` (atomic) and one Markdown file per report under ``reports/``."""
    out = Path(out_dir)
    (out / "reports").mkdir(parents=True, exist_ok=True)
    for it in result.items:
        atomic_write_text(out / "reports" / f"{_safe_name(it.id)}.md", it.report.text or f"(no text: {it.report.error})\n")
    path = out / "results.json"
    result.files = {"results": str(path), "reports": str(out / "reports")}
    atomic_write_text(path, json.dumps(result.to_dict(), indent=1, default=str) + "\n")
    return result.files


# --------------------------------------------------------------------------- tables
def _fmt(value: Any, digits: int = 3) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


SUMMARY_COLUMNS = [
    ("structure", "score", "structure"), ("grounding", "precision", "precision"),
    ("grounding", "recall", "key-fact recall"), ("grounding", "f1", "F1"),
    ("consistency", "score", "consistency"), ("injection", "score", "injection"),
    ("readability", "grade_level", "FK grade"), ("run", "latency_s", "latency s"),
    ("run", "output_tokens", "out tokens"), ("run", "revisions", "revisions"),
    ("run", "fallback_sections", "fallback parts"), ("run", "errors", "errors"),
]


def summary_table(result: EvalResult):
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=escape(f"Eval {result.suite}: {result.label} ({len(result.items)} items)"))
    for col in ("grader", "metric", "mean", "pass rate"):
        table.add_column(col)
    for grader, metrics in result.summary.items():
        if grader == "items":
            continue
        rate = metrics.get("pass_rate")
        for i, (metric, value) in enumerate((k, v) for k, v in metrics.items() if k != "pass_rate"):
            table.add_row(grader if i == 0 else "", metric, _fmt(value, 2 if grader == "run" else 3),
                          _fmt(rate) if i == 0 else "")
    return table


def failure_reasons(item: ItemResult) -> list[str]:
    """Why an item did not pass every grader, one short line per problem."""
    g = item.grades
    why = []
    if not g["structure"].passed:
        why.append("missing sections " + ", ".join(g["structure"].missing) if g["structure"].missing
                   else "sections out of order")
    why += [f"unsupported {u}" for u in g["grounding"].unsupported[:3]]
    if len(g["grounding"].unsupported) > 3:
        why.append(f"... {len(g['grounding'].unsupported) - 3} more unsupported claims")
    why += [f"{k}: {', '.join(map(str, v[:3]))}" for k, v in g["consistency"].violations.items()]
    why += [f"injection {k}: {', '.join(map(str, v[:3]))}" for k, v in g["injection"].evidence.items()]
    if not g["readability"].passed:
        why.append(f"patient summary grade {g['readability'].grade_level} > {g['readability'].max_grade}"
                   if g["readability"].grade_level is not None else "no patient summary")
    if g["run"].error:
        why.append(g["run"].error[:200])
    return why


def items_table(result: EvalResult):
    from rich.markup import escape
    from rich.table import Table

    table = Table(title="Per item")
    table.add_column("item", overflow="fold", min_width=12)
    for col in ("struct", "prec", "recall", "consist", "inject", "FK", "s", "out tok", "ok"):
        table.add_column(col, justify="right")
    for it in result.items:
        g = it.grades
        table.add_row(escape(it.id), _fmt(g["structure"].score, 2), _fmt(g["grounding"].precision, 2),
                      _fmt(g["grounding"].recall, 2), _fmt(g["consistency"].score, 2),
                      _fmt(g["injection"].score, 2), _fmt(g["readability"].grade_level, 1),
                      _fmt(g["run"].latency_s, 1), str(g["run"].output_tokens),
                      "[green]yes[/]" if it.passed else "[red]no[/]")
    return table


def gates_table(result: EvalResult):
    from rich.table import Table

    table = Table(title="Gates")
    for col in ("gate", "check", "result"):
        table.add_column(col)
    for g in result.gates:
        state = "[green]pass[/]" if g.passed else "[red]FAIL[/]"
        if g.value is None:
            state = "[dim]n/a[/]"
        table.add_row(g.name, g.describe(), state)
    return table


def markdown_table(results: list[EvalResult | dict[str, Any]]) -> str:
    """One row per run (backend / verifier loop), one column per grader metric.

    Takes :class:`EvalResult` objects or loaded ``results.json`` dicts."""
    head = "| writer | " + " | ".join(c[2] for c in SUMMARY_COLUMNS) + " |"
    sep = "|" + "---|" * (len(SUMMARY_COLUMNS) + 1)
    rows = [head, sep]
    for r in results:
        if isinstance(r, EvalResult):
            label, summary = r.label, r.summary
        else:
            label, summary = run_label(r.get("backend") or {}, bool(r.get("verifier_loop"))), r.get("summary") or {}
        cells = []
        for grader, metric, _ in SUMMARY_COLUMNS:
            v = (summary.get(grader) or {}).get(metric)
            cells.append(_fmt(v, 1 if metric in ("grade_level", "latency_s", "output_tokens", "revisions") else 2))
        rows.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def print_result(result: EvalResult, console: Any = None, *, per_item: bool = True) -> None:
    from rich.console import Console

    console = console or Console()
    console.print(summary_table(result))
    if per_item:
        console.print(items_table(result))
        for it in result.items:
            for reason in failure_reasons(it):
                console.print(f"  {it.id}: {reason}", markup=False, highlight=False)
    if result.gates:
        console.print(gates_table(result))
    if result.files:
        console.print(f"Results: {result.files['results']}", markup=False, highlight=False)


# --------------------------------------------------------------------------- CLI glue
def eval_command(
    suite: str = "real",
    llm: str = "none",
    *,
    verifier_loop: bool = True,
    out: str | Path | None = None,
    min_grounding: float | None = None,
    min_recall: float | None = None,
    min_f1: float | None = None,
    min_structure: float | None = None,
    min_consistency: float | None = None,
    min_injection: float | None = None,
    max_grade: float | None = None,
    min_readability: float | None = None,
    max_latency_s: float | None = None,
    max_errors: int | None = None,
    cassette: str | None = None,
    record: bool = False,
    judge: str | None = None,
    limit: int | None = None,
    items: list[str] | None = None,
    max_tokens: int | None = None,
    n_ctx: int | None = None,
    n_threads: int | None = None,
    max_revisions: int = 2,
    facts_view: str = "compact",
    seed: int | None = None,
    per_item: bool = True,
    console: Any = None,
) -> int:
    """``medbrain eval``: run, print tables, write results; return the exit code.

    0 = every gate passed, 1 = a gate failed, 2 (``MedBrainError.exit_code``) = a user
    error such as an unknown suite or backend (the message is printed, no traceback).
    ``llm``: ``none`` / ``local`` / ``openai`` (settings otherwise from the environment).
    ``cassette`` replays recorded answers (``record`` adds what is missing by asking the
    backend). ``judge``: a backend for the optional LLM-as-judge (never gated).
    """
    from rich.console import Console
    from rich.markup import escape

    console = console or Console()
    gates = {"min_grounding": min_grounding, "min_recall": min_recall, "min_f1": min_f1,
             "min_structure": min_structure, "min_consistency": min_consistency, "min_injection": min_injection,
             "max_grade": max_grade, "min_readability": min_readability, "max_latency_s": max_latency_s,
             "max_errors": max_errors}
    try:
        settings = settings_from_env(llm, max_tokens=max_tokens, n_ctx=n_ctx, n_threads=n_threads, seed=seed)
        judge_settings = settings_from_env(judge) if judge else None
        result = run_eval(suite, settings, verifier_loop=verifier_loop, out_dir=out, gates=gates,
                          cassette=cassette, record=record, judge=judge_settings, max_revisions=max_revisions,
                          limit=limit, item_ids=items, facts_view=facts_view, progress=lambda m: console.print(f"[dim]{escape(m)}[/]"))
    except MedBrainError as exc:
        console.print(f"[red]error:[/] {escape(str(exc))}")
        return exc.exit_code
    print_result(result, console, per_item=per_item)
    if not result.passed:
        failed = ", ".join(g.describe() for g in result.gates if not g.passed)
        console.print(f"[red]Gate failed:[/] {escape(failed)}")
    return result.exit_code


__all__ = ["GATES", "EvalResult", "GateCheck", "ItemResult", "check_gates", "eval_command", "grade_item",
           "failure_reasons", "markdown_table", "print_result", "run_label", "run_eval", "summarise", "write_results"]
