"""Section 2 of the grounded writer: what each explanation method showed, and whether it earned it.

Every sentence follows from a stored fact: faithfulness as deletion and insertion AUCs under
both imputations with the random-map control beside them, localisation against the reference
the comparison used, the verdicts (a method is named best only when the comparison separated
it), the randomisation check (or that it was not run), SLICE's reliability and the exact
per-sequence Shapley values per region. Words such as "best" appear only when a fact says so.
"""

from __future__ import annotations

from typing import Any

from medbrain.agent.facts import METHOD_NAMES, REGION_WORDS

SEQUENCE_NAMES = {"t1": "T1", "t1ce": "T1ce (contrast-enhanced T1)", "t2": "T2", "flair": "FLAIR"}
IMPUTATIONS = {"baseline": "zero baseline", "blur": "blurred image"}


def num(value: Any) -> str:
    """A stored number as written in the facts (no re-rounding beyond float repr)."""
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def pct(fraction: float | None) -> str:
    return "n/a" if fraction is None else f"{round(100 * float(fraction), 1):g}%"


def method_name(name: str) -> str:
    return METHOD_NAMES.get(name, name)


def _names(methods: list[str]) -> str:
    return ", ".join(method_name(m) for m in methods)


def _faithfulness_bits(ms: dict[str, Any], beats_random: bool | None) -> list[str]:
    """Deletion/insertion AUCs per imputation, then whether the method beat the random map on both."""
    faith = ms.get("faithfulness") or {}
    bits = []
    for imp, label in IMPUTATIONS.items():
        f = faith.get(imp) or {}
        if f.get("deletion_auc") is not None and f.get("insertion_auc") is not None:
            bits.append(f"{label}: deletion AUC {num(f['deletion_auc'])}, insertion AUC {num(f['insertion_auc'])}")
    if not bits and ms.get("deletion_auc") is not None:  # older facts: one deletion curve only
        bits.append(f"deletion AUC {num(ms['deletion_auc'])} (lower is more faithful)")
    if bits and beats_random is not None:
        bits.append("beats the random-map control under both imputations" if beats_random
                    else "does not beat the random-map control under both imputations")
    return bits


def _localisation_bit(ms: dict[str, Any]) -> str | None:
    loc = ms.get("localisation") or {}
    if loc.get("mass_accuracy") is None:
        if ms.get("energy_inside_region") is None:
            return None
        return f"{pct(ms['energy_inside_region'])} of its positive attribution lies inside the predicted region"
    against = "reference segmentation" if loc.get("reference") == "ground_truth" else "predicted region"
    text = f"relevance mass accuracy on the {against} {num(loc['mass_accuracy'])} (chance {num(loc.get('chance'))})"
    if loc.get("rank_accuracy") is not None:
        text += f", rank accuracy {num(loc['rank_accuracy'])}"
    if loc.get("pointing_game") is not None:
        text += ", its maximum is inside" if loc["pointing_game"] else ", its maximum is outside"
    return text


def method_lines(comp: dict[str, Any]) -> list[str]:
    """Per method: one line of faithfulness (both imputations), one of localisation."""
    lines = []
    beats = comp.get("beats_random") or {}
    for ms in comp.get("methods", []):
        name = method_name(ms["method"])
        bits = _faithfulness_bits(ms, beats.get(ms["method"]))
        if bits:
            lines.append(f"- {name}: " + "; ".join(bits) + ".")
        loc = _localisation_bit(ms)
        if ms.get("max_inside_region") is not None and not (ms.get("localisation") or {}).get("mass_accuracy"):
            inside = "its maximum is inside the region" if ms["max_inside_region"] else "its maximum is outside the region"
            loc = f"{loc}; {inside}" if loc else inside
        if loc:
            lines.append(f"- {name}: {loc}.")
    return lines


def control_lines(comp: dict[str, Any]) -> list[str]:
    rnd = ((comp.get("controls") or {}).get("random") or {}).get("baseline") or {}
    if rnd.get("deletion_auc") is None:
        return []
    return [f"Random-map control (zero baseline): deletion AUC {num(rnd['deletion_auc'])}, "
            f"insertion AUC {num(rnd.get('insertion_auc'))}."]


def verdict_lines(comp: dict[str, Any]) -> list[str]:
    """Best methods only where the comparison separated them; otherwise 'no clear winner'."""
    lines = []
    n = (comp.get("evaluation") or {}).get("n_slices")
    basis = f" over {n} slice{'s' if n != 1 else ''}" if n else ""
    if comp.get("most_faithful_method"):
        lines.append(f"Most faithful{basis}: {method_name(comp['most_faithful_method'])}.")
    elif comp.get("faithfulness_verdict"):
        lines.append(f"Faithfulness{basis}: {comp['faithfulness_verdict']}.")
    if comp.get("best_localised_method"):
        lines.append(f"Best localised{basis}: {method_name(comp['best_localised_method'])}.")
    elif comp.get("localisation_verdict"):
        lines.append(f"Localisation{basis}: {comp['localisation_verdict']}.")
    losers = comp.get("not_beating_random") or []
    if losers:
        lines.append(f"Not better than a random map on both imputations: {_names(losers)}.")
    return lines


def agreement_lines(comp: dict[str, Any]) -> list[str]:
    pairs = {tuple(p["pair"]): p for p in comp.get("pairs", [])}
    lines = []
    for label, key in (("agree most", "most_agreeing_pair"), ("agree least", "least_agreeing_pair")):
        pair = comp.get(key)
        if pair and tuple(pair) in pairs:
            p = pairs[tuple(pair)]
            where = " at superpixel level" if comp.get("agreement_resolution") == "superpixels" else ""
            lines.append(f"{method_name(pair[0])} and {method_name(pair[1])} {label}{where} "
                         f"(Spearman {num(p['spearman'])}, overlap of top pixels IoU {num(p['iou_top10'])}).")
    return lines


