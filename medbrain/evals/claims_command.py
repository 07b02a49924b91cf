"""``medbrain eval --suite claims``: the verifier on a claims corpus, a per-class table and a gate.

Without ``--corpus`` the corpus is built from the project's real eval fixtures
(:func:`medbrain.evals.claims_corpus.build_claims_corpus`). With ``--corpus ITEMS.jsonl --facts
REPORT_JSON`` any outside corpus is graded against one case's report.json; each line is
``{"id", "text", "label": "wrong"|"correct" (or "expected": "unsupported"|"supported"), "class"}``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from medbrain.agent.verify_run import load_facts
from medbrain.errors import ConfigError
from medbrain.evals.claims_corpus import ClaimItem, build_claims_corpus, grade_claims
from medbrain.io import atomic_write_text, ensure_output_dir

MIN_CATCH = 0.98
MAX_FALSE_REJECTION = 0.05


def read_corpus(path: Path, case: str = "outside") -> list[ClaimItem]:
    """An outside corpus file as claim items; a bad line names its number."""
    items = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(f"Cannot read the corpus {path}: {exc.strerror or exc}.") from None
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            if not isinstance(row, dict):
                raise TypeError
            label = row.get("expected") or {"wrong": "unsupported", "correct": "supported"}[row["label"]]
            if label not in ("supported", "unsupported"):
                raise ValueError
            items.append(ClaimItem(str(row.get("id", n)), case, str(row.get("class", "unclassified")), str(row["text"]), label))
        except (ValueError, KeyError, TypeError, AttributeError):
            raise ConfigError(f"{path}, line {n}: expected a JSON object with text, label (wrong|correct) and class.") from None
    return items


def claims_table(graded: dict[str, Any], title: str) -> Table:
    table = Table(title=escape(title))
    for col in ("class", "wrong", "caught", "catch rate", "correct", "rejected", "false rejection"):
        table.add_column(col, justify="right" if col != "class" else "left", no_wrap=col == "class")
    pct = lambda x: "–" if x is None else f"{100 * x:.1f}%"  # noqa: E731
    for klass, row in graded["classes"].items():
        table.add_row(klass, str(row["wrong"]), str(row["caught"]), pct(row["catch_rate"]), str(row["correct"]),
                      str(row["rejected"]), pct(row["false_rejection_rate"]))
    table.add_row("[bold]all[/]", str(graded["wrong"]), "", f"[bold]{pct(graded['catch_rate'])}[/]", str(graded["correct"]),
                  "", f"[bold]{pct(graded['false_rejection_rate'])}[/]")
    return table


def claims_command(console: Console, corpus: Path | None = None, facts: Path | None = None, out: Path | None = None,
                   min_catch: float = MIN_CATCH, max_false_rejection: float = MAX_FALSE_REJECTION) -> int:
    """Grade the corpus, print the table, write results.json; 1 when a gate fails."""
    if out is not None:
        ensure_output_dir(Path(out))  # before the work
    if corpus is not None:
        if facts is None:
            raise ConfigError("--corpus needs --facts REPORT_JSON (the case the sentences are about).")
        items, facts_by_case, title = read_corpus(corpus), {"outside": load_facts(facts)}, f"Claims corpus {corpus.name}"
    else:
        from medbrain.evals.suites import load_suite

        cases = [(i.id, i.facts) for i in load_suite("real").items]
        items, facts_by_case, title = build_claims_corpus(cases), dict(cases), "Claims corpus (project fixtures)"
    graded = grade_claims(items, facts_by_case)
    console.print(claims_table(graded, title))
    if out is not None:
        atomic_write_text(Path(out) / "claims_results.json", json.dumps(graded, indent=1))
    failed = []
    if graded["catch_rate"] is not None and graded["catch_rate"] < min_catch:
        failed.append(f"catch rate {graded['catch_rate']:.1%} < {min_catch:.0%}")
    if graded["false_rejection_rate"] is not None and graded["false_rejection_rate"] > max_false_rejection:
        failed.append(f"false rejection {graded['false_rejection_rate']:.1%} > {max_false_rejection:.0%}")
    for line in failed:
        console.print(f"[red]Gate failed:[/] {line}")
    return 1 if failed else 0
