"""A report batch on screen: the batch bar and the current case's step while it runs, then every case's status."""

from __future__ import annotations

from pathlib import Path

from rich.markup import escape
from rich.progress import Progress
from rich.table import Table

from medbrain.cli.app import console, err_console

STATUS_TEXT = {"ok": "ok", "done": "skipped (done; --force to redo)", "failed": "[red]failed[/]",
               "busy": "[yellow]busy[/]", "interrupted": "[red]interrupted[/]", "not started": "[yellow]not started[/]"}


def report_cases(items, out: Path, *, roots, settings, chat_model, ws_factory, formats: str,
                 force: bool, max_revisions: int):
    """Run the report on each item into its own folder under ``out``; print every case's status.

    A bad case is reported and the others go on. Returns the BatchResult (its exit_code:
    0, 1 if any case failed or was busy, 130/143 when interrupted).
    """
    from medbrain.pipeline.batch import run_batch
    from medbrain.pipeline.outputs import OutputTree
    from medbrain.pipeline.progress import StepProgress

    tree = OutputTree(out)
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("Reports", total=len(items))
        steps = StepProgress(progress)
        if ws_factory is None:  # every item failed to resolve: run_batch lists them and calls no work
            def work(item, staging):
                raise AssertionError("no usable case to work on")
        else:
            from medbrain.agent.report_batch import report_work

            def listened_workspace():
                ws = ws_factory()
                ws.log.listener = steps  # each tool's start and the segmentation's slices, live
                return ws

            work = report_work(listened_workspace, roots=roots, settings=settings, llm=chat_model, formats=formats,
                               max_revisions=max_revisions)

        def on_start(item):
            progress.update(task, description=f"Report {escape(item.label)}")
            steps.case(item.label)

        result = run_batch(items, tree, work, force=force, on_start=on_start, on_done=lambda res: progress.advance(task))
    table = Table(title=f"Reports in {escape(str(out))}")
    for col in ("case", "status", "output folder", "seconds", "sections verified", "WT (mL)", "confidence"):
        table.add_column(col, overflow="fold")
    for res in result.results:
        status = STATUS_TEXT[res.status] + (f": {escape(res.message)}" if res.message else "")
        folder = "" if res.folder is None else res.folder.name + (" (renamed)" if res.renamed else "")
        table.add_row(escape(res.label), status, escape(folder), *summary_cells(res.outcome))
    console.print(table)
    for res in result.results:
        if res.renamed and res.folder is not None:
            console.print(escape(f"{res.label}: its folder is {res.folder.name}, because another input under this "
                                 "--out already has the plain name (folders are unique per input)."), highlight=False)
        for note in getattr(res.outcome, "warnings", None) or []:  # also in the report itself
            err_console.print(f"[yellow]Warning ({escape(res.label)}):[/] {escape(note)}", highlight=False)
    print_batch_end(result)
    return result


def summary_cells(outcome) -> tuple[str, ...]:
    if outcome is None:
        return ("", "", "", "")
    from medbrain.agent.report_batch import summary_cells

    return summary_cells(outcome)


def print_batch_end(result) -> None:
    """After the table: what failed, or for an interrupted batch what finished and how to resume."""
    if result.interrupted:
        finished = [r.label for r in result.results if r.status in ("ok", "done")]
        running = [r.label for r in result.results if r.status == "interrupted"]
        waiting = [r.label for r in result.results if r.status == "not started"]
        lines = [f"Interrupted ({result.interrupted}). Finished: {len(finished)} of {len(result.results)}"
                 + (f" ({', '.join(finished)})" if finished else "") + "."]
        if running:
            lines.append(f"Stopped while running: {', '.join(running)}; nothing of it was written "
                         "(earlier output of it, if any, is unchanged).")
        if waiting:
            lines.append(f"Not started: {', '.join(waiting)}.")
        lines.append("Every report folder with a report.json is complete. To resume, run the same command "
                     "again: finished cases are skipped (--force redoes them).")
        err_console.print(escape("\n".join(lines)), highlight=False)
        return
    failed, busy = result.count("failed"), result.count("busy")
    if failed:
        err_console.print(f"[red]{failed} case(s) failed.[/]")
    if busy:
        err_console.print(f"[yellow]{busy} case(s) were being written by another medbrain run and were left to it; "
                          "rerun once it has finished to pick up anything it did not complete.[/]")
