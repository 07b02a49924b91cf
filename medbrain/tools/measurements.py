"""What the ``measure`` tool reports, and the constants that define its numbers.

The result records (:class:`Measurements` and its parts: RANO-style
:class:`Bidimensional` diameters, the hemisphere :class:`Side`, the atlas
:class:`Location` with one :class:`StructureShare` a structure) each turn themselves
into JSON-ready, rounded numbers. The thresholds that define lesions, bilateral tumours,
midline crossing and structure involvement live here too, because the report embeds
them (``definitions``) next to the numbers they define; see :mod:`medbrain.tools.measure`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from medbrain.tools.atlas import ATLAS_SOURCE

MIN_LESION_VOXELS = 10
BILATERAL_MIN_FRACTION = 0.10
MIDLINE_MARGIN_MM = 5.0
MIDLINE_CROSS_MIN_ML = 0.05
MIN_INVOLVED_FRACTION = 0.01
DEFINITIONS: dict[str, Any] = {
    "lesion_connectivity": 26,
    "min_lesion_voxels": MIN_LESION_VOXELS,
    "rano_region": "TC if present, else WT",
    "bilateral_min_fraction": BILATERAL_MIN_FRACTION,
    "midline_margin_mm": MIDLINE_MARGIN_MM,
    "midline_cross_min_ml": MIDLINE_CROSS_MIN_ML,
    "min_involved_fraction": MIN_INVOLVED_FRACTION,
}


def _r(value: float | None, ndigits: int) -> float | None:
    return None if value is None else round(float(value), ndigits)


@dataclass
class Bidimensional:
    """RANO-style longest axial diameter, its perpendicular and their product."""

    region: str
    slice_index: int  # along the input array's axial axis
    area_mm2: float  # area of the measured cross-section
    longest_diameter_mm: float
    perpendicular_diameter_mm: float

    @property
    def product_mm2(self) -> float:
        return self.longest_diameter_mm * self.perpendicular_diameter_mm

    def to_dict(self) -> dict[str, Any]:
        return {
            "region": self.region,
            "slice_index": int(self.slice_index),
            "cross_section_area_mm2": _r(self.area_mm2, 1),
            "longest_diameter_mm": _r(self.longest_diameter_mm, 1),
            "perpendicular_diameter_mm": _r(self.perpendicular_diameter_mm, 1),
            "product_mm2": _r(self.product_mm2, 1),
        }


@dataclass
class StructureShare:
    """Share of the tumour inside one atlas structure."""

    name: str
    kind: str
    fraction_of_tumour: float
    volume_ml: float
    side: str  # side of the tumour part inside this structure

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind,
                "fraction_of_tumour": _r(self.fraction_of_tumour, 3),
                "volume_ml": _r(self.volume_ml, 2), "side": self.side}


@dataclass
class Location:
    """Atlas location of the whole tumour, or why it is unknown."""

    status: str  # "known" | "unknown"
    reason: str | None = None
    structures: list[StructureShare] = field(default_factory=list)
    fraction_outside_structures: float | None = None

    @property
    def lobes(self) -> list[str]:
        return [s.name for s in self.structures if s.kind == "lobe"]

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "reason": self.reason,
            "atlas": ATLAS_SOURCE if self.status == "known" else None,
            "region": "WT",
            "lobes": self.lobes,
            "primary_lobe": self.lobes[0] if self.lobes else None,
            "structures": [s.to_dict() for s in self.structures],
            "fraction_outside_atlas_structures": _r(self.fraction_outside_structures, 3),
        }


@dataclass
class Side:
    """Hemisphere of the tumour relative to the mid-sagittal plane."""

    side: str  # "left" | "right" | "bilateral" | "none"
    left_fraction: float
    right_fraction: float
    crosses_midline: bool
    contralateral_extent_mm: float
    midline_x_mm: float
    midline_source: str

    def to_dict(self) -> dict[str, Any]:
        return {"side": self.side, "left_fraction": _r(self.left_fraction, 3),
                "right_fraction": _r(self.right_fraction, 3),
                "crosses_midline": bool(self.crosses_midline),
                "contralateral_extent_mm": _r(self.contralateral_extent_mm, 1),
                "midline_x_mm": _r(self.midline_x_mm, 2), "midline_source": self.midline_source}


@dataclass
class Measurements:
    """Everything ``measure_tumour`` reports; ``to_dict()`` is JSON-ready."""

    volumes_ml: dict[str, float]
    lesion_volumes_ml: list[float]
    lesion_count_including_specks: int
    largest_axial_slice: tuple[int, float] | None  # (input slice index, WT area mm²)
    rano: Bidimensional | None
    wt_bidimensional: Bidimensional | None
    centroid_voxel: tuple[float, float, float] | None
    centroid_world_mm: tuple[float, float, float] | None
    side: Side
    location: Location
    spacing_mm: tuple[float, float, float]
    orientation: str
    axial_axis: int

    @property
    def lesion_count(self) -> int:
        return len(self.lesion_volumes_ml)

    def to_dict(self) -> dict[str, Any]:
        slice_ = self.largest_axial_slice
        return {
            "voxel_spacing_mm": [_r(s, 3) for s in self.spacing_mm],
            "orientation": self.orientation,
            "axial_axis": int(self.axial_axis),
            "volumes_ml": {k: _r(v, 2) for k, v in self.volumes_ml.items()},
            "lesions": {
                "count": self.lesion_count,
                "count_including_specks": int(self.lesion_count_including_specks),
                "min_lesion_voxels": MIN_LESION_VOXELS,
                "volumes_ml": [_r(v, 2) for v in self.lesion_volumes_ml],
            },
            "largest_axial_slice": None if slice_ is None else {
                "region": "WT", "slice_index": int(slice_[0]), "area_mm2": _r(slice_[1], 1)},
            "rano": None if self.rano is None else self.rano.to_dict(),
            "wt_bidimensional": None if self.wt_bidimensional is None
            else self.wt_bidimensional.to_dict(),
            "centroid": None if self.centroid_voxel is None else {
                "region": "WT",
                "voxel": [_r(c, 1) for c in self.centroid_voxel],
                "world_mm": [_r(c, 1) for c in self.centroid_world_mm or ()],
                "world_frame": "RAS+ (nibabel: +x right, +y anterior, +z superior)",
            },
            "side": self.side.to_dict(),
            "location": self.location.to_dict(),
            "definitions": dict(DEFINITIONS),
        }
