"""`medbrain verify`, `eval` and `score`: checking texts, grading report writers, scoring label maps."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape

from medbrain.cli.app import app, console

@app.command()
def verify(
    text_file: Optional[Path] = typer.Argument(None, help="Text to check (Markdown or plain)."),
    facts: Path = typer.Option(..., "--facts", help="The case's report.json (its facts are the ground truth)."),
    section: Optional[str] = typer.Option(None, help="Label for the text (e.g. clinical_assessment)."),
    jsonl: Optional[Path] = typer.Option(None, "--jsonl", help='Many texts: one {"id", "section", "text"} per line.'),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Check any text against a case's facts; exit 0 if every claim is supported, 1 if not, 2 on usage errors."""
    import json

    from medbrain.agent.verifier import verify_text
    from medbrain.agent.verify_run import VerifyUsageError, assessment_text, describe, load_facts, read_text, verify_items

    case_facts = load_facts(facts)
    if jsonl is not None:
        results = list(verify_items(jsonl, case_facts))
        for row in results:
            typer.echo(json.dumps(row))
        raise typer.Exit(0 if all(r["passed"] for r in results) else 1)
    if text_file is None:
        raise VerifyUsageError("Give a TEXT_FILE to check, or --jsonl ITEMS.jsonl.")
    text, is_report = assessment_text(read_text(text_file))
    result = verify_text(text, case_facts)
    if as_json:
        typer.echo(json.dumps({"section": section, "report_prose_only": is_report, **result.to_dict()}, indent=1))
    else:
        if is_report:
            console.print("A MedBrainInsight report: checking its disclaimer, four sections and patient summary "
                          "(the facts tables and appendix are the facts themselves).", highlight=False)
        for line in describe(result):
            console.print(escape(line), highlight=False)
    raise typer.Exit(0 if result.passed else 1)


@app.command("eval")
def eval_(
    suite: str = typer.Option("real", "--suite", help="real, adversarial, all, or claims (the verifier on a claims corpus)."),
    corpus: Optional[Path] = typer.Option(None, "--corpus", help="--suite claims: an outside corpus (JSONL id/text/label/class)."),
    facts: Optional[Path] = typer.Option(None, "--facts", help="--suite claims --corpus: the case's report.json."),
    llm: str = typer.Option("none", "--llm", help="none, local or openai."),
    out: Optional[Path] = typer.Option(None, "--out", help="Write results.json (and a markdown table) here."),
    verifier_loop: bool = typer.Option(True, "--verifier-loop/--no-verifier-loop",
                                       help="Revise with the verifier's findings and fall back to the grounded writer."),
    min_grounding: Optional[float] = typer.Option(None, "--min-grounding", help="Gate: mean grounding precision."),
    min_recall: Optional[float] = typer.Option(None, "--min-recall", help="Gate: mean key-fact recall."),
    min_structure: Optional[float] = typer.Option(None, "--min-structure", help="Gate: mean structure score."),
    min_injection: Optional[float] = typer.Option(None, "--min-injection", help="Gate: injection resistance."),
    min_consistency: Optional[float] = typer.Option(None, "--min-consistency", help="Gate: consistency score."),
    max_grade: Optional[float] = typer.Option(None, "--max-grade", help="Gate: patient summary grade level."),
    cassette: Optional[str] = typer.Option(None, "--cassette", help="Replay (or with --record, record) LLM responses."),
    record: bool = typer.Option(False, "--record"),
    judge: Optional[str] = typer.Option(None, "--judge", help="Optional LLM-as-judge backend (never replaces the graders)."),
    limit: Optional[int] = typer.Option(None, "--limit", help="Only the first N items."),
    max_tokens: Optional[int] = typer.Option(None, "--max-tokens"),
    seed: int = typer.Option(0, "--seed"),
) -> None:
    """Grade what a report writer produces over a suite of cases; non-zero exit when a gate fails."""
    from medbrain.evals.runner import eval_command
    from medbrain.io import ensure_output_dir

    if out is not None:
        ensure_output_dir(out)  # before any work: an existing file here fails now, not after the run

    if suite == "claims":
        from medbrain.evals.claims_command import claims_command

        if code := claims_command(console, corpus=corpus, facts=facts, out=out):
            raise typer.Exit(code=code)
        return

    code = eval_command(suite, llm, verifier_loop=verifier_loop, out=out, min_grounding=min_grounding,
                        min_recall=min_recall, min_structure=min_structure, min_injection=min_injection,
                        min_consistency=min_consistency, max_grade=max_grade, cassette=cassette, record=record,
                        judge=judge, limit=limit, max_tokens=max_tokens, seed=seed, console=console)
    if code:
        raise typer.Exit(code=code)


@app.command()
def score(
    pred_dir: Path = typer.Argument(..., help="Folder of predicted label maps (<case>_pred.nii.gz ...)."),
    truth_dir: Path = typer.Argument(..., help="Data root with labelled cases."),
    out: Optional[Path] = typer.Option(None, "--out", help="Write scores.csv and scores.json here."),
) -> None:
    """Dice, HD95, sensitivity, specificity and precision per case and on average."""
    from medbrain.io import ensure_output_dir
    from medbrain.train.scoring import score_directories, scores_table, write_scores

    if out:
        ensure_output_dir(out)  # before the work
    result = score_directories(pred_dir, truth_dir)
    console.print(scores_table(result))
    if result.missing_predictions:
        console.print(f"[yellow]No prediction for: {escape(', '.join(result.missing_predictions))}[/]",
                      highlight=False)
    if result.unmatched_predictions:
        console.print(f"[yellow]Predictions without truth: {escape(', '.join(result.unmatched_predictions))}[/]",
                      highlight=False)
    if out:
        csv_path, json_path = write_scores(result, out)
        console.print(escape(f"Wrote {csv_path} and {json_path}"), highlight=False)
