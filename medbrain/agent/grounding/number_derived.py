"""Quantities a text states that no fact holds as a number but the facts give exactly.

- the volume on each side: ``left_fraction`` / ``right_fraction`` × the whole-tumour volume
  ("the right-sided portion is roughly 0.4 mL");
- the clean-up in millilitres: the voxels removed or relabelled × the voxel volume
  ("the 189 voxels removed amount to about 0.19 mL");
- the run's random seed(s), which the settings of each tool record ("random seed 0");
- the number of test-time augmentation variants ("four flipped variants");
- the forward passes each tool ran, the centroid in voxel indices, and the seeds of SLICE's
  repeated runs and their number ("over two seeds", "seeds 0 and 1");
- the mean of the Dice scores against the reference and the connectivity the lesion count used.

:mod:`medbrain.agent.grounding.number_facts` adds them to the numbers grounding binds to.
"""

from __future__ import annotations

import math

from medbrain.facts import Fact, FactCatalogue, get

_SEED_PATHS = (("comparison", "faithfulness", "settings", "seed"), ("explanations", "slice", "settings", "seed"),
               ("comparison", "randomisation", "settings", "seed"))


def _number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(float(value))


def _side_volumes(raw: dict) -> list[Fact]:
    side = get(raw, "measurements", "side", default={}) or {}
    whole = get(raw, "measurements", "volumes_ml", "WT")
    out = []
    for word in ("left", "right"):
        share = side.get(f"{word}_fraction")
        if _number(share) and _number(whole):
            out.append(Fact(path=f"measurements.side.{word}_fraction*volumes_ml.WT", value=float(share) * float(whole),
                            quantity=f"{word} volume", unit="mL", precision=2, region="WT", side=word,
                            concepts=frozenset({"volume"})))
    return out


def _cleanup_volumes(raw: dict) -> list[Fact]:
    cleanup = get(raw, "segmentation", "cleanup", default={}) or {}
    spacing = get(raw, "measurements", "voxel_spacing_mm") or get(raw, "case", "spacing_mm")
    if not isinstance(cleanup, dict) or not isinstance(spacing, list) or not all(_number(v) for v in spacing):
        return []
    voxel_ml = math.prod(float(v) for v in spacing) / 1000.0
    out = []
    for key, value in cleanup.items():
        if "voxels" in key and _number(value):
            region = key.split("_", 1)[0].upper()
            out.append(Fact(path=f"segmentation.cleanup.{key}*voxel_ml", value=float(value) * voxel_ml,
                            quantity=f"{key} volume", unit="mL", precision=3,
                            region=region if region in ("WT", "TC", "ET") else None,
                            concepts=frozenset({"cleanup", "removed", "volume"}), headline=False))
    return out


def _seeds(raw: dict) -> list[Fact]:
    values = sorted({int(v) for path in _SEED_PATHS if _number(v := get(raw, *path)) and float(v).is_integer()})
    return [Fact(path=f"settings.seed[{i}]", value=v, quantity="random seed", unit="count", precision=0,
                 concepts=frozenset({"seeds"})) for i, v in enumerate(values)]


def _tta_variants(raw: dict) -> list[Fact]:
    variants = get(raw, "confidence", "tta_variants")
    if not _number(variants):
        return []
    return [Fact(path="confidence.tta_variants", value=int(variants), quantity="test-time augmentation variants",
                 unit="count", precision=0, concepts=frozenset({"variants", "tta"}))]


def _forward_passes(raw: dict) -> list[Fact]:
    """ "SLICE ran 256 forward passes": the model evaluations each tool records."""
    out = []
    for path in (("explanations", "slice"), ("explanations", "shapley"), ("explanations", "integrated_gradients"),
                 ("comparison", "faithfulness"), ("comparison", "randomisation")):
        value = get(raw, *path, "forward_passes")
        if _number(value):
            method = path[1] if path[0] == "explanations" else None
            out.append(Fact(path=".".join(path) + ".forward_passes", value=int(value), quantity="forward passes",
                            unit="count", precision=0, methods=frozenset({method} if method else ()),
                            concepts=frozenset({"passes"} | ({"faithfulness"} if path[1] == "faithfulness" else set()))))
    return out


def _centroid_voxel(raw: dict) -> list[Fact]:
    """The centroid in voxel indices, one fact per axis (checked as a tuple by ``number_tuples``)."""
    centroid = get(raw, "measurements", "centroid", default={}) or {}
    voxel = centroid.get("voxel") if isinstance(centroid, dict) else None
    if not isinstance(voxel, list) or not all(_number(v) for v in voxel):
        return []
    return [Fact(path=f"measurements.centroid.voxel[{i}]", value=float(v), quantity="centroid voxel", unit="score",
                 precision=1, region=str(centroid.get("region") or "WT"), concepts=frozenset({"centroid", "voxels"}))
            for i, v in enumerate(voxel)]


def _consistency_seeds(raw: dict) -> list[Fact]:
    """ "consistent across seeds 0 and 1", "over two seeds": the seeds of SLICE's repeated runs and their number."""
    seeds = get(raw, "explanations", "slice", "consistency", "seeds")
    if not isinstance(seeds, list) or not all(_number(v) for v in seeds):
        return []
    out = [Fact(path=f"explanations.slice.consistency.seeds[{i}]", value=int(v), quantity="seed", unit="count",
                precision=0, methods=frozenset({"slice"}), concepts=frozenset({"seeds"})) for i, v in enumerate(seeds)]
    out.append(Fact(path="explanations.slice.consistency.seeds#", value=len(seeds), quantity="seeds", unit="count",
                    precision=0, methods=frozenset({"slice"}), concepts=frozenset({"seed_count"})))
    return out


def _mean_dice(raw: dict) -> list[Fact]:
    """ "mean Dice across the three regions is about 0.92": the mean of the Dice scores against the reference."""
    scores = get(raw, "segmentation", "scores_vs_truth", default={}) or {}
    values = [float(v) for v in scores.values() if _number(v)] if isinstance(scores, dict) else []
    if len(values) < 2:
        return []
    return [Fact(path="segmentation.scores_vs_truth#mean", value=sum(values) / len(values), quantity="mean Dice",
                 unit="score", precision=3, concepts=frozenset({"dice", "mean", "q:truth"}))]


def _connectivity(raw: dict) -> list[Fact]:
    """ "lesions are 26-connected components": the connectivity the lesion count used."""
    value = get(raw, "measurements", "definitions", "lesion_connectivity")
    if not _number(value):
        return []
    return [Fact(path="measurements.definitions.lesion_connectivity", value=int(value), quantity="lesion connectivity",
                 unit="count", precision=0, region="WT", concepts=frozenset({"connectivity", "lesions"}))]


def derived_quantities(cat: FactCatalogue) -> list[Fact]:
    """Every quantity derived exactly from the facts (see the module docstring)."""
    raw = cat.raw
    return [*_side_volumes(raw), *_cleanup_volumes(raw), *_seeds(raw), *_tta_variants(raw), *_forward_passes(raw),
            *_centroid_voxel(raw), *_consistency_seeds(raw), *_mean_dice(raw), *_connectivity(raw)]
