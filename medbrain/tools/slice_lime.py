"""SLICE: Stabilized LIME for Consistent Explanations (Bora et al., CVPR 2024).

LIME (Ribeiro et al. 2016) explains a prediction with a weighted linear surrogate fitted
to random on/off perturbations of superpixels; its explanations change from run to run
in the sign and rank of the superpixels. SLICE stabilises it in two ways, both followed
here:

1. Adaptive perturbation. A superpixel that is "off" is replaced by a Gaussian-blurred
   copy of the image rather than by a constant, and the blur ``sigma`` is chosen among
   candidates by the surrogate's adjusted R^2 on a pilot sample (sigma 0 is plain
   replacement by 0, which after z-scoring is each sequence's mean brain intensity).
2. Sign Entropy based Feature Elimination (SEFE). Each step draws a fresh perturbation
   set, refits the kernel-weighted ridge surrogate on ``n_bootstrap`` bootstrap resamples
   of it (the repeated "runs"), and computes each superpixel's sign entropy
   ``H = -p log2 p - (1 - p) log2 (1 - p)`` with ``p`` the fraction of refits in which its
   coefficient is positive. Superpixels with ``H > max_sign_entropy`` (default 0: any sign
   flip) are eliminated, i.e. held unperturbed in later steps. Steps repeat until
   ``patience`` consecutive steps eliminate nothing, or ``max_steps``. The final surrogate
   is fitted on the last step's samples over the retained superpixels.

Details of this implementation (read from the paper and the authors' release, not
copied): superpixels by scikit-image SLIC on the centre slice's four sequences
(``channel_axis=0``) inside the brain; the background is never perturbed; an off superpixel
is blurred in every input channel (all stacked neighbouring slices); the LIME kernel
``sqrt(exp(-d^2 / 0.25^2))`` on the cosine distance ``d`` between a sample's on/off vector
(over the retained superpixels) and all-on; ridge ``alpha=1`` with intercept; the
unperturbed image is always a sample; bootstrap resamples are uniform with the kernel
weights as sample weights; ``p`` is the plug-in fraction of positive refits (the authors
smooth it with a KDE; both give ``H = 0`` exactly when all refits agree in sign). The
explained scalar is the region's log-odds averaged over the fixed predicted mask
(:mod:`medbrain.tools.slice_input`; the mean keeps ridge's penalty independent of the
lesion size).

Output: the counterfactual importance map, each pixel the final coefficient of its
superpixel (0 for eliminated, unstable superpixels and for the background). Positive =
the superpixel's content supports the region: blurring it away lowers the prediction.

Stability, reported as data:

- ``kept_fraction``: retained / all superpixels.
- ``mean_sign_entropy_initial``: mean sign entropy of all superpixels in the first step,
  i.e. of plain LIME with the chosen perturbation (0 = perfectly sign-stable).
- ``mean_sign_entropy_final``: the same over the retained superpixels in the last step.
- ``rank_correlation_initial`` / ``rank_correlation_final``: mean pairwise Spearman
  correlation of the coefficient vectors of the first 20 bootstrap refits (all
  superpixels in the first step / retained ones in the last), the rank consistency the
  paper measures across runs; None when fewer than 2 superpixels are left.
- ``converged``: whether a step eliminated nothing before ``max_steps``.
- ``fidelity_adjusted_r2``: adjusted R^2 of the final surrogate, refitted on a *fresh*
  sample set (``num_samples`` more passes, not used for elimination); ``fidelity_ok``
  when it reaches ``fidelity_floor`` (default 0.3). A surrogate below the floor does not
  describe the model and its map must not be read, whatever ``converged`` says.
- ``sigma_margin`` / ``sigma_decisive``: adjusted-R^2 lead of the chosen blur over the
  runner-up and whether it exceeds ``SIGMA_MARGIN`` (0.02); below it the blur choice is
  a coin toss between near-equal fits.
- ``reliable``: converged, fidelity_ok and (when several seeds ran, see
  :func:`slice_consistency`) consistent across seeds.

The surrogate algebra (kernel, ridge, adjusted R^2, sign entropy) lives in
:mod:`medbrain.tools.slice_surrogate`. The rank correlations above are between bootstrap refits of *one* sample set; the
consistency the paper asks for is across independent runs: :func:`slice_consistency`
compares runs with different seeds (fresh samples each)
(:mod:`medbrain.tools.slice_stability`).

Budget: the defaults are the reference budget (500 samples, up to 10 SEFE steps);
``settings.reference_budget`` says whether a run used at least that.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import torch
import torch.nn as nn
from scipy import ndimage
from skimage.segmentation import slic

from medbrain.tools.base import AttributionError, AttributionResult, check_region, eval_mode, stopwatch
from medbrain.tools.slice_input import SliceInput, Target, build_target
from medbrain.tools.slice_surrogate import (  # noqa: F401  (re-exported: the public SLICE API)
    KERNEL_WIDTH,
    RANK_REFITS,
    RIDGE_ALPHA,
    adjusted_r2,
    lime_weights,
    mean_rank_correlation,
    sign_entropy,
    weighted_ridge,
)

REFERENCE_SAMPLES = 500
REFERENCE_STEPS = 10
FIDELITY_FLOOR = 0.3
SIGMA_MARGIN = 0.02


@dataclass(kw_only=True)
class SliceResult(AttributionResult):
    """SLICE explanation; ``map`` is the counterfactual importance map (see module doc).

    Arrays are indexed by superpixel id ``k`` (0..K-1); ``segments`` (X, Y) holds the id of
    each pixel and -1 outside the brain.
    """

    segments: np.ndarray
    coefficients: np.ndarray  # (K,) final surrogate coefficients, 0 where eliminated
    retained: np.ndarray  # (K,) bool: sign-stable superpixels kept by SEFE
    lime_coefficients: np.ndarray  # (K,) first-step surrogate on all superpixels (plain LIME)
    sign_entropy: np.ndarray  # (K,) first-step sign entropy
    sigma: float
    stability: dict[str, Any] = field(default_factory=dict)
    top: list[dict[str, Any]] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)
    sigma_scores: dict[str, float | None] = field(default_factory=dict)
    forward_passes: int = 0

    def extra_dict(self) -> dict[str, Any]:
        return {
            "superpixels": int(self.coefficients.shape[0]),
            "retained": int(self.retained.sum()),
            "sigma": float(self.sigma),
            "sigma_adjusted_r2": self.sigma_scores,
            "stability": self.stability,
            "top_superpixels": self.top,
            "steps": self.history,
            "forward_passes": int(self.forward_passes),
        }


def superpixels(sequences: np.ndarray, brain: np.ndarray | None = None, n_segments: int = 40,
                compactness: float = 0.1, smoothing: float = 1.0) -> np.ndarray:
    """SLIC superpixels of a (4, X, Y) slice: (X, Y) int ids 0..K-1, -1 outside the brain.

    ``compactness`` is in the z-scored intensity units of the sequences (skimage's
    default of 10 is for Lab colour and would give a plain grid here).
    """
    sequences = np.asarray(sequences, dtype=np.float64)
    if brain is None:
        brain = np.any(sequences != 0, axis=0)
    brain = np.asarray(brain, dtype=bool)
    if not brain.any():
        raise AttributionError("The slice holds no brain voxels: no superpixels to perturb.")
    labels = slic(sequences, n_segments=n_segments, compactness=compactness, sigma=smoothing,
                  channel_axis=0, mask=brain, start_label=1, enforce_connectivity=True)
    out = np.full(labels.shape, -1, dtype=np.int64)
    ids = np.unique(labels[labels > 0])
    for k, lab in enumerate(ids):
        out[labels == lab] = k
    return out


class _Perturber:
    """Scores batches of on/off superpixel vectors with the model (no gradients)."""

    def __init__(self, inp: SliceInput, segments: np.ndarray, target: Target, batch_size: int,
                 precision: str = "fp32"):
        self.x = inp.tensor
        padded = inp.pad_map(segments + 1)  # 0 = background/padding (never perturbed)
        self.index = torch.from_numpy(padded.astype(np.int64)).to(self.x.device)
        self.target, self.precision = target, precision
        self.batch_size = max(1, int(batch_size))
        self.n_forward = 0
        self._blurred: dict[float, torch.Tensor] = {}

    def baseline(self, sigma: float) -> torch.Tensor:
        if sigma not in self._blurred:
            if sigma <= 0:
                self._blurred[sigma] = torch.zeros_like(self.x)
            else:
                arr = self.x[0].cpu().numpy()
                blurred = np.stack([ndimage.gaussian_filter(c, sigma, mode="constant") for c in arr])
                self._blurred[sigma] = torch.from_numpy(blurred.astype(np.float32))[None].to(
                    device=self.x.device, dtype=self.x.dtype)
        return self._blurred[sigma]

    @torch.no_grad()
    def scores(self, z: np.ndarray, sigma: float) -> np.ndarray:
        base = self.baseline(sigma)
        out = []
        for start in range(0, len(z), self.batch_size):
            chunk = torch.from_numpy(np.asarray(z[start : start + self.batch_size], dtype=np.float32))
            chunk = chunk.to(self.x.device)
            lookup = torch.cat([torch.ones(chunk.shape[0], 1, device=chunk.device), chunk], dim=1)  # (b, K + 1)
            keep = lookup[:, self.index][:, None].to(self.x.dtype)  # (b, 1, H, W)
            batch = base + (self.x - base) * keep
            out.append(self.target.scores(batch, self.precision).cpu().numpy())
            self.n_forward += chunk.shape[0]
        return np.concatenate(out).astype(np.float64)


def _describe(segments: np.ndarray, coef: np.ndarray, target_mask: np.ndarray, top_k: int) -> list[dict[str, Any]]:
    order = [int(k) for k in np.argsort(-np.abs(coef), kind="stable") if coef[k] != 0][:top_k]
    items = []
    for k in order:
        where = segments == k
        xs, ys = np.nonzero(where)
        items.append({
            "id": k,
            "coefficient": float(coef[k]),
            "pixels": int(where.sum()),
            "centroid_xy": [round(float(xs.mean()), 1), round(float(ys.mean()), 1)],
            "inside_target_fraction": round(float(target_mask[where].mean()), 3),
        })
    return items


def slice_lime(model: nn.Module, inp: SliceInput, region: str = "WT", *, n_segments: int = 40,
               compactness: float = 0.1, sigmas: Sequence[float] = (0.0, 4.0),
               num_samples: int = REFERENCE_SAMPLES, n_bootstrap: int = 1000, max_steps: int = REFERENCE_STEPS,
               patience: int = 1, max_sign_entropy: float = 0.0, batch_size: int = 16, top_k: int = 10,
               seed: int = 0, fidelity_floor: float = FIDELITY_FLOOR, mask: np.ndarray | None = None,
               head: str | None = None, precision: str = "fp32") -> SliceResult:
    """SLICE explanation of ``region`` on one slice (see the module docstring).

    Cost: ``len(sigmas) * num_samples`` forward passes to choose the blur (the chosen
    one's samples are reused as the first SEFE step) plus ``num_samples`` per further
    step and ``num_samples`` for the fresh final refit, at most
    ``(len(sigmas) + max_steps) * num_samples`` in all. Deterministic for a given ``seed``.
    ``precision`` of the scoring passes (see :mod:`medbrain.tools.slice_input`).
    """
    region = check_region(region)
    if not sigmas:
        raise AttributionError("sigmas needs at least one candidate blur (0 = replace by zero).")
    if num_samples < 2 or max_steps < 1 or patience < 1:
        raise AttributionError("num_samples must be >= 2, max_steps and patience >= 1.")
    rng = np.random.default_rng(seed)
    with stopwatch() as clock, eval_mode(model):
        target = build_target(model, inp, region, mask=mask, head=head, reduction="mean")
        target_mask = inp.unpad(target.mask.cpu().numpy())
        segments = superpixels(inp.sequences(), inp.brain, n_segments, compactness)
        k_all = int(segments.max()) + 1
        perturber = _Perturber(inp, segments, target, batch_size, precision)
        y0 = target.clean_score(inp.tensor, precision)

        def design(z: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            return np.vstack([np.ones((1, k_all)), z]), np.concatenate([[y0], y])

        # 1. Adaptive perturbation: the same pilot on/off draws under every candidate blur.
        z_pilot = rng.integers(0, 2, size=(num_samples, k_all)).astype(np.float64)
        sigma_scores: dict[str, float | None] = {}
        pilot: dict[float, np.ndarray] = {}
        for s in sigmas:
            pilot[float(s)] = perturber.scores(z_pilot, float(s))
            zz, yy = design(z_pilot, pilot[float(s)])
            sigma_scores[f"{float(s):g}"] = adjusted_r2(zz, yy, lime_weights(zz))
        valid = {float(s): v for s, v in zip(sigmas, sigma_scores.values()) if v is not None}
        sigma = max(valid, key=valid.get) if valid else float(sigmas[0])
        ranked = sorted(valid.values(), reverse=True)
        sigma_margin = ranked[0] - ranked[1] if len(ranked) > 1 else None

        # 2. SEFE: eliminate superpixels whose coefficient sign is unstable across refits.
        retained = np.ones(k_all, dtype=bool)
        history: list[dict[str, Any]] = []
        quiet, converged = 0, False
        lime_coef = np.zeros(k_all)
        entropy0 = np.zeros(k_all)
        rank0: float | None = None
        final = None
        for step in range(max_steps):
            if step == 0:
                z, y = z_pilot, pilot[sigma]
            else:
                z = rng.integers(0, 2, size=(num_samples, k_all)).astype(np.float64)
                z[:, ~retained] = 1.0
                y = perturber.scores(z, sigma)
            zz, yy = design(z, y)
            cols = np.flatnonzero(retained)
            x = zz[:, cols]
            w = lime_weights(x)
            counts = rng.multinomial(len(yy), np.full(len(yy), 1.0 / len(yy)), size=n_bootstrap)
            boot, _ = weighted_ridge(x, yy, counts * w[None])
            entropy = sign_entropy(boot)
            if step == 0:
                lime_coef = weighted_ridge(x, yy, w)[0][0]
                entropy0 = entropy.copy()
                rank0 = mean_rank_correlation(boot)
            unstable = entropy > max_sign_entropy
            final = (x, yy, w, cols, boot, entropy)
            history.append({"step": step + 1, "superpixels": int(len(cols)),
                            "eliminated": int(unstable.sum()), "adjusted_r2": adjusted_r2(x, yy, w)})
            if unstable.any():
                retained[cols[unstable]] = False
                quiet = 0
                if not retained.any():
                    break
            else:
                quiet += 1
                if quiet >= patience:
                    converged = True
                    break

        # 3. Final surrogate refitted on fresh samples over the retained superpixels.
        x, yy, _, cols, boot, entropy = final
        keep = retained[cols]
        coef = np.zeros(k_all)
        fidelity = None
        if keep.any():
            z = rng.integers(0, 2, size=(num_samples, k_all)).astype(np.float64)
            z[:, ~retained] = 1.0
            zz, yf = design(z, perturber.scores(z, sigma))
            xf = zz[:, retained]
            wf = lime_weights(xf)
            coef[retained] = weighted_ridge(xf, yf, wf)[0][0]
            fidelity = adjusted_r2(xf, yf, wf)
        pixel_map = np.where(segments >= 0, coef[np.maximum(segments, 0)], 0.0).astype(np.float32)
    stability = {
        "kept_fraction": float(retained.mean()),
        "mean_sign_entropy_initial": float(entropy0.mean()),
        "mean_sign_entropy_final": float(entropy[keep].mean()) if keep.any() else None,
        "rank_correlation_initial": rank0,
        "rank_correlation_final": mean_rank_correlation(boot[:, keep]) if keep.sum() >= 2 else None,
        "converged": bool(converged),
        "rank_correlation_basis": "bootstrap refits of one sample set (not independent runs)",
        "fidelity_adjusted_r2": fidelity,
        "fidelity_floor": float(fidelity_floor),
        "fidelity_ok": bool(fidelity is not None and fidelity >= fidelity_floor),
        "sigma_margin": sigma_margin,
        "sigma_decisive": None if sigma_margin is None else bool(sigma_margin >= SIGMA_MARGIN),
    }
    stability["reliable"] = bool(stability["converged"] and stability["fidelity_ok"])
    return SliceResult(
        method="slice",
        region=region,
        z=inp.z,
        map=pixel_map,
        segments=segments,
        coefficients=coef,
        retained=retained,
        lime_coefficients=lime_coef,
        sign_entropy=entropy0,
        sigma=float(sigma),
        stability=stability,
        top=_describe(segments, coef, target_mask, top_k),
        history=history,
        sigma_scores=sigma_scores,
        forward_passes=perturber.n_forward,
        target_score=target.score,
        target_pixels=target.pixels,
        seconds=clock["seconds"],
        settings={"n_segments": int(n_segments), "compactness": float(compactness),
                  "sigmas": [float(s) for s in sigmas], "num_samples": int(num_samples),
                  "n_bootstrap": int(n_bootstrap), "max_steps": int(max_steps), "patience": int(patience),
                  "max_sign_entropy": float(max_sign_entropy), "kernel_width": KERNEL_WIDTH,
                  "ridge_alpha": RIDGE_ALPHA, "target": "mean region log-odds over the predicted mask",
                  "seed": int(seed), "fidelity_floor": float(fidelity_floor), "precision": precision,
                  "reference_budget": bool(num_samples >= REFERENCE_SAMPLES and max_steps >= REFERENCE_STEPS)},
    )

