"""LLM-output evals: suites of stored case facts, deterministic graders, a runner with gates.

- :mod:`medbrain.evals.suites` — suite fixtures (``fixtures/real.json``, ``fixtures/adversarial.json``)
- :mod:`medbrain.evals.graders` — structure, grounding, consistency, injection, readability, run
- :mod:`medbrain.evals.judge` — optional LLM-as-judge (never gated)
- :mod:`medbrain.evals.writers` — grounded writer / the report graph's writing nodes over facts
- :mod:`medbrain.evals.cassette` — record/replay chat model
- :mod:`medbrain.evals.runner` — :func:`run_eval`, :func:`eval_command` (``medbrain eval``)
- :mod:`medbrain.evals.make_fixtures` — regenerate ``real.json`` from cases + a checkpoint
"""

from __future__ import annotations

__all__ = ["run_eval", "eval_command", "EvalResult"]


def __getattr__(name: str):
    if name in __all__:
        from medbrain.evals import runner

        return getattr(runner, name)
    raise AttributeError(name)