def randomisation_lines(comp: dict[str, Any]) -> list[str]:
    rand = comp.get("randomisation")
    if not rand or rand.get("run") is False:
        if comp.get("methods"):
            return ["The randomisation sanity check was not run for this report."]
        return []
    lines = []
    if rand.get("stages") == ["all_layers"]:
        lines.append("Randomisation check on the fully randomised network only (the last stage of the cascade; "
                     "--budget full runs every stage).")
    if rand.get("passed"):
        lines.append(f"Randomisation check passed (maps change when the weights are randomised): {_names(rand['passed'])}.")
    if rand.get("failed"):
        lines.append(f"Randomisation check failed (maps barely change with random weights, so they do not "
                     f"reflect what the model learned): {_names(rand['failed'])}.")
    if rand.get("untestable"):
        lines.append(f"Randomisation check not applicable (the map on the trained model is empty, so there is "
                     f"nothing to compare): {_names(rand['untestable'])}.")
    return lines


def mirror_lines(comp: dict[str, Any]) -> list[str]:
    """The seed-free methods' mirror check: which maps survived a left-right mirror of the slice."""
    tested = {m: c for m, c in (comp.get("consistency") or {}).items()
              if c.get("test") == "mirror" and c.get("consistent") is not None}
    if not tested:
        return []
    threshold = num(next(iter(tested.values())).get("min_spearman"))

    def group(ok: bool) -> str:
        return ", ".join(f"{method_name(m)} (Spearman {num(c['spearman_abs'])})" for m, c in tested.items()
                         if c["consistent"] is ok)

    parts = [f"consistent for {group(True)}" if any(c["consistent"] for c in tested.values()) else "",
             f"not consistent for {group(False)}" if not all(c["consistent"] for c in tested.values()) else ""]
    return [f"Mirror check of the seed-free methods (each re-run on the left-right mirrored slice and its map "
            f"mirrored back; consistent at or above a mirror Spearman threshold of {threshold}): " + "; ".join(p for p in parts if p) + "."]


def slice_lines(expl: dict[str, Any]) -> list[str]:
    stab = (expl.get("slice") or {}).get("stability")
    if isinstance(stab, (int, float)) and not isinstance(stab, bool):
        return [f"SLICE stability score: {num(stab)}."]
    if not isinstance(stab, dict):
        return []
    bits = []
    if stab.get("fidelity_adjusted_r2") is not None:
        bits.append(f"surrogate fit adjusted R² {num(stab['fidelity_adjusted_r2'])}")
    if stab.get("consistent") is not None:
        bits.append("consistent across independent seeds" if stab["consistent"] else "not consistent across seeds")
    passed = stab.get("reliable")
    head = ("SLICE passed its own checks" if passed else "SLICE did not pass its own checks" if passed is False
            else "SLICE")
    return [head + (" (" + ", ".join(bits) + ")" if bits else "") + "."]


def shapley_lines(expl: dict[str, Any], volumes: dict[str, float]) -> list[str]:
    """Exact per-sequence Shapley values per predicted region, as shares of the total effect."""
    regions = (expl.get("shapley") or {}).get("regions") or {}
    lines = []
    for region, r in regions.items():
        share = r.get("share") or {}
        if not share or r.get("efficiency_ok") is False or volumes.get(region, 1.0) <= 0:
            continue
        ordered = sorted(share.items(), key=lambda kv: -kv[1])
        lines.append(f"Sequence Shapley values for the {REGION_WORDS.get(region, region)} ({region}): "
                     + ", ".join(f"{SEQUENCE_NAMES.get(k, k)} {pct(v)}" for k, v in ordered) + ".")
    return lines


def method_comparison(facts: dict) -> str:
    comp = facts.get("comparison") or {}
    expl = facts.get("explanations") or {}
    lines: list[str] = []
    region, z = expl.get("region"), expl.get("slice_index")
    if region and z is not None:
        lines.append(f"All methods explain the {REGION_WORDS.get(region, region)} ({region}) prediction on axial slice {z}.")
    lines += method_lines(comp) + control_lines(comp) + verdict_lines(comp) + agreement_lines(comp)
    lines += randomisation_lines(comp) + mirror_lines(comp)
    ig = expl.get("integrated_gradients") or {}
    shares = ig.get("sequence_share") or {}
    if shares:
        ordered = sorted(shares.items(), key=lambda kv: -kv[1])
        lines.append("Integrated Gradients attribution by sequence: "
                     + ", ".join(f"{SEQUENCE_NAMES.get(k, k)} {pct(v)}" for k, v in ordered) + ".")
        signed = ig.get("sequence_share_signed") or {}
        if signed and ig.get("dominant_sequence") and ig["dominant_sequence"] != ordered[0][0]:
            # the dominant sequence is read from the signed shares (|attribution| inflates weak sequences): say so
            lines.append("By signed attribution Integrated Gradients relied most on "
                         f"{SEQUENCE_NAMES.get(ig['dominant_sequence'], ig['dominant_sequence'])}: "
                         + ", ".join(f"{SEQUENCE_NAMES.get(k, k)} {pct(v)}"
                                     for k, v in sorted(signed.items(), key=lambda kv: -kv[1])) + ".")
    volumes = (facts.get("measurements") or {}).get("volumes_ml") or {}
    lines += shapley_lines(expl, volumes) + slice_lines(expl)
    if not lines:
        lines.append("No explanation methods were run for this case.")
    return "\n".join(lines)
