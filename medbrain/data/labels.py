"""Re-export of :mod:`medbrain.labels`, where the label conventions now live (bottom layer,
shared by data and metrics). Kept only because ``medbrain/agent/graph.py`` imports
``region_masks`` from here; new code imports ``medbrain.labels``."""

from medbrain.labels import (  # noqa: F401
    INTERNAL_LABELS,
    REGION_LABELS,
    REGIONS,
    SUBREGION_LABELS,
    LabelConvention,
    as_convention,
    convention_values,
    from_internal,
    region_masks,
    regions_to_labels,
    to_internal,
)
