"""The typer app, its consoles and the entry point: every MedBrainError becomes its message and exit code.

Every user-fixable problem is a :class:`MedBrainError`: the CLI prints its message and
exits non-zero, without a traceback.
"""

from __future__ import annotations

import sys

import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperGroup

from medbrain.errors import MedBrainError
from medbrain.train.cli import app as train_app

console = Console()
err_console = Console(stderr=True)


def print_error(error: BaseException) -> None:
    """Print a user-facing error; the message is shown literally (paths may hold '[')."""
    err_console.print(f"[bold red]Error:[/] {escape(str(error))}", highlight=False)


class _Group(TyperGroup):
    """Turns MedBrainError into its message and exit code, and Ctrl-C into exit 130,
    for every way the app is run (console script, ``python -m``, CliRunner)."""

    def invoke(self, ctx):  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except MedBrainError as exc:
            print_error(exc)
            raise typer.Exit(code=exc.exit_code) from None
        except KeyboardInterrupt:
            err_console.print("Interrupted; nothing was left half-written.")
            raise typer.Exit(code=130) from None


app = typer.Typer(
    cls=_Group,
    name="medbrain",
    help="MedBrainInsight: brain-tumour MRI segmentation and explanation. A research tool, not a medical device.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(train_app, name="train")


def main() -> None:
    """Console-script entry: run the app, turning MedBrainError into a clean exit."""
    try:
        code = app(standalone_mode=False)  # returns typer.Exit codes instead of exiting
    except MedBrainError as exc:
        print_error(exc)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err_console.print("Interrupted.")
        sys.exit(130)
    except SystemExit:
        raise
    except Exception as exc:  # click usage errors and the like
        import click

        if isinstance(exc, click.exceptions.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        if isinstance(exc, click.exceptions.Abort):
            sys.exit(1)
        raise
    sys.exit(code if isinstance(code, int) else 0)
