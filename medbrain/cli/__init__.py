"""The `medbrain` command line (typer + rich): thin commands that check options and call one function.

``app`` (in :mod:`medbrain.cli.app`) holds the typer app and the entry point; each command
module registers its commands on import, in the order ``--help`` lists them.
"""

from __future__ import annotations

from importlib import import_module

from medbrain.cli.app import app, main
from medbrain.cli.common import LLM_CHOICES

#: Imported in this order, so ``medbrain --help`` lists doctor, segment, explain, report, demo,
#: chat, verify, eval, score (then train).
COMMAND_MODULES = tuple(import_module(f"medbrain.cli.{name}")
                        for name in ("case_commands", "report_commands", "chat_command", "eval_commands"))

__all__ = ["COMMAND_MODULES", "LLM_CHOICES", "app", "main"]
