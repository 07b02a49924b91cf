"""LLM-output evals: suites of stored case facts, deterministic graders, a runner with gates.

- :mod:`medbrain.evals.suites` — suite fixtures (``fixtures/real.json``, ``fixtures/adversarial.json``)
- :mod:`medbrain.evals.graders` — the common grade result; structure and run graders
- :mod:`medbrain.evals.grounding_grader` — grounding precision, key-fact recall, F1
- :mod:`medbrain.evals.safety_graders` — consistency and prompt-injection graders
- :mod:`medbrain.evals.readability` — Flesch-Kincaid grade of the patient summary
- :mod:`medbrain.evals.judge` — optional LLM-as-judge (never gated)
- :mod:`medbrain.evals.writers` — grounded writer / the report graph's writing nodes over facts
- :mod:`medbrain.evals.cassette` — record/replay chat model
- :mod:`medbrain.evals.runner` — :func:`run_eval`, :func:`eval_command` (``medbrain eval``)
- :mod:`medbrain.evals.results` — item, gate and run result records (``results.json``)
- :mod:`medbrain.evals.scoring` — grading one report, suite aggregates, gates
- :mod:`medbrain.evals.tables` — terminal tables and the Markdown comparison table
- :mod:`medbrain.evals.make_fixtures` — regenerate ``real.json`` from cases + a checkpoint
"""

from __future__ import annotations

__all__ = ["run_eval", "eval_command", "EvalResult"]


def __getattr__(name: str):
    if name == "EvalResult":
        from medbrain.evals.results import EvalResult

        return EvalResult
    if name in __all__:
        from medbrain.evals import runner

        return getattr(runner, name)
    raise AttributeError(name)
