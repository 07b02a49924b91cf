"""Score a folder of predicted label maps against a folder of truth (``medbrain score``).

Predictions (``pred_dir``, one level deep), matched to truth by case id:

* files ``<case_id>.nii.gz``, ``<case_id>_pred.nii.gz``, ``<case_id>_seg.nii.gz`` or
  ``<case_id>-seg.nii.gz`` (``.nii`` also accepted);
* or case folders ``<case_id>/`` holding one of those names (``_pred`` wins over
  ``_seg``/``-seg``, which win over the plain name).

Truth (``truth_dir``): a data root that :func:`medbrain.data.discovery.find_cases`
understands (BraTS 2018-2021, BraTS 2023+, MSD Task01), and/or label files
``<case_id>_seg.nii.gz`` (BraTS 2018 convention) / ``<case_id>-seg.nii.gz`` (BraTS 2023
convention) anywhere under it, e.g. a flat folder of labels.

Label conventions: the truth's convention comes from its layout (override with
``truth_convention``); predictions are read **in the truth's convention** unless
``pred_convention`` is given. Both are converted to the internal one (0/1/2/4) before
scoring. HD95 uses the truth header's voxel spacing (mm).

Cases on one side only are not dropped silently: they are returned in
:class:`ScoreResult` (``missing_predictions``, ``unmatched_predictions``); if no case
matches at all a :class:`~medbrain.errors.CaseNotFoundError` is raised.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from rich.markup import escape
from rich.table import Table

from medbrain.data.discovery import find_cases
from medbrain.data.nifti import open_nifti, read_data, spatial_shape
from medbrain.errors import CaseNotFoundError, ShapeMismatchError, UnknownLabelError
from medbrain.labels import LabelConvention, as_convention, to_internal
from medbrain.metrics import DICE_KEYS, HD95_KEYS, LESION_KEYS, REGIONS, SCORE_KEYS, lesionwise_scores, mean_scores, score_labels

#: File names written by :func:`write_scores` (in ``out_dir``).
CSV_NAME = "scores.csv"
JSON_NAME = "scores.json"
#: ``case_id`` of the mean row in the CSV and the table.
MEAN_ROW_ID = "mean"

_NIFTI = re.compile(r"\.nii(?:\.gz)?$", re.IGNORECASE)
_PRED_SUFFIXES: tuple[str, ...] = ("_pred", "_seg", "-seg", "")  # priority order
_TRUTH_LABEL = re.compile(r"^(?P<id>.+?)(?P<sep>[_-])seg\.nii(?:\.gz)?$", re.IGNORECASE)
_LOOSE_CONVENTION = {"_": LabelConvention.BRATS2018, "-": LabelConvention.BRATS2023}


@dataclass
class ScoreResult:
    """Per-case rows of matched cases, and the cases found on one side only."""

    rows: list[dict[str, Any]]
    #: Truth cases (with a label) for which no prediction was found.
    missing_predictions: list[str] = field(default_factory=list)
    #: Predictions whose case id has no truth label.
    unmatched_predictions: list[str] = field(default_factory=list)
    #: Truth cases found without a label file (cannot be scored).
    unlabelled_truth: list[str] = field(default_factory=list)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def mean(self) -> dict[str, float]:
        """Mean of every metric over the scored cases."""
        return mean_scores(self.rows)


@dataclass(frozen=True)
class _Truth:
    path: Path
    convention: LabelConvention


def _visible(p: Path) -> bool:
    return not p.name.startswith(".")


def _strip_nifti(name: str) -> str:
    return _NIFTI.sub("", name)


def find_predictions(pred_dir: str | Path) -> dict[str, Path]:
    """Case id -> prediction file under ``pred_dir`` (see the module docstring for names)."""
    root = Path(pred_dir).expanduser()
    if not root.is_dir():
        raise CaseNotFoundError(f"Prediction folder {root} does not exist or is not a folder.")
    found: dict[str, Path] = {}

    def add(case_id: str, path: Path) -> None:
        if case_id in found:
            raise CaseNotFoundError(
                f"Two predictions for case {case_id}: {found[case_id]} and {path}. "
                "Fix: keep exactly one prediction per case."
            )
        found[case_id] = path

    for entry in sorted(root.iterdir()):
        if not _visible(entry):
            continue
        if entry.is_file() and _NIFTI.search(entry.name):
            stem = _strip_nifti(entry.name)
            suffix = next(s for s in _PRED_SUFFIXES if stem.endswith(s) and len(stem) > len(s))
            add(stem[: len(stem) - len(suffix)] if suffix else stem, entry)
        elif entry.is_dir():
            case_id = entry.name
            for suffix in _PRED_SUFFIXES:
                hits = [entry / f"{case_id}{suffix}{ext}" for ext in (".nii.gz", ".nii")]
                hit = next((h for h in hits if h.is_file()), None)
                if hit is not None:
                    add(case_id, hit)
                    break
    return found


def find_truth(
    truth_dir: str | Path, truth_convention: LabelConvention | str | None = None
) -> tuple[dict[str, _Truth], list[str]]:
    """Case id -> truth label (path + convention), and ids of cases without a label."""
    root = Path(truth_dir).expanduser()
    if not root.is_dir():
        raise CaseNotFoundError(f"Truth folder {root} does not exist or is not a folder.")
    forced = as_convention(truth_convention) if truth_convention is not None else None
    truth: dict[str, _Truth] = {}
    unlabelled: list[str] = []

    def add(case_id: str, path: Path, convention: LabelConvention) -> None:
        old = truth.get(case_id)
        if old is not None and old.path.resolve() != path.resolve():
            raise CaseNotFoundError(
                f"Two truth labels for case {case_id}: {old.path} and {path}. "
                "Fix: keep one label per case id under the truth folder."
            )
        truth.setdefault(case_id, _Truth(path, forced or convention))

    try:
        cases = find_cases(root, strict=False)
    except CaseNotFoundError:
        cases = []  # maybe a flat folder of label files; scanned below
    for case in cases:
        if case.label is None:
            unlabelled.append(case.case_id)
        else:
            add(case.case_id, case.label, case.convention)
    # Loose label files (flat folders, or case folders holding only the label).
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            m = _TRUTH_LABEL.match(name)
            if m and not name.startswith("."):
                add(m["id"], Path(dirpath) / name, _LOOSE_CONVENTION[m["sep"]])
    unlabelled = sorted(set(unlabelled) - set(truth))
    return truth, unlabelled


def _read_label(path: Path) -> tuple[np.ndarray, tuple[float, ...]]:
    """Label array (3-D) and its voxel spacing from the header."""
    img = open_nifti(path)
    data = read_data(img, path, dtype=None)
    shape = spatial_shape(img)
    data = data.reshape(shape)
    spacing = tuple(float(z) for z in img.header.get_zooms()[: len(shape)])
    return data, spacing


def score_case(
    case_id: str,
    pred_path: Path,
    truth_path: Path,
    truth_convention: LabelConvention | str,
    pred_convention: LabelConvention | str | None = None,
) -> dict[str, Any]:
    """Score one prediction file against one truth label file; row = case_id + metrics."""
    truth_raw, spacing = _read_label(truth_path)
    pred_raw, _ = _read_label(pred_path)
    if pred_raw.shape != truth_raw.shape:
        raise ShapeMismatchError(
            f"Case {case_id}: prediction {pred_path} has shape {pred_raw.shape} but truth "
            f"{truth_path} has shape {truth_raw.shape}. Fix: write the prediction on the "
            "truth's voxel grid (same geometry as the input images)."
        )
    pconv = pred_convention if pred_convention is not None else truth_convention
    try:
        truth = to_internal(truth_raw, truth_convention)
    except UnknownLabelError as err:
        raise UnknownLabelError(f"Case {case_id}, truth {truth_path}: {err}") from None
    try:
        pred = to_internal(pred_raw, pconv)
    except UnknownLabelError as err:
        raise UnknownLabelError(
            f"Case {case_id}, prediction {pred_path} (read as {as_convention(pconv).value}): {err}"
        ) from None
    return {"case_id": case_id, **score_labels(pred, truth, spacing), **lesionwise_scores(pred, truth, spacing)}


def score_directories(
    pred_dir: str | Path,
    truth_dir: str | Path,
    *,
    pred_convention: LabelConvention | str | None = None,
    truth_convention: LabelConvention | str | None = None,
) -> ScoreResult:
    """Score every prediction in ``pred_dir`` that has a truth label in ``truth_dir``.

    Returns a :class:`ScoreResult` (iterable over its per-case rows, sorted by case id).
    Raises CaseNotFoundError when no prediction matches a truth case.
    """
    preds = find_predictions(pred_dir)
    truth, unlabelled = find_truth(truth_dir, truth_convention)
    matched = sorted(set(preds) & set(truth))
    if not matched:
        def sample(ids: Sequence[str]) -> str:
            ids = sorted(ids)
            return ", ".join(ids[:5]) + (f", ... ({len(ids)} in all)" if len(ids) > 5 else "") or "none"

        raise CaseNotFoundError(
            f"No prediction in {pred_dir} matches a labelled truth case in {truth_dir}. "
            f"Prediction ids: {sample(list(preds))}. Truth ids: {sample(list(truth))}. "
            "Fix: name predictions <case_id>.nii.gz, <case_id>_pred.nii.gz or "
            "<case_id>_seg.nii.gz (or put them in <case_id>/ folders)."
        )
    rows = [
        score_case(cid, preds[cid], truth[cid].path, truth[cid].convention, pred_convention)
        for cid in matched
    ]
    return ScoreResult(
        rows=rows,
        missing_predictions=sorted(set(truth) - set(preds)),
        unmatched_predictions=sorted(set(preds) - set(truth)),
        unlabelled_truth=unlabelled,
    )


# --- output -------------------------------------------------------------------------


def _columns(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    extra: list[str] = []
    for row in rows:
        extra += [k for k in row if k != "case_id" and k not in SCORE_KEYS and k not in extra]
    present = {k for row in rows for k in row}
    lesion = [k for keys in LESION_KEYS.values() for k in keys]
    extra = [k for k in extra if k not in lesion]
    return ["case_id", *(k for k in SCORE_KEYS if k in present), *(k for k in lesion if k in present), *extra]


def _json_safe(value: Any) -> Any:
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    return value


def _atomic_write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_scores(
    rows: Sequence[Mapping[str, Any]] | ScoreResult,
    out_dir: str | Path,
    *,
    missing_predictions: Sequence[str] = (),
    unmatched_predictions: Sequence[str] = (),
) -> tuple[Path, Path]:
    """Write ``scores.csv`` (per-case rows + a ``mean`` row) and ``scores.json``; return both paths.

    JSON layout: ``{"n_cases", "cases": [rows], "mean": {metric: value},
    "missing_predictions", "unmatched_predictions", "unlabelled_truth"}``. Passing a
    ScoreResult fills the three lists from it. Files are written atomically.
    """
    unlabelled: Sequence[str] = ()
    if isinstance(rows, ScoreResult):
        missing_predictions = missing_predictions or rows.missing_predictions
        unmatched_predictions = unmatched_predictions or rows.unmatched_predictions
        unlabelled = rows.unlabelled_truth
        rows = rows.rows
    out = Path(out_dir).expanduser()
    out.mkdir(parents=True, exist_ok=True)
    mean = mean_scores(rows)
    columns = _columns(rows)

    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    if rows:
        writer.writerow({"case_id": MEAN_ROW_ID, **mean})
    csv_path = out / CSV_NAME
    _atomic_write(csv_path, buf.getvalue())

    payload = {
        "n_cases": len(rows),
        "cases": [{k: _json_safe(v) for k, v in row.items()} for row in rows],
        "mean": {k: _json_safe(v) for k, v in mean.items()},
        "missing_predictions": list(missing_predictions),
        "unmatched_predictions": list(unmatched_predictions),
        "unlabelled_truth": list(unlabelled),
    }
    json_path = out / JSON_NAME
    _atomic_write(json_path, json.dumps(payload, indent=2) + "\n")
    return csv_path, json_path


def _fmt(value: Any, digits: int) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    return f"{float(value):.{digits}f}"


def scores_table(rows: Sequence[Mapping[str, Any]] | ScoreResult, title: str | None = "Segmentation scores") -> Table:
    """Rich table: one line per case with WT/TC/ET Dice and HD95 (mm), then a bold mean line."""
    if isinstance(rows, ScoreResult):
        rows = rows.rows
    table = Table(title=escape(title) if title else title)
    table.add_column("Case")
    for r in REGIONS:
        table.add_column(f"Dice {r}", justify="right")
    for r in REGIONS:
        table.add_column(f"HD95 {r} (mm)", justify="right")
    lesion_wise = any(LESION_KEYS["WT"][0] in row for row in rows)
    if lesion_wise:
        for r in REGIONS:
            table.add_column(f"LW Dice {r}", justify="right")
        table.add_column("missed / spurious ET", justify="right")

    def cells(row: Mapping[str, Any]) -> list[str]:
        out = [_fmt(row.get(DICE_KEYS[r]), 3) for r in REGIONS] + [_fmt(row.get(HD95_KEYS[r]), 2) for r in REGIONS]
        if lesion_wise:
            out += [_fmt(row.get(LESION_KEYS[r][0]), 3) for r in REGIONS]
            missed, spurious = row.get(LESION_KEYS["ET"][3]), row.get(LESION_KEYS["ET"][4])
            out.append("-" if missed is None else f"{_fmt(missed, 0 if float(missed).is_integer() else 1)} / "
                                                  f"{_fmt(spurious, 0 if float(spurious).is_integer() else 1)}")
        return out

    for i, row in enumerate(rows):
        table.add_row(escape(str(row.get("case_id", ""))), *cells(row), end_section=i == len(rows) - 1)
    if rows:
        table.add_row(f"{MEAN_ROW_ID} (n={len(rows)})", *cells(mean_scores(rows)), style="bold")
    return table
