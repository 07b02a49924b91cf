"""`medbrain chat`: an interactive, verified conversation about one case."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape

from medbrain.cli.app import app, console
from medbrain.cli.common import REQUIRE_ALL_HELP, chat_llm, print_warnings
from medbrain.pipeline.setup import make_workspace

@app.command()
def chat(
    case: Optional[Path] = typer.Argument(None, help="Case to load first (optional; /load later)."),
    session: str = typer.Option("default", "--session", help="Conversation name; kept across restarts."),
    db: Path = typer.Option(Path("~/.medbrain/chat.sqlite"), "--db", help="SQLite file for conversation memory."),
    llm: str = typer.Option("env", "--llm", help="none, local, openai, or env (default none)."),
    model: Optional[str] = typer.Option(None, "--model"),
    gguf: Optional[str] = typer.Option(None, "--gguf"),
    data_root: list[Path] = typer.Option(None, "--data-root", help="Folders the tools may read (default: the case's folder)."),
    checkpoint: Optional[Path] = typer.Option(None, "--checkpoint"),
    out: Path = typer.Option(Path("medbrain-chat-reports"), "--out", help="Where /report writes."),
    seed: int = typer.Option(0, "--seed"),
    device: str = typer.Option("auto", "--device"),
    require_all: bool = typer.Option(False, "--require-all", help=REQUIRE_ALL_HELP),
) -> None:
    """Interactive chat about a case: the LLM calls the tools; answers stream; memory persists."""
    from medbrain.agent.chat import ChatSession, open_checkpointer
    from medbrain.agent.report_run import generate_report
    from medbrain.errors import ConfigError
    from medbrain.pipeline.batch import run_single
    from medbrain.pipeline.outputs import OutputTree
    from medbrain.tools.paths import AllowedRoots, OutputRoot

    roots_list = list(data_root or ([case.parent] if case else []))
    if not roots_list:
        raise ConfigError("Give a CASE or --data-root DIR so the tools know which folders they may read.")
    roots = AllowedRoots.of(*roots_list, require_all=require_all)
    settings, chat_model = chat_llm(llm, model, gguf, seed)
    ws = make_workspace(checkpoint, device, tta=True, seed=seed, fast=True, require_all=require_all)
    print_warnings([], ws.checkpoint)

    out_root = OutputRoot.of(out)

    def write(dir_: Optional[Path]) -> Path:
        """/report [DIR]: DIR is confined to the --out root; the case folder is locked and staged."""
        tree = OutputTree(out_root.inside(dir_))
        folder, _ = run_single(tree, ws.case.case_id, ws.case_path,
                               lambda staging: generate_report(ws.case_path, staging, ws, roots=roots,
                                                               settings=settings, llm=None))
        return folder / "report.md"

    sess = ChatSession(ws, roots, chat_model, checkpointer=open_checkpointer(db), session=session, report=write)
    console.print(f"[bold]MedBrainInsight chat[/] — session {escape(repr(session))} ({len(sess.history())} earlier messages). "
                  "Research tool, not a medical device. /help for commands.")
    if chat_model is None:
        console.print("[yellow]No LLM configured: free-text questions need --llm local or --llm openai. "
                      "The slash commands work without one.[/]")
    lines = [f"/load {case}"] if case else []
    while True:
        if lines:
            line = lines.pop(0)
        else:
            try:
                line = console.input("[bold cyan]you>[/] ")
            except EOFError:
                break
        quit_ = False
        for event in sess.handle(line):
            if event.kind == "token":
                console.print(event.text, highlight=False, markup=False)
            elif event.kind == "tool_call":
                console.print(f"\n[dim]→ tool {escape(event.text)}[/]", highlight=False)
            elif event.kind == "tool_result":
                console.print(f"[dim]← {escape(event.text)}[/]", highlight=False)
            elif event.kind == "error":
                console.print(f"[red]{escape(event.text)}[/]", highlight=False)
            else:
                console.print(f"[dim]{escape(event.text)}[/]" if event.data.get("sources") is not None or event.data.get("verdict")
                              else escape(event.text), highlight=False)
                quit_ = quit_ or bool(event.data.get("quit"))
        console.print()
        if quit_:
            break
