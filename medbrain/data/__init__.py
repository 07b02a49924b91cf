"""Data layer of MedBrainInsight: find, load, validate, preprocess and write BraTS cases."""

from medbrain.data.discovery import MODALITIES, CaseFiles, CaseProblem, find_cases, resolve_case, scan_cases
from medbrain.data.loading import Case, load_case
from medbrain.data.preprocessing import (
    CropBox,
    Preprocessed,
    bounding_box,
    brain_mask,
    crop,
    preprocess,
    restore,
    uncrop,
    zscore,
)
from medbrain.data.synthetic import make_synthetic_case, synthetic_case_in_memory
from medbrain.data.writing import atomic_write_nifti, save_label_map, save_volume
from medbrain.labels import (
    INTERNAL_LABELS,
    REGIONS,
    SUBREGION_LABELS,
    LabelConvention,
    from_internal,
    region_masks,
    regions_to_labels,
    to_internal,
)

__all__ = [
    "INTERNAL_LABELS", "MODALITIES", "REGIONS", "SUBREGION_LABELS",
    "Case", "CaseFiles", "CropBox", "LabelConvention", "Preprocessed",
    "CaseProblem", "atomic_write_nifti", "bounding_box", "brain_mask", "crop", "find_cases", "scan_cases",
    "from_internal", "load_case", "make_synthetic_case", "preprocess", "region_masks",
    "regions_to_labels", "resolve_case", "restore", "save_label_map", "save_volume",
    "synthetic_case_in_memory", "to_internal", "uncrop", "zscore",
]
