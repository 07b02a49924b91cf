"""Load and validate a case into memory, keeping the stored array orientation."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import nibabel as nib
import numpy as np

from medbrain.data.checks import check_spatial_size
from medbrain.data.discovery import MODALITIES, MSD_CHANNELS, CaseFiles, resolve_case
from medbrain.data.nifti import open_nifti, read_data, spatial_shape
from medbrain.data.quality import background_warnings, check_values
from medbrain.errors import (
    GeometryMismatchError,
    InvalidImageError,
    ShapeMismatchError,
    UnknownLabelError,
)
from medbrain.labels import to_internal

AFFINE_TOLERANCE = 1e-3


@dataclass
class Case:
    """One case in memory: 4 modalities (t1, t1ce, t2, flair; a missing one is all zeros), optional internal labels."""

    case_id: str
    images: np.ndarray = field(repr=False)  # float32 (4, X, Y, Z) in MODALITIES order
    label: np.ndarray | None = field(repr=False)  # uint8 (X, Y, Z), internal convention
    affine: np.ndarray = field(repr=False)  # (4, 4) float64, voxel -> world (RAS mm)
    header: nib.Nifti1Header = field(repr=False)  # clean 3-D geometry header (no text fields)
    files: CaseFiles
    warnings: list[str] = field(default_factory=list)  # problems worth a reader's attention

    @property
    def spacing(self) -> tuple[float, float, float]:
        """Voxel size in mm along the three array axes (column norms of the affine)."""
        x, y, z = np.linalg.norm(np.asarray(self.affine)[:3, :3], axis=0)
        return (float(x), float(y), float(z))

    @property
    def voxel_volume_ml(self) -> float:
        """Volume of one voxel in millilitres: |det| of the affine's 3x3 part / 1000."""
        return abs(float(np.linalg.det(np.asarray(self.affine)[:3, :3]))) / 1000.0

    @property
    def shape(self) -> tuple[int, int, int]:
        """Spatial shape (X, Y, Z)."""
        x, y, z = self.images.shape[1:]
        return (int(x), int(y), int(z))

    @property
    def sequences(self) -> tuple[str, ...]:
        """The sequences read from disk (a missing one is all zeros in ``images``)."""
        return self.files.sequences

    def modality(self, name: str) -> np.ndarray:
        """The (X, Y, Z) volume of one modality ("t1", "t1ce", "t2" or "flair")."""
        return self.images[MODALITIES.index(name)]


def _check_shape(what: str, path: Path, shape: tuple, ref_what: str, ref_path: Path,
                 ref_shape: tuple) -> None:
    if tuple(shape) != tuple(ref_shape):
        raise ShapeMismatchError(
            f"Shape mismatch: the {what} {path} has shape {tuple(shape)} but the {ref_what} "
            f"{ref_path} has shape {tuple(ref_shape)}. Fix: resample all images and the "
            "label of a case onto one grid (e.g. co-register to the t1 image)."
        )


def _check_affine(what: str, path: Path, affine: np.ndarray, ref_what: str, ref_path: Path,
                  ref_affine: np.ndarray) -> None:
    diff = float(np.max(np.abs(affine - ref_affine)))
    if not diff <= AFFINE_TOLERANCE:
        raise GeometryMismatchError(
            f"Affine mismatch: the {what} {path} and the {ref_what} {ref_path} disagree by "
            f"{diff:.4g} (tolerance {AFFINE_TOLERANCE}).\n{what} affine:\n"
            f"{np.array2string(affine, precision=4)}\n{ref_what} affine:\n"
            f"{np.array2string(ref_affine, precision=4)}\nFix: register/resample the images "
            "of a case into the same space (BraTS cases share the SRI24 grid)."
        )


def _load_folder(files: CaseFiles) -> tuple[np.ndarray, np.ndarray, nib.Nifti1Header]:
    """The sequences present, checked against the first one; a missing sequence is all zeros."""
    present = files.sequences
    imgs = {m: open_nifti(files.images[m], f"{m} image") for m in present}
    for m, img in imgs.items():
        shape = spatial_shape(img)
        if len(shape) != 3:
            raise InvalidImageError(
                f"The {m} image {files.images[m]} is {len(shape)}-D with shape {shape}; each "
                "modality of a BraTS case must be a 3-D volume. Fix: pass one 3-D volume per "
                "sequence (4-D multi-channel images belong in an MSD imagesTr/ folder)."
            )
        check_spatial_size(shape, files.images[m], f"{m} image")
    ref = present[0]
    ref_path, ref_img = files.images[ref], imgs[ref]
    for m in present[1:]:
        _check_shape(f"{m} image", files.images[m], spatial_shape(imgs[m]),
                     f"{ref} image", ref_path, spatial_shape(ref_img))
    for m in present[1:]:
        _check_affine(f"{m} image", files.images[m], imgs[m].affine,
                      f"{ref} image", ref_path, ref_img.affine)
    shape = spatial_shape(ref_img)
    images = np.zeros((len(MODALITIES), *shape), dtype=np.float32)
    for m in present:
        data = read_data(imgs[m], files.images[m]).reshape(shape)
        check_values(m, files.images[m], data)
        images[MODALITIES.index(m)] = data
    return images, ref_img.affine.astype(np.float64), geometry_header(ref_img, shape)


