"""A compact view of the facts for the LLM prompt.

The full facts of a real BraTS case are ~14-18 KB of JSON, about 8,100-8,800 SmolLM2 tokens
with the prompt — more than a small model's context window. The report graph therefore
sends the compact view to the model (the full facts stay one ``get_facts`` tool call away).
:func:`compact_facts` keeps what a report cites (the fields the grounded writer reads,
plus every ``case`` field so header-text injections still reach the model) and drops
bulky internals (deletion curves, thresholds, definitions, map statistics, settings,
per-region reason lists, superpixel tables). It adds no value, so anything a text cites
from it is also in the full facts the verifier checks against.

The verifier, the grounded fallback and the eval graders always use the full facts.
``run_eval(..., facts_view="full")`` sends the full facts instead, for comparison.
"""

from __future__ import annotations

from typing import Any, Callable

from medbrain.agent.facts import get


def _pick(d: dict | None, keys: tuple[str, ...]) -> dict[str, Any]:
    return {k: d[k] for k in keys if isinstance(d, dict) and k in d and d[k] is not None}


def compact_facts(facts: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"case": dict(facts.get("case") or {})}
    scores = get(facts, "segmentation", "scores_vs_truth")
    if scores:
        out["segmentation"] = {"scores_vs_truth": scores}
    m = facts.get("measurements") or {}
    if m:
        loc = m.get("location") or {}
        out["measurements"] = {
            "volumes_ml": m.get("volumes_ml"),
            "lesion_count": get(m, "lesions", "count"),
            "largest_axial_slice": m.get("largest_axial_slice"),
            "rano": _pick(m.get("rano"), ("region", "slice_index", "longest_diameter_mm",
                                          "perpendicular_diameter_mm", "product_mm2")),
            "side": _pick(m.get("side"), ("side", "left_fraction", "right_fraction", "crosses_midline")),
            "location": {**_pick(loc, ("status", "reason", "primary_lobe")),
                         "structures": [_pick(s, ("name", "fraction_of_tumour")) for s in loc.get("structures") or []]},
        }
    expl = facts.get("explanations") or {}
    if expl:
        view: dict[str, Any] = _pick(expl, ("region", "slice_index"))
        for method in ("gradcam", "integrated_gradients", "slice", "attention"):
            if method in expl:
                view[method] = _pick(expl[method], ("dominant_sequence", "sequence_share"))
                stability = expl[method].get("stability")
                if isinstance(stability, (int, float)):
                    view[method]["stability"] = stability
                elif isinstance(stability, dict):  # SLICE reports a dict: keep its verdicts
                    view[method]["stability"] = _pick(stability, ("reliable", "fidelity_adjusted_r2", "consistent"))
        shapley = (expl.get("shapley") or {}).get("regions") or {}
        if shapley:
            view["shapley"] = {"regions": {r: _pick(v, ("share", "dominant_sequence")) for r, v in shapley.items()}}
        out["explanations"] = view
    comp = facts.get("comparison") or {}
    if comp:
        out["comparison"] = {
            "methods": [{**_pick(x, ("method", "energy_inside_region", "max_inside_region", "deletion_auc", "insertion_auc")),
                         **({"consistency": _pick(x["consistency"], ("test", "consistent", "spearman_abs"))}
                            if isinstance(x.get("consistency"), dict) else {})}
                        for x in comp.get("methods") or []],
            "pairs": [_pick(p, ("pair", "spearman", "iou_top10", "verdict")) for p in comp.get("pairs") or []],
            **_pick(comp, ("most_agreeing_pair", "least_agreeing_pair", "best_localised_method",
                           "most_faithful_method", "mean_pairwise_spearman", "faithfulness_verdict",
                           "localisation_verdict", "not_beating_random")),
        }
        rand = comp.get("randomisation")
        if isinstance(rand, dict):
            out["comparison"]["randomisation"] = _pick(rand, ("run", "passed", "failed", "untestable"))
    conf = facts.get("confidence") or {}
    if conf:
        out["confidence"] = {
            **_pick(conf, ("level", "method_agreement", "calibrated", "likely_undersegmented_regions",
                           "possibly_missed_regions")),
            "regions": {r: _pick(rc, ("level", "predicted_voxels", "mean_probability", "uncertain_fraction", "tta_dice"))
                        for r, rc in (conf.get("regions") or {}).items()},
            "lowered_by": [_pick(r, ("factor", "value", "threshold")) for r in conf.get("reasons") or []
                           if r.get("effect") == "lowers"],
        }
    return out


FACT_VIEWS: dict[str, Callable[[dict[str, Any]], dict[str, Any]] | None] = {"full": None, "compact": compact_facts}
"""``full`` = what the report graph sends (all facts); ``compact`` = :func:`compact_facts`."""

__all__ = ["FACT_VIEWS", "compact_facts"]
