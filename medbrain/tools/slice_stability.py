"""SLICE consistency across independent runs (different seeds, so fresh perturbation samples).

Bora et al. measure SLICE's stability across repeated runs; the bootstrap refits inside one
run (``stability.rank_correlation_*``) share one sample set and cannot show it.
"""

from __future__ import annotations

import itertools
from typing import Any, Sequence

import numpy as np
from scipy.stats import spearmanr

from medbrain.tools.base import AttributionError
from medbrain.tools.slice_lime import SliceResult


def slice_consistency(runs: Sequence[SliceResult]) -> dict[str, Any]:
    """Agreement of SLICE runs with different seeds on the same slice (independent samples).

    ``rank_correlation``: mean pairwise Spearman of the final coefficients over the
    superpixels retained by either run (0 where eliminated); ``kept_jaccard``: mean
    pairwise Jaccard of the retained sets; ``sign_flips``: superpixels retained by two runs
    with opposite signs; ``same_sigma``: every run chose the same blur. ``consistent``:
    same sigma, no sign flip, Jaccard >= 0.5 and rank correlation >= 0.5.
    """
    if len(runs) < 2:
        return {"runs": len(runs), "consistent": None, "note": "one run: consistency across seeds not measured"}
    if any(r.segments.shape != runs[0].segments.shape or not np.array_equal(r.segments, runs[0].segments)
           for r in runs):
        raise AttributionError("SLICE runs to compare must share the slice and superpixels.")
    rhos, jaccards, flips = [], [], 0
    for a, b in itertools.combinations(runs, 2):
        union = a.retained | b.retained
        both = a.retained & b.retained
        jaccards.append(float(both.sum() / union.sum()) if union.any() else 1.0)
        flips += int(np.count_nonzero(both & (np.sign(a.coefficients) != np.sign(b.coefficients))))
        if union.sum() >= 2:
            rho = spearmanr(a.coefficients[union], b.coefficients[union]).statistic
            rhos.append(0.0 if np.isnan(rho) else float(rho))
    same_sigma = len({r.sigma for r in runs}) == 1
    rank = float(np.mean(rhos)) if rhos else None
    jac = float(np.mean(jaccards))
    consistent = bool(same_sigma and flips == 0 and jac >= 0.5 and rank is not None and rank >= 0.5)
    return {"runs": len(runs), "seeds": [r.settings.get("seed") for r in runs],
            "sigmas": [float(r.sigma) for r in runs], "same_sigma": same_sigma,
            "kept_jaccard": round(jac, 4), "rank_correlation": None if rank is None else round(rank, 4),
            "sign_flips": int(flips), "consistent": consistent}
