"""Label conventions (BraTS 2018, BraTS 2023+, MSD Task01) and tumour regions.

Internally every label map uses the BraTS 2017-2021 convention:
0 background, 1 NCR (necrotic / non-enhancing core), 2 ED (oedema), 4 ET (enhancing).
Maps are converted at load time and written back in the input's own convention.
"""

from __future__ import annotations

from enum import Enum

import numpy as np

from medbrain.errors import ConfigError, ShapeMismatchError, UnknownLabelError

INTERNAL_LABELS: tuple[int, ...] = (0, 1, 2, 4)
SUBREGION_LABELS: dict[str, int] = {"NCR": 1, "ED": 2, "ET": 4}
REGIONS: tuple[str, ...] = ("WT", "TC", "ET")
REGION_LABELS: dict[str, tuple[int, ...]] = {"WT": (1, 2, 4), "TC": (1, 4), "ET": (4,)}


class LabelConvention(str, Enum):
    """How a label file on disk encodes the tumour sub-regions."""

    BRATS2018 = "brats2018"  # 0, 1 NCR, 2 ED, 4 ET (also BraTS 2017-2021)
    BRATS2023 = "brats2023"  # 0, 1 NCR, 2 ED, 3 ET
    MSD = "msd"  # 0, 1 ED, 2 NCR, 3 ET (Medical Segmentation Decathlon Task01)


# convention value -> internal value
_TO_INTERNAL: dict[LabelConvention, dict[int, int]] = {
    LabelConvention.BRATS2018: {0: 0, 1: 1, 2: 2, 4: 4},
    LabelConvention.BRATS2023: {0: 0, 1: 1, 2: 2, 3: 4},
    LabelConvention.MSD: {0: 0, 1: 2, 2: 1, 3: 4},
}
_INVALID = 255  # marker in the lookup tables; never a valid label


def _lut(mapping: dict[int, int]) -> np.ndarray:
    table = np.full(256, _INVALID, dtype=np.uint8)
    for src, dst in mapping.items():
        table[src] = dst
    return table


_TO_LUT = {conv: _lut(m) for conv, m in _TO_INTERNAL.items()}
_FROM_LUT = {conv: _lut({v: k for k, v in m.items()}) for conv, m in _TO_INTERNAL.items()}


def as_convention(convention: LabelConvention | str) -> LabelConvention:
    """Parse a convention name ("brats2018", "brats2023", "msd")."""
    try:
        return LabelConvention(convention)
    except ValueError:
        names = ", ".join(c.value for c in LabelConvention)
        raise ConfigError(
            f"Unknown label convention {convention!r}; choose one of: {names}."
        ) from None


def convention_values(convention: LabelConvention | str) -> tuple[int, ...]:
    """The label values allowed on disk by ``convention``."""
    return tuple(sorted(_TO_INTERNAL[as_convention(convention)]))


def _fmt(values: np.ndarray, limit: int = 10) -> str:
    vals = [v.item() if hasattr(v, "item") else v for v in values[:limit]]
    text = ", ".join(str(int(v)) if float(v).is_integer() else repr(float(v)) for v in vals)
    return text + (f", ... ({len(values)} distinct)" if len(values) > limit else "")


def _apply(label: np.ndarray, table: np.ndarray, allowed: tuple[int, ...], what: str) -> np.ndarray:
    """Map ``label`` through ``table``; raise UnknownLabelError naming bad values."""
    arr = np.asarray(label)
    if arr.dtype == bool:
        arr = arr.astype(np.uint8)
    if not np.issubdtype(arr.dtype, np.integer):
        if not np.issubdtype(arr.dtype, np.floating):
            raise UnknownLabelError(f"Label map has non-numeric dtype {arr.dtype}; {what}.")
        bad = ~np.isfinite(arr)
        if bad.any():
            raise UnknownLabelError(
                f"Label map holds NaN/Inf values, which are not in {what}. "
                "Fix: re-export the segmentation as an integer image."
            )
        rounded = np.rint(arr)
        off = rounded != arr
        if off.any():
            vals = np.unique(arr[off])
            raise UnknownLabelError(
                f"Label map holds non-integer values {_fmt(vals)}, not in {what}. "
                "Fix: re-export the segmentation as an integer image (no interpolation)."
            )
        arr = rounded
    if arr.size and (arr.min() < 0 or arr.max() > 255):
        _raise_unknown(arr, allowed, what)
    out = table[arr.astype(np.intp, copy=False)] if arr.dtype != np.uint8 else table[arr]
    if (out == _INVALID).any():
        _raise_unknown(arr, allowed, what)
    return out


def _raise_unknown(arr: np.ndarray, allowed: tuple[int, ...], what: str) -> None:
    present = np.unique(arr)
    bad = np.array([v for v in present if int(v) not in allowed])
    fits = [c.value for c, m in _TO_INTERNAL.items() if {int(v) for v in present} <= set(m)]
    hint = f" The values present would fit the {' or '.join(fits)} convention." if fits else ""
    raise UnknownLabelError(
        f"Label values {_fmt(bad)} are not in {what} (allowed: "
        f"{', '.join(map(str, allowed))}).{hint} Fix: pass the label convention the "
        "file was made with, or correct the segmentation."
    )


def to_internal(label: np.ndarray, convention: LabelConvention | str) -> np.ndarray:
    """Convert a label map from ``convention`` to the internal one (uint8, 0/1/2/4)."""
    conv = as_convention(convention)
    return _apply(label, _TO_LUT[conv], convention_values(conv),
                  f"the {conv.value} label convention")


def from_internal(label: np.ndarray, convention: LabelConvention | str) -> np.ndarray:
    """Convert an internal label map (0/1/2/4) to ``convention`` (uint8)."""
    conv = as_convention(convention)
    return _apply(label, _FROM_LUT[conv], INTERNAL_LABELS,
                  "the internal (BraTS 2018) label convention")


def region_masks(label_internal: np.ndarray) -> dict[str, np.ndarray]:
    """Boolean masks of the scoring regions WT {1,2,4}, TC {1,4} and ET {4}."""
    lab = np.asarray(label_internal)
    ncr, ed, et = lab == 1, lab == 2, lab == 4
    tc = ncr | et
    return {"WT": tc | ed, "TC": tc, "ET": et}


def regions_to_labels(wt: np.ndarray, tc: np.ndarray, et: np.ndarray,
                      *, threshold: float = 0.5) -> np.ndarray:
    """Turn three overlapping region masks (WT, TC, ET) into an internal label map.

    ET where ``et``; else NCR where ``tc``; else ED where ``wt`` - so the result always
    nests ET ⊂ TC ⊂ WT. Floating inputs (sigmoid outputs) are thresholded at ``threshold``.
    """
    masks = []
    for m in (wt, tc, et):
        m = np.asarray(m)
        masks.append(m > threshold if np.issubdtype(m.dtype, np.floating) else m.astype(bool))
    if not (masks[0].shape == masks[1].shape == masks[2].shape):
        raise ShapeMismatchError(
            f"Region masks differ in shape: WT {masks[0].shape}, TC {masks[1].shape}, "
            f"ET {masks[2].shape}. Fix: pass the three channels of one prediction."
        )
    out = np.zeros(masks[0].shape, dtype=np.uint8)
    out[masks[0]] = 2
    out[masks[1]] = 1
    out[masks[2]] = 4
    return out
