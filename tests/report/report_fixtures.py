"""A realistic ReportDocument for the report tests, with hostile text where text is untrusted."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.image import imsave

from medbrain.report.document import SECTION_TITLES, ReportDocument, Section

SCRIPT = "<script>alert(1)</script>"
ONERROR = '<img src=x onerror="alert(2)">'
MAGENTA = (1.0, 0.0, 1.0)

FACTS = {
    "case": {"case_id": "Brats18_2013_11_1", "synthetic": False},
    "measurements": {
        "volumes_ml": {"NCR": 10.12, "ED": 40.5, "ET": 12.3, "TC": 22.42, "WT": 62.92},
        "lesions": {"count": 1, "count_including_specks": 2},
        "largest_axial_slice": {"region": "WT", "slice_index": 88, "area_mm2": 2301.0},
        "rano": {"region": "TC", "slice_index": 90, "longest_diameter_mm": 41.2,
                 "perpendicular_diameter_mm": 30.1, "product_mm2": 1240.1},
        "side": {"side": "left", "left_fraction": 0.97, "right_fraction": 0.03, "crosses_midline": False},
        "location": {"status": "known", "lobes": ["frontal", "parietal"], "primary_lobe": "frontal",
                     "structures": [{"name": "Frontal lobe", "fraction_of_tumour": 0.61},
                                    {"name": "Parietal lobe", "fraction_of_tumour": 0.3}]},
    },
    "comparison": {
        "best_localised_method": "gradcam", "most_faithful_method": "integrated_gradients",
        "mean_pairwise_spearman": 0.41, "most_agreeing_pair": ["gradcam", "attention"],
        "methods": [{"method": "gradcam", "energy_inside_region": 0.8, "deletion_auc": 0.2,
                     "deletion_curve": {"fraction_removed": [0.0, 0.5]}},
                    {"method": "integrated_gradients", "energy_inside_region": 0.6, "deletion_auc": 0.1}],
    },
    "confidence": {"level": "high", "mean_probability_wt": 0.91},
}


def magenta_png(path: Path, shape: tuple[int, int] = (150, 300)) -> Path:
    """A PNG that is one saturated magenta block, easy to find in a screenshot."""
    img = np.zeros((*shape, 3))
    img[...] = MAGENTA
    imsave(path, img)
    return path


def make_doc(tmp_path: Path, *, synthetic: bool = True, hostile: bool = True, figures: int = 1) -> ReportDocument:
    """Four sections (llm verified, grounded, llm unverified, grounded-fallback)."""
    bad = f" Injected: {SCRIPT} and {ONERROR}" if hostile else ""
    sources = [("llm", True, []), ("grounded", True, []),
               ("llm", False, [f"WT 99 mL{bad}"]), ("grounded-fallback", True, ["lesion in the right lobe"])]
    sections = [
        Section(key=key, title=title,
                text=f"The whole tumour measures **62.92 mL** on the left.\n\n- ET 12.3 mL\n- TC 22.42 mL\n\n{bad}",
                source=src, verified=ok, unsupported_claims=claims)
        for (key, title), (src, ok, claims) in zip(SECTION_TITLES.items(), sources)
    ]
    figs = [magenta_png(tmp_path / f"montage_{i}.png") for i in range(figures)]
    return ReportDocument(
        case_id=f"Brats18_2013_11_1{SCRIPT if hostile else ''}",
        sections=sections,
        patient_summary=f"A growth was found on the **left** side of the brain.{bad}",
        facts=FACTS,
        figures=figs,
        provenance={"checkpoint_sha256": "ab" * 32, "package_versions": {"torch": "2.14.1"},
                    "backend": "none", "model": None, "seed": 0, "timings_s": {"segment": 1.5}},
        synthetic=synthetic,
        segmentation_scores={"WT": 0.912, "TC": 0.85, "ET": 0.803},
        verifier={"claims_checked": 23, "unsupported": 1, "revisions": 2},
        warnings=["FLAIR has low contrast"],
    )
