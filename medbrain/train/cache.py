"""Preprocessing cache so training epochs never decode NIfTI again.

Each case is stored as one compressed ``.npz`` (``allow_pickle=False`` on read): z-scored
images quantised to int8 (step 1/16 std, clipped at +-8 std), the brain mask bit-packed
and the internal label map, all cropped to the brain box. The 15 shared BraTS 2018 cases
take about 4 MB each, so a cache fits what the device tool can carry.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
from rich.progress import Progress

from medbrain.data.discovery import CaseFiles, find_cases
from medbrain.data.loading import load_case
from medbrain.data.preprocessing import preprocess
from medbrain.errors import CaseNotFoundError, MedBrainError

QUANT_SCALE = 16.0  # int8 step = 1/16 standard deviation
CACHE_VERSION = 1
MANIFEST = "manifest.json"


@dataclass
class CachedCase:
    """One preprocessed case held in memory for training or validation."""

    case_id: str
    images_q: np.ndarray  # (4, x, y, z) int8 quantised z-scores
    mask: np.ndarray  # (x, y, z) bool brain mask
    label: np.ndarray  # (x, y, z) uint8 internal labels
    spacing: tuple[float, float, float]

    def images(self) -> np.ndarray:
        """Dequantised float32 images."""
        return self.images_q.astype(np.float32) / QUANT_SCALE

    @cached_property
    def tumour_slices(self) -> np.ndarray:
        return np.flatnonzero((self.label > 0).any(axis=(0, 1)))

    @cached_property
    def et_slices(self) -> np.ndarray:
        """Axial slices holding enhancing tumour (label 4)."""
        return np.flatnonzero((self.label == 4).any(axis=(0, 1)))


def quantise(images: np.ndarray) -> np.ndarray:
    return np.clip(np.round(images * QUANT_SCALE), -127, 127).astype(np.int8)


def _atomic_savez(path: Path, **arrays: np.ndarray) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".npz")
    os.close(fd)
    np.savez_compressed(tmp, **arrays)
    os.replace(tmp, path)


def cache_case(files: CaseFiles, cache_dir: Path) -> dict:
    """Preprocess one labelled case into the cache; return its manifest entry."""
    case = load_case(files)
    if case.label is None:
        raise MedBrainError(f"{files.case_id}: no segmentation file; training needs labelled cases.")
    prep = preprocess(case)
    label = case.label[prep.box.slices]
    path = cache_dir / f"{case.case_id}.npz"
    _atomic_savez(
        path,
        images=quantise(prep.images),
        mask=np.packbits(prep.mask),
        label=label.astype(np.uint8),
        shape=np.array(prep.mask.shape),
        spacing=np.array(case.spacing, dtype=np.float64),
    )
    return {"case_id": case.case_id, "file": path.name, "shape": list(prep.mask.shape),
            "tumour_voxels": int((label > 0).sum()), "layout": files.layout}


def prepare_cache(data_root: str | Path, cache_dir: str | Path) -> Path:
    """Build (or extend) a cache from every labelled case under ``data_root``."""
    cache_dir = Path(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    cases = [c for c in find_cases(data_root) if c.label is not None]
    if not cases:
        raise CaseNotFoundError(f"No labelled cases under {data_root}; training needs segmentations.")
    entries = []
    with Progress() as progress:
        task = progress.add_task("Caching cases", total=len(cases))
        for files in cases:
            entries.append(cache_case(files, cache_dir))
            progress.advance(task)
    manifest = {"version": CACHE_VERSION, "quant_scale": QUANT_SCALE, "source": str(data_root), "cases": entries}
    fd, tmp = tempfile.mkstemp(dir=cache_dir, suffix=".json")
    with os.fdopen(fd, "w") as fh:
        json.dump(manifest, fh, indent=2)
    os.replace(tmp, cache_dir / MANIFEST)
    return cache_dir / MANIFEST


def read_manifest(cache_dir: str | Path) -> dict:
    path = Path(cache_dir) / MANIFEST
    if not path.is_file():
        raise CaseNotFoundError(f"{cache_dir} is not a training cache; run `medbrain train prepare DATA --cache {cache_dir}`.")
    manifest = json.loads(path.read_text())
    if manifest.get("version") != CACHE_VERSION:
        raise MedBrainError(f"{cache_dir}: cache version {manifest.get('version')} != {CACHE_VERSION}; prepare it again.")
    return manifest


def load_cached_case(cache_dir: str | Path, case_id: str) -> CachedCase:
    with np.load(Path(cache_dir) / f"{case_id}.npz", allow_pickle=False) as z:
        shape = tuple(int(s) for s in z["shape"])
        mask = np.unpackbits(z["mask"])[: int(np.prod(shape))].reshape(shape).astype(bool)
        return CachedCase(case_id, z["images"], mask, z["label"], tuple(float(s) for s in z["spacing"]))
