"""Figures: one explanation montage per case and region.

Panels, left to right then down: the MRI slice, the ground truth (when known), the
prediction overlay (NCR / ED / ET in the BraTS colours, with a legend), and one heatmap per
explanation method over the MRI with its own colour bar and the predicted tumour outline.
Maps with negative values (typically Integrated Gradients, SLICE) use a diverging scale
centred on 0 (red = supports the region, blue = speaks against it; the scale is clipped at
the 99.5th percentile of the magnitudes in the head), non-negative maps (Grad-CAM,
attention) a sequential one from the map's minimum to its maximum. Values near the scale's low end
(within 10% of it for signed maps, 2% otherwise) and everything outside the head (image
value exactly 0, the background of a z-scored slice) are left transparent so the anatomy
stays visible.

With ``shapley`` (region -> sequence -> signed share, from the exact per-sequence Shapley
values) a last panel shows, per region, which sequence drove the prediction: signed bars,
each share = Shapley value / sum of the values' magnitudes (right = raised the region's
evidence, left = lowered it).

Arrays are (X, Y) slices of the case's array grid and are drawn with rows = Y and
columns = X, which for BraTS / SRI24 (LPS) grids is the radiological view (patient right
on the image left, anterior at the top). The figure cannot know the affine: pass
``sides=("R", "L")`` (computed by the caller from the affine) to label the edges.
Rendering uses matplotlib's Agg canvas without pyplot, and the PNG is written atomically.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Mapping

import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from medbrain.errors import MedBrainError

LABEL_STYLE = {1: ("NCR necrotic core", "#e8384f"), 2: ("ED oedema", "#3cb44b"), 4: ("ET enhancing", "#ffd21f")}
METHOD_TITLES = {
    "gradcam": "Grad-CAM",
    "integrated_gradients": "Integrated Gradients",
    "ig": "Integrated Gradients",
    "slice": "SLICE",
    "attention": "Attention (gradient-weighted rollout)",
}
SEQUENCE_COLOURS = {"t1": "#7f7f7f", "t1ce": "#d62728", "t2": "#1f77b4", "flair": "#2ca02c"}
PANEL_IN = 3.4  # inches per panel (width)
PANEL_H_IN = 3.5
TITLE_IN = 0.55
MAX_COLS = 4
TRANSPARENT_BELOW = 0.02  # non-negative maps
SIGNED_TRANSPARENT_BELOW = 0.1  # signed maps (pixel-level IG is noisy around 0)


class FigureError(MedBrainError):
    """A figure cannot be drawn from the given arrays."""


def figure_size(n_maps: int, has_truth: bool, dpi: int = 100, extra_panels: int = 0) -> tuple[int, int]:
    """(width, height) in pixels of the montage for ``n_maps`` heatmaps (+ extra panels)."""
    panels = 2 + int(has_truth) + n_maps + extra_panels
    cols = min(MAX_COLS, panels)
    rows = -(-panels // cols)
    return int(round(cols * PANEL_IN * dpi)), int(round((rows * PANEL_H_IN + TITLE_IN) * dpi))


def _display_range(image: np.ndarray) -> tuple[float, float]:
    values = image[image != 0] if np.any(image != 0) else image.ravel()
    lo, hi = np.percentile(values, [1, 99])
    return float(lo), float(hi if hi > lo else lo + 1.0)


def _label_rgba(label: np.ndarray) -> np.ndarray:
    rgba = np.zeros((*label.shape, 4), dtype=np.float32)
    for value, (_, colour) in LABEL_STYLE.items():
        rgb = np.array([int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)], dtype=np.float32)
        rgba[label == value] = [*rgb, 0.65]
    return rgba


def _as_label(mask: np.ndarray) -> np.ndarray:
    """Labels 0/1/2/4 pass through; a boolean mask is drawn as one region (shown as ED colour)."""
    mask = np.asarray(mask)
    if mask.dtype == bool:
        return np.where(mask, 2, 0).astype(np.uint8)
    unknown = set(np.unique(mask).tolist()) - {0, 1, 2, 4}
    if unknown:
        raise FigureError(f"Label map holds values {sorted(unknown)}; expected internal labels 0, 1, 2, 4.")
    return mask.astype(np.uint8)


def _show_mri(ax, image: np.ndarray, lo: float, hi: float) -> None:
    cmap = matplotlib.colormaps["gray"].with_extremes(bad="black")
    ax.imshow(np.ma.masked_equal(image, 0).T, cmap=cmap, vmin=lo, vmax=hi, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])


def _heatmap(fig: Figure, ax, image: np.ndarray, values: np.ndarray, outline: np.ndarray | None,
             lo: float, hi: float, name: str) -> None:
    _show_mri(ax, image, lo, hi)
    values = np.nan_to_num(np.asarray(values, dtype=np.float64))
    head = image != 0
    inside = values[head] if head.any() else values.ravel()
    signed = bool(inside.min() < 0)
    if signed:
        # Robust symmetric scale: a few extreme pixels must not wash out the rest.
        scale = float(np.percentile(np.abs(inside), 99.5)) or float(np.abs(inside).max()) or 1.0
        vmin, vmax, cmap, label = -scale, scale, "RdBu_r", "- against | supports +"
        faint = np.abs(values) < SIGNED_TRANSPARENT_BELOW * scale
    else:
        vmin, vmax = float(inside.min()), float(inside.max())
        vmax = vmax if vmax > vmin else vmin + 1.0
        cmap, label = "inferno", "relevance"
        faint = values - vmin < TRANSPARENT_BELOW * (vmax - vmin)
    shown = np.ma.masked_where(faint | ~head, values)
    art = ax.imshow(shown.T, cmap=cmap, vmin=vmin, vmax=vmax, alpha=0.75, interpolation="nearest")
    if outline is not None and outline.any():
        ax.contour(outline.T.astype(float), levels=[0.5], colors="#00e5ff", linewidths=0.8)
    bar = fig.colorbar(art, ax=ax, fraction=0.046, pad=0.03)
    bar.ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.3g}"))
    bar.ax.tick_params(labelsize=7)
    bar.set_label(label, fontsize=7)
    empty = " (all zero)" if not np.any(values) else ""
    ax.set_title(METHOD_TITLES.get(name, name) + empty, fontsize=10)


def _shapley_panel(ax, shapley: Mapping[str, Mapping[str, float]]) -> None:
    regions = list(shapley)
    sequences = list(SEQUENCE_COLOURS)
    height = 0.8 / len(sequences)
    for r_index, region in enumerate(regions):
        for s_index, seq in enumerate(sequences):
            y = r_index + (s_index - (len(sequences) - 1) / 2) * height
            value = float(shapley[region].get(seq, 0.0))
            ax.barh(y, value, height=height * 0.9, color=SEQUENCE_COLOURS[seq],
                    label=seq if r_index == 0 else None)
    ax.axvline(0, color="k", linewidth=0.8)
    ax.set_xlim(-1, 1)
    ax.set_yticks(range(len(regions)))
    ax.set_yticklabels(regions, fontsize=9)
    ax.invert_yaxis()
    ax.tick_params(axis="x", labelsize=7)
    ax.set_xlabel("signed Shapley share (exact, 16 passes)", fontsize=7)
    ax.legend(fontsize=7, loc="lower right", frameon=False)
    ax.set_title("Which sequence drove it", fontsize=10)


def montage(slice_image: np.ndarray, truth_mask: np.ndarray | None, pred_label: np.ndarray,
            maps: Mapping[str, np.ndarray], title: str, out_path: str | Path, *, image_name: str = "MRI",
            sides: tuple[str, str] | None = None, dpi: int = 100,
            shapley: Mapping[str, Mapping[str, float]] | None = None) -> Path:
    """Draw the montage and write it atomically as PNG to ``out_path``; return the path.

    ``slice_image`` (X, Y) e.g. FLAIR or T1ce; ``truth_mask`` labels 0/1/2/4 (or a bool
    mask) or None; ``pred_label`` labels 0/1/2/4; ``maps`` method name -> (X, Y) map;
    ``shapley`` region -> sequence -> signed Shapley share (an extra bar panel).
    The image is exactly :func:`figure_size` pixels.
    """
    image = np.asarray(slice_image, dtype=np.float64)
    if image.ndim != 2:
        raise FigureError(f"slice_image must be 2-D, got shape {image.shape}.")
    pred = _as_label(pred_label)
    truth = None if truth_mask is None else _as_label(truth_mask)
    for name, arr in [("pred_label", pred), ("truth_mask", truth), *maps.items()]:
        if arr is not None and np.shape(arr) != image.shape:
            raise FigureError(f"{name} has shape {np.shape(arr)}, the slice {image.shape}.")
    lo, hi = _display_range(image)
    extra = int(bool(shapley))
    width, height = figure_size(len(maps), truth is not None, dpi, extra)
    panels = 2 + int(truth is not None) + len(maps) + extra
    cols = min(MAX_COLS, panels)
    rows = -(-panels // cols)

    fig = Figure(figsize=(width / dpi, height / dpi), dpi=dpi)
    FigureCanvasAgg(fig)
    top = 1 - TITLE_IN / (height / dpi)
    grid = fig.add_gridspec(rows, cols, left=0.02, right=0.95, bottom=0.06, top=top - 0.02,
                            wspace=0.25, hspace=0.25)
    axes = [fig.add_subplot(grid[i // cols, i % cols]) for i in range(panels)]
    for ax in axes[panels:]:
        ax.axis("off")
    fig.suptitle(title, fontsize=12, y=1 - 0.35 * TITLE_IN / (height / dpi))

    i = 0
    _show_mri(axes[i], image, lo, hi)
    axes[i].set_title(image_name, fontsize=10)
    if sides:
        axes[i].text(0.02, 0.5, sides[0], transform=axes[i].transAxes, color="w", fontsize=11,
                     fontweight="bold", va="center")
        axes[i].text(0.98, 0.5, sides[1], transform=axes[i].transAxes, color="w", fontsize=11,
                     fontweight="bold", va="center", ha="right")
    i += 1
    for name, label in [("Ground truth", truth), ("Prediction", pred)]:
        if label is None:
            continue
        _show_mri(axes[i], image, lo, hi)
        axes[i].imshow(_label_rgba(label).transpose(1, 0, 2), interpolation="nearest")
        present = [v for v in LABEL_STYLE if np.any(label == v)]
        axes[i].set_title(name if present else f"{name} (no tumour)", fontsize=10)
        handles = [Patch(facecolor=LABEL_STYLE[v][1], label=LABEL_STYLE[v][0]) for v in LABEL_STYLE]
        axes[i].legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.01), ncol=3,
                       fontsize=7, frameon=False, handlelength=1.0, columnspacing=0.8)
        i += 1
    outline = pred > 0
    for name, values in maps.items():
        _heatmap(fig, axes[i], image, values, outline, lo, hi, name)
        i += 1
    if shapley:
        _shapley_panel(axes[i], shapley)

    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fig.savefig(fh, format="png", dpi=dpi)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out
