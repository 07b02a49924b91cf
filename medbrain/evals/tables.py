"""The eval run as tables: rich tables for the terminal and a Markdown comparison table.

:func:`print_result` shows the suite summary, one row per item with the reasons it
failed (:func:`failure_reasons`) and the gates; :func:`markdown_table` puts several runs
(backends, with and without the verifier loop) side by side, from results in memory or
loaded ``results.json`` files. Only presentation lives here: no grading, no running.
"""

from __future__ import annotations

from typing import Any

from medbrain.evals.results import EvalResult, ItemResult, run_label


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


__all__ = ["failure_reasons", "gates_table", "items_table", "markdown_table", "print_result", "summary_table"]
