"""``python -m medbrain.evals``: the eval runner without the main CLI.

    python -m medbrain.evals run --suite real --llm none --min-grounding 0.95 --out evals-out
    python -m medbrain.evals matrix --suite real --cassette smollm2_real --out evals-out
        (none, local without and with the verifier loop; prints the Markdown table)
    python -m medbrain.evals table evals-out/none evals-out/local-noloop ...
        (the Markdown table from saved results.json files)

``medbrain eval`` calls the same :func:`medbrain.evals.runner.eval_command`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from medbrain.errors import MedBrainError

GATE_FLAGS = ("min_grounding", "min_recall", "min_f1", "min_structure", "min_consistency", "min_injection",
              "max_grade", "min_readability", "max_latency_s", "max_errors")


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--suite", default="real", help="real, adversarial, all, or a suite JSON path")
    p.add_argument("--out", default=None, help="write results.json and reports/ here")
    p.add_argument("--cassette", default=None, help="replay recorded answers (name or path)")
    p.add_argument("--record", action="store_true", help="record answers missing from the cassette")
    p.add_argument("--limit", type=int, default=None)
    p.add_argument("--item", action="append", dest="items", default=None, help="only this item id (repeatable)")
    p.add_argument("--max-tokens", type=int, default=None)
    p.add_argument("--n-ctx", type=int, default=None)
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--max-revisions", type=int, default=2)
    p.add_argument("--facts-view", choices=("full", "compact"), default="compact",
                   help="facts shown to the LLM: full (as the report graph) or compact (small-context models)")
    p.add_argument("--seed", type=int, default=None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m medbrain.evals")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="one eval run with gates")
    _common(run)
    run.add_argument("--llm", default="none", help="none, local or openai")
    run.add_argument("--verifier-loop", action=argparse.BooleanOptionalAction, default=True)
    run.add_argument("--judge", default=None, help="backend for the optional LLM-as-judge")
    for flag in GATE_FLAGS:
        run.add_argument("--" + flag.replace("_", "-"), type=float, default=None)
    matrix = sub.add_parser("matrix", help="none + an LLM without/with the verifier loop; Markdown table")
    _common(matrix)
    matrix.add_argument("--llm", default="local")
    table = sub.add_parser("table", help="Markdown table from saved results.json files")
    table.add_argument("results", nargs="+", help="results.json files or folders holding one")
    args = parser.parse_args(argv)
    if args.command == "table":
        return _table(args.results)

    from rich.console import Console

    from medbrain.evals.runner import eval_command

    console = Console()
    common = dict(cassette=args.cassette, record=args.record, limit=args.limit, items=args.items,
                  max_tokens=args.max_tokens, n_ctx=args.n_ctx, n_threads=args.threads,
                  max_revisions=args.max_revisions, facts_view=args.facts_view, seed=args.seed, console=console)
    if args.command == "run":
        gates = {flag: getattr(args, flag) for flag in GATE_FLAGS}
        if gates["max_errors"] is not None:
            gates["max_errors"] = int(gates["max_errors"])
        return eval_command(args.suite, args.llm, verifier_loop=args.verifier_loop, out=args.out,
                            judge=args.judge, **gates, **common)
    return _matrix(args, console, common)


def _table(paths: list[str]) -> int:
    import json

    from medbrain.evals.tables import markdown_table

    loaded = []
    for p in paths:
        path = Path(p) / "results.json" if Path(p).is_dir() else Path(p)
        try:
            loaded.append(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, json.JSONDecodeError) as exc:
            print(f"error: cannot read {path}: {exc}", file=sys.stderr)
            return 2
    print(markdown_table(loaded))
    return 0


def _matrix(args: argparse.Namespace, console, common: dict) -> int:
    from rich.markup import escape

    from medbrain.agent.llm import settings_from_env
    from medbrain.evals.runner import run_eval
    from medbrain.evals.tables import markdown_table, print_result
    from medbrain.io import atomic_write_text

    out = Path(args.out) if args.out else None
    runs = [("none", "none", False), (f"{args.llm}-loop", args.llm, True), (f"{args.llm}-noloop", args.llm, False)]
    results = []
    try:
        for label, backend, loop in runs:
            settings = settings_from_env(backend, max_tokens=args.max_tokens, n_ctx=args.n_ctx,
                                         n_threads=args.threads, seed=args.seed)
            console.print(f"[bold]{escape(label)}[/]")
            result = run_eval(args.suite, settings, verifier_loop=loop, out_dir=out / label if out else None,
                              cassette=None if backend == "none" else args.cassette, record=args.record,
                              max_revisions=args.max_revisions, limit=args.limit, item_ids=args.items,
                              facts_view=args.facts_view,
                              progress=lambda m: console.print(f"  {m}", markup=False))
            print_result(result, console, per_item=False)
            results.append(result)
    except MedBrainError as exc:
        console.print(f"error: {exc}", markup=False)
        return exc.exit_code
    table = markdown_table([results[0], results[2], results[1]])
    console.print(table, markup=False)
    if out:
        atomic_write_text(out / "table.md", table + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