def _load_msd(files: CaseFiles) -> tuple[np.ndarray, np.ndarray, nib.Nifti1Header]:
    path = files.images[MODALITIES[0]]
    img = open_nifti(path, "MSD image")
    shape = spatial_shape(img)
    if len(shape) != 4 or shape[3] != len(MSD_CHANNELS):
        raise InvalidImageError(
            f"The MSD image {path} has shape {shape}; an MSD Task01 image must be 4-D with "
            "4 channels (FLAIR, T1w, T1gd, T2w). Fix: pass the 4-D image from imagesTr/."
        )
    check_spatial_size(shape, path, "MSD image")
    data = read_data(img, path)
    images = np.empty((len(MODALITIES), *shape[:3]), dtype=np.float32)
    for i, m in enumerate(MODALITIES):
        images[i] = data[..., MSD_CHANNELS[m]]
        check_values(f"{m} (channel {MSD_CHANNELS[m]})", path, images[i])
    return images, img.affine.astype(np.float64), geometry_header(img, shape[:3])


def geometry_header(img: nib.Nifti1Image, shape: tuple) -> nib.Nifti1Header:
    """A fresh 3-D header holding only geometry: shape, voxel size, units, qform/sform.

    Nothing else of the source header is kept: free-text fields (``descrip``, ``aux_file``,
    ``intent_name``, ``db_name``) and header extensions may carry patient data.
    """
    src = img.header
    hdr = nib.Nifti1Header()
    hdr.set_data_shape(tuple(int(s) for s in shape[:3]))
    hdr.set_zooms(tuple(float(z) for z in src.get_zooms()[:3]))
    space, _time = src.get_xyzt_units()
    hdr.set_xyzt_units(space or "mm")
    affine = img.affine
    hdr.set_qform(affine, code=int(src["qform_code"]) or int(src["sform_code"]) or 2)
    hdr.set_sform(affine, code=int(src["sform_code"]) or int(src["qform_code"]) or 2)
    return hdr


def _load_label(files: CaseFiles, shape: tuple, affine: np.ndarray) -> np.ndarray:
    path = files.label
    assert path is not None
    img = open_nifti(path, "label")
    ref_path = files.first_image
    ref_what = "MSD image" if files.is_4d else f"{files.sequences[0]} image"
    lshape = spatial_shape(img)
    if len(lshape) != 3:
        raise InvalidImageError(
            f"The label {path} is {len(lshape)}-D with shape {lshape}; a label map must be "
            "a 3-D volume. Fix: pass the segmentation of this case."
        )
    _check_shape("label", path, lshape, ref_what, ref_path, shape)
    _check_affine("label", path, img.affine, ref_what, ref_path, affine)
    raw = read_data(img, path, dtype=None).reshape(lshape)
    try:
        return to_internal(raw, files.convention)
    except UnknownLabelError as exc:
        raise UnknownLabelError(f"In the label file {path}: {exc}") from exc


def load_case(path_or_files: str | Path | CaseFiles, *, with_label: bool = True) -> Case:
    """Load a case (folder, MSD image path, or CaseFiles), validating every file.

    Arrays keep the stored orientation so outputs can be written back exactly.
    """
    files = path_or_files if isinstance(path_or_files, CaseFiles) else resolve_case(path_or_files)
    loader = _load_msd if files.is_4d else _load_folder
    images, affine, header = loader(files)
    label = None
    if with_label and files.label is not None:
        label = _load_label(files, images.shape[1:], affine)
    present = [MODALITIES.index(m) for m in files.sequences]
    warnings = background_warnings(images[present], files.sequences, f"case {files.case_id}")
    if files.missing:
        warnings.insert(0, missing_sequences_warning(files))
    return Case(files.case_id, images, label, affine, header, files, warnings)


def missing_sequences_warning(files: CaseFiles) -> str:
    """The reader-facing note for a case segmented without some sequences."""
    return (f"Case {files.case_id} has no {', '.join(files.missing)} image: it was segmented from "
            f"{', '.join(files.sequences)} only (the model was trained with sequences left out, but "
            "accuracy drops without them; see the expected accuracy for this subset). "
            "Pass --require-all to refuse such a case.")
