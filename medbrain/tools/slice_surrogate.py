"""SLICE's surrogate algebra: the LIME kernel, weighted ridge, adjusted R^2, sign entropy.

Pure numpy on on/off design matrices; used by :mod:`medbrain.tools.slice_lime` (see its
docstring for how SLICE combines them).
"""

from __future__ import annotations

import numpy as np
from scipy.stats import spearmanr

KERNEL_WIDTH = 0.25
RIDGE_ALPHA = 1.0
RANK_REFITS = 20


def lime_weights(z: np.ndarray, kernel_width: float = KERNEL_WIDTH) -> np.ndarray:
    """LIME kernel on the cosine distance of on/off rows ``z`` (n, p) to the all-on row."""
    z = np.asarray(z, dtype=np.float64)
    p = z.shape[1]
    if p == 0:
        return np.ones(z.shape[0])
    on = z.sum(axis=1)
    dist = np.where(on > 0, 1.0 - on / np.sqrt(np.maximum(on, 1e-12) * p), 1.0)
    return np.sqrt(np.exp(-(dist**2) / kernel_width**2))


def weighted_ridge(x: np.ndarray, y: np.ndarray, w: np.ndarray, alpha: float = RIDGE_ALPHA
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Ridge with intercept for a batch of sample weightings.

    ``x`` (n, p), ``y`` (n,), ``w`` (n,) or (B, n). Returns (coef (B, p), intercept (B,)).
    Same solution as scikit-learn's ``Ridge(alpha).fit(x, y, sample_weight=w)``.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    w = np.atleast_2d(np.asarray(w, dtype=np.float64))
    total = w.sum(axis=1)
    mx = (w @ x) / total[:, None]
    my = (w @ y) / total
    gram = np.matmul((w[:, :, None] * x[None]).transpose(0, 2, 1), x)
    gram -= total[:, None, None] * mx[:, :, None] * mx[:, None, :]
    rhs = (w * y) @ x - total[:, None] * mx * my[:, None]
    gram = gram + alpha * np.eye(x.shape[1])[None]
    coef = np.linalg.solve(gram, rhs[..., None])[..., 0]
    return coef, my - np.einsum("bp,bp->b", mx, coef)


def adjusted_r2(x: np.ndarray, y: np.ndarray, w: np.ndarray, alpha: float = RIDGE_ALPHA) -> float | None:
    """Weighted R^2 of the surrogate, adjusted for its p superpixels (plain R^2 when n <= p + 1)."""
    coef, intercept = weighted_ridge(x, y, w, alpha)
    pred = x @ coef[0] + intercept[0]
    mean = np.average(y, weights=w)
    total = float(np.sum(w * (y - mean) ** 2))
    if total <= 1e-12:
        return None
    r2 = 1.0 - float(np.sum(w * (y - pred) ** 2)) / total
    n, p = x.shape
    return r2 if n - p - 1 <= 0 else 1.0 - (1.0 - r2) * (n - 1) / (n - p - 1)


def sign_entropy(coefs: np.ndarray) -> np.ndarray:
    """Binary entropy (bits) of the sign of each column of bootstrap coefficients (B, p)."""
    p = np.mean(np.asarray(coefs) > 0, axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        h = -(p * np.log2(p) + (1 - p) * np.log2(1 - p))
    return np.nan_to_num(h, nan=0.0)


def mean_rank_correlation(coefs: np.ndarray, refits: int = RANK_REFITS) -> float | None:
    """Mean pairwise Spearman correlation between the first ``refits`` coefficient rows."""
    coefs = np.asarray(coefs)[:refits]
    if coefs.shape[1] < 2 or coefs.shape[0] < 2:
        return None
    values = []
    for i in range(coefs.shape[0]):
        for j in range(i + 1, coefs.shape[0]):
            rho = spearmanr(coefs[i], coefs[j]).statistic
            values.append(0.0 if np.isnan(rho) else float(rho))
    return float(np.mean(values))
