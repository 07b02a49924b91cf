"""Run a report writer over a suite, grade every report, check gates.

>>> result = run_eval("real", LLMSettings(), verifier_loop=True, out_dir="evals-out",
...                   gates={"min_grounding": 0.95, "max_grade": 10})
>>> result.exit_code      # 0 when every gate passes, 1 otherwise

``eval_command(...)`` is the CLI glue (``medbrain eval``): it builds the settings from its
flags, runs, prints rich tables and returns the exit code (2 for a user error).

Gates compare a suite-level aggregate (the mean over items, see
:data:`medbrain.evals.scoring.GATES`) with a threshold. This module only runs: the
records are in :mod:`medbrain.evals.results`, grading and gates in
:mod:`medbrain.evals.scoring`, the printed tables in :mod:`medbrain.evals.tables`.
"""

from __future__ import annotations

import json
import re
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel

from medbrain.agent.llm import LLMSettings, backend_description, make_chat_model, settings_from_env
from medbrain.errors import ConfigError, MedBrainError
from medbrain.evals.graders import DEFAULT_MAX_GRADE
from medbrain.evals.results import EvalResult, ItemResult
from medbrain.evals.scoring import check_gates, grade_item, summarise
from medbrain.evals.suites import Suite, load_suite
from medbrain.evals.tables import print_result
from medbrain.evals.writers import write_grounded, write_with_llm
from medbrain.io import ensure_output_dir
from medbrain.io import atomic_write_text


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


__all__ = ["eval_command", "run_eval", "write_results"]
