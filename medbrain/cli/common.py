"""What several commands share: option checks that run before the heavy imports, warnings, LLM set-up."""

from __future__ import annotations

from typing import Optional

from rich.markup import escape

from medbrain.cli.app import err_console
from medbrain.errors import ConfigError

SLICES_HELP = ("tumour (default: a sparse pass over every 3rd slice, then every slice near the tumour; "
               "same Dice in cross-validation, fewer slices) or all (every brain slice).")
BUDGET_HELP = ("fast (one slice, affordable; the report says what it gives up) or full (reference settings: "
               "5 slices with intervals, SLICE 500 samples x 10 steps over two seeds, the cascading randomisation check).")
REQUIRE_ALL_HELP = ("Refuse a case without all four sequences (t1, t1ce, t2, flair). By default such a case "
                    "is segmented from the sequences present, with a warning and the accuracy cross-validation "
                    "measured for them.")
LLM_CHOICES = ("env", "none", "local", "openai")  # "env" + agent.llm.BACKENDS (a test keeps them equal)


def print_warnings(warnings: list[str], ckpt=None) -> None:
    """Show the case's warnings and an unverified checkpoint, literally (no markup)."""
    notes = list(warnings)
    if ckpt is not None and not ckpt.integrity.startswith("verified"):
        notes.append(f"Checkpoint {ckpt.path.name if ckpt.path else ''}: {ckpt.integrity}.")
    for note in notes:
        err_console.print(f"[yellow]Warning:[/] {escape(note)}", highlight=False)


def check_slices(slices: str) -> None:
    """Validate --slices without importing torch."""
    if slices not in ("all", "tumour"):
        raise ConfigError(f"--slices must be tumour or all, got {slices!r}.")


def check_budget(budget: str) -> None:
    """Validate --budget without importing torch."""
    if budget not in ("fast", "full"):
        raise ConfigError(f"--budget must be fast or full, got {budget!r}.")


def check_llm(llm: str) -> None:
    """Validate --llm without importing the LLM libraries."""
    if llm.strip().lower() not in LLM_CHOICES:
        raise ConfigError(f"--llm must be one of {', '.join(LLM_CHOICES)}, got {llm!r}.")


def chat_llm(llm: str, model: Optional[str], gguf: Optional[str], seed: int):
    """The LLM settings and chat model for --llm (None for 'none')."""
    from medbrain.agent.llm import make_chat_model, settings_from_env

    settings = settings_from_env(None if llm == "env" else llm, model=model, gguf=gguf, seed=seed)
    return settings, make_chat_model(settings)
