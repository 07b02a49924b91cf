"""Hand-built facts shaped like the tools' outputs, for verifier and writer tests."""

from __future__ import annotations

import copy


def sample_facts(**changes) -> dict:
    facts = {
        "case": {"case_id": "Case_A", "synthetic": False, "has_ground_truth": True},
        "measurements": {
            "volumes_ml": {"NCR": 8.42, "ED": 61.3, "ET": 12.07, "TC": 20.49, "WT": 81.79},
            "lesions": {"count": 1, "count_including_specks": 2, "volumes_ml": [81.7]},
            "largest_axial_slice": {"region": "WT", "slice_index": 78, "area_mm2": 2211.0},
            "rano": {"region": "TC", "slice_index": 80, "cross_section_area_mm2": 612.0,
                     "longest_diameter_mm": 38.2, "perpendicular_diameter_mm": 24.9, "product_mm2": 951.2},
            "side": {"side": "left", "left_fraction": 0.982, "right_fraction": 0.018, "crosses_midline": False},
            "location": {"status": "known", "structures": [
                {"name": "frontal lobe", "kind": "lobe", "fraction_of_tumour": 0.62, "volume_ml": 50.7, "side": "left"},
                {"name": "insula", "kind": "lobe", "fraction_of_tumour": 0.11, "volume_ml": 9.0, "side": "left"}]},
        },
        "segmentation": {"scores_vs_truth": {"WT": 0.91, "TC": 0.84, "ET": 0.77}},
        "explanations": {
            "region": "WT", "slice_index": 78,
            "gradcam": {"method": "gradcam"},
            "integrated_gradients": {"method": "integrated_gradients", "dominant_sequence": "flair",
                                     "sequence_share": {"t1": 0.08, "t1ce": 0.21, "t2": 0.26, "flair": 0.45}},
            "slice": {"method": "slice", "stability": 0.83},
            "attention": {"method": "attention"},
        },
        "comparison": {
            "top_fraction": 0.1,
            "pairs": [{"pair": ["gradcam", "attention"], "spearman": 0.61, "iou_top10": 0.33, "verdict": "agree"},
                      {"pair": ["integrated_gradients", "slice"], "spearman": -0.12, "iou_top10": 0.02, "verdict": "disagree"}],
            "methods": [{"method": "gradcam", "energy_inside_region": 0.74, "max_inside_region": True, "deletion_auc": 0.21},
                        {"method": "slice", "energy_inside_region": 0.52, "max_inside_region": False, "deletion_auc": 0.4}],
            "disagreements": [{"pair": ["integrated_gradients", "slice"], "spearman": -0.12, "iou_top10": 0.02}],
            "most_agreeing_pair": ["gradcam", "attention"],
            "least_agreeing_pair": ["integrated_gradients", "slice"],
            "best_localised_method": "gradcam", "most_faithful_method": "gradcam",
        },
        "confidence": {
            "level": "moderate", "method_agreement": 0.245,
            "regions": {"WT": {"level": "high", "predicted_voxels": 81790, "mean_probability": 0.912,
                               "uncertain_fraction": 0.081, "tta_dice": 0.953},
                        "ET": {"level": "moderate", "predicted_voxels": 12070, "mean_probability": 0.781,
                               "uncertain_fraction": 0.22, "tta_dice": 0.81}},
            "reasons": [{"factor": "tta_dice_ET", "value": 0.81, "threshold": 0.9, "effect": "lowers"}],
        },
    }
    out = copy.deepcopy(facts)
    for path, value in changes.items():
        cur = out
        keys = path.split("__")
        for k in keys[:-1]:
            cur = cur[k]
        cur[keys[-1]] = value
    return out
