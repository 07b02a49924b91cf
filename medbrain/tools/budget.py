"""The two compute budgets of the explanation tools: ``fast`` and ``full``.

``full`` is the reference setting of each method (SLICE's published budget of 500 samples
and up to 10 elimination steps, two independent seeds; IG until its convergence delta is
under 1%; faithfulness with 14 curve steps and 4 random-control draws on 5 slices across
the tumour; the cascading randomisation check). ``fast`` keeps a report affordable on a
2-core CPU: one slice, fewer samples and steps (SLICE still over two seeds), and the
randomisation check on the fully randomised network only (the cascade's last stage, which
decides pass/fail, without the intermediate stages). Every tool result
states which budget ran (``budget``) and, for ``fast``, what it gives up (``budget_note``);
a per-method ``method_settings`` entry overrides single settings of either budget.
"""

from __future__ import annotations

import copy
from typing import Any

from medbrain.errors import ConfigError
from medbrain.tools.faithfulness import FAST_FRACTIONS, FULL_FRACTIONS

BUDGETS: dict[str, dict[str, Any]] = {
    "fast": {
        "gradcam": {},
        "integrated_gradients": {"n_steps": 16, "max_steps": 64, "tolerance": 0.05},
        "slice": {"num_samples": 64, "max_steps": 4, "n_bootstrap": 500},
        "attention": {},
        "slice_seeds": 2,
        "faithfulness": {"fractions": FAST_FRACTIONS, "random_maps": 2},
        "slices": 1,
        "shapley_slices": 1,
        "randomisation": "final",
    },
    "full": {
        "gradcam": {},
        "integrated_gradients": {"n_steps": 32, "max_steps": 256, "tolerance": 0.01},
        "slice": {"num_samples": 500, "max_steps": 10, "n_bootstrap": 1000},
        "attention": {},
        "slice_seeds": 2,
        "faithfulness": {"fractions": FULL_FRACTIONS, "random_maps": 4},
        "slices": 5,
        "shapley_slices": 5,
        "randomisation": "cascade",
    },
}

FAST_NOTE = ("fast setting: SLICE 64 samples x up to 4 steps over two seeds (reference: 500 x 10), "
             "IG from 16 steps to a 5% delta, faithfulness on the explained slice only (6 steps, 2 random "
             "draws: no intervals, so no method is named best), the randomisation check on the fully "
             "randomised network only (no intermediate cascade stages); run with budget 'full' for the "
             "reference")


def budget_settings(budget: str) -> dict[str, Any]:
    """A deep copy of the named budget's settings."""
    if budget not in BUDGETS:
        raise ConfigError(f"Unknown budget {budget!r}; choose one of {', '.join(BUDGETS)}.")
    return copy.deepcopy(BUDGETS[budget])


def budget_note(budget: str) -> str | None:
    """What the budget gives up (None for the reference ``full`` budget)."""
    return FAST_NOTE if budget == "fast" else None
