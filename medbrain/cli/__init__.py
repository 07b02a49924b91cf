"""The `medbrain` command line (typer + rich): thin commands that check options and call one function.

``app`` (in :mod:`medbrain.cli.app`) holds the typer app and the entry point; each command
module registers its commands on import, in the order ``--help`` lists them.
"""

from __future__ import annotations

from medbrain.cli import case_commands, chat_command, eval_commands, report_commands
from medbrain.cli.app import app, main
from medbrain.cli.common import LLM_CHOICES

__all__ = ["LLM_CHOICES", "app", "main"]  # the command modules register themselves on import
_COMMANDS = (case_commands, report_commands, chat_command, eval_commands)
