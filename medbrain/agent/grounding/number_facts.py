"""The numeric facts as number grounding sees them: the catalogue's numbers, with the words
that name each one completed, and a few counts derived from the facts.

:class:`medbrain.facts.Fact` concepts come from the words of a fact's key. Some keys name
their quantity with words that text uses differently ("mass_accuracy" is the attribution
mass inside the reference, "rank_correlation_final" a rank correlation, "fidelity_floor"
a threshold, the ``measurements.rano`` block the RANO measurement as opposed to the
whole-tumour bidimensional one), so grounding adds those concepts here, keyed on the
path. Derived facts are quantities a text states that no key holds as a number: the
lesions besides the largest ("the three other components"), the number of slices the
explanations were evaluated on, and the voxel size.
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import lru_cache

from medbrain.agent.grounding.number_derived import derived_quantities
from medbrain.facts import Fact, FactCatalogue, get, get_path

# path pattern -> concepts grounding adds to a fact (on top of the key words of facts.py)
_EXTRA: list[tuple[re.Pattern, frozenset[str]]] = [  # anchored on the value's own key (not its ".n" or ".ci")
    (re.compile(r"^measurements\.rano\."), frozenset({"rano"})),
    (re.compile(r"mass_accuracy(?:\.mean)?$"), frozenset({"mass"})),
    (re.compile(r"mass_lift$"), frozenset({"mass", "lift"})),
    (re.compile(r"rank_accuracy(?:\.mean)?$"), frozenset({"rank"})),
    (re.compile(r"rank_lift$"), frozenset({"rank", "lift"})),
    (re.compile(r"pointing_(?:game|rate)$"), frozenset({"pointing"})),
    (re.compile(r"\.chance$"), frozenset({"chance"})),
    (re.compile(r"faithfulness(?:_score)?\.(?:baseline|blur)\.(?:mean|score)$"), frozenset({"faithfulness"})),
    (re.compile(r"_signed\.\w+$"), frozenset({"signed"})),
    (re.compile(r"rank_correlation_\w+$"), frozenset({"spearman"})),
    (re.compile(r"fidelity_\w+$|fidelity$"), frozenset({"fidelity"})),
    (re.compile(r"(?:_floor|thresholds\.\w+|\.threshold)$"), frozenset({"threshold"})),
    (re.compile(r"(?:binarise|^segmentation\.threshold|^explanations\.shapley\.settings\.threshold)$"),
     frozenset({"probability"})),
    (re.compile(r"\.outside\.mass_ratio$"), frozenset({"ratio"})),
    (re.compile(r"tolerance$"), frozenset({"threshold", "delta"})),
    (re.compile(r"^comparison\.randomisation\.methods\.\w+\.(?:final_spearman_abs|similarity\[\d+\]\.spearman_abs)$"),
     frozenset({"similarity"})),
    (re.compile(r"^comparison\.randomisation\.max_similarity$"), frozenset({"similarity", "threshold"})),
    (re.compile(r"^comparison\.(?:consistency\.\w+|methods\[\d+\]\.consistency)\.spearman_abs$"),
     frozenset({"mirror", "spearman"})),
    (re.compile(r"^comparison\.(?:consistency\.\w+|methods\[\d+\]\.consistency)\.min_spearman$"),
     frozenset({"mirror", "spearman", "threshold"})),
    (re.compile(r"^comparison\.(?:consistency\.\w+|methods\[\d+\]\.consistency)\.iou_top10$"),
     frozenset({"mirror", "iou"})),
    (re.compile(r"pixels$"), frozenset({"pixels"})),
    (re.compile(r"\.slices\[\d+\]$"), frozenset({"slice"})),
    (re.compile(r"(?:brain|compared)_pixels$"), frozenset({"brain"})),
    (re.compile(r"\.draws$"), frozenset({"draws"})),
    (re.compile(r"rank_correlation$"), frozenset({"spearman"})),
    (re.compile(r"_jaccard$"), frozenset({"jaccard"})),
    (re.compile(r"\.sigmas?(?:\[\d+\])?$"), frozenset({"sigma"})),
    (re.compile(r"\.settings\.sigmas\[\d+\]$"), frozenset({"tried"})),  # the sigmas tried, not the one chosen
    (re.compile(r"\.n_segments$"), frozenset({"segments"})),
    (re.compile(r"\.outside\.band\[\d\]$"), frozenset({"band", "probability"})),
]
# Facts a text cites by their own words although their key is deep (no headline path in facts.py).
_CITABLE = re.compile(r"^comparison\.randomisation\.(?:max_similarity|methods\.\w+\.final_spearman_abs)$|"
                      r"^comparison\.consistency\.\w+\.(?:spearman_abs|min_spearman|iou_top10)$|"
                      r"^explanations\.integrated_gradients\.(?:settings\.)?tolerance$")
# "min_wt_component_voxels", "cleanup.et_components_relabelled": the region is in the key's words
_KEY_REGION_RE = re.compile(r"^segmentation\.(?:cleanup\.)?(?:min_)?(wt|tc|et)_")
# a threshold's factor names the quantity it is a threshold of
_FACTOR_CONCEPTS = {"mean_probability": {"mean", "probability"}, "uncertain_fraction": {"uncertain", "fraction"},
                    "tta_dice": {"tta", "dice"}, "outside_mass_ratio": {"outside", "ratio"}}
# Qualifier groups: a fact whose path carries one member is not the quantity a text names with another.
QUALIFIERS: dict[str, tuple[str, ...]] = {"imputation": ("baseline", "blur"), "stage": ("initial", "final"),
                                           # this case's Dice against its truth vs cross-validation's expected Dice
                                           "dice_source": ("truth", "expected"),
                                           # the random-map control vs the model's own probability map
                                           "control": ("random", "probability"),
                                           # uncertain-band voxels next to a mask vs away from it
                                           "proximity": ("near", "elsewhere")}
# groups whose member a path carries in a key shape of its own
_QUALIFIER_PATHS: dict[str, re.Pattern] = {
    "control": re.compile(r"\.controls\.(random|probability)\.|_vs_(random|probability)\b"),
    "proximity": re.compile(r"\.outside\.(near|elsewhere)_"),
}


def _extra_concepts(f: Fact, raw: dict) -> frozenset[str]:
    extra: set[str] = set()
    for pattern, concepts in _EXTRA:
        if pattern.search(f.path):
            extra |= concepts
    if f.path.endswith((".threshold", ".value")) and "reasons[" in f.path:
        parent = get_path(raw, f.path.rsplit(".", 1)[0]) or {}
        factor = str(parent.get("factor") or "") if isinstance(parent, dict) else ""
        if factor.startswith("expected_dice"):  # the cross-validated Dice behind a confidence cap
            extra |= {"dice", "q:expected"}
        if f.path.endswith(".threshold"):
            for key, concepts in _FACTOR_CONCEPTS.items():
                if factor.startswith(key):
                    extra |= concepts
    return frozenset(extra)


def _derived(cat: FactCatalogue) -> list[Fact]:
    raw = cat.raw
    out: list[Fact] = []
    lesions = get(raw, "measurements", "lesions", default={}) or {}
    for key in ("count", "count_including_specks"):
        value = lesions.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
            out.append(Fact(path=f"measurements.lesions.{key}-1", value=value - 1, quantity="other lesions", unit="count",
                            precision=0, region="WT", concepts=frozenset({"lesions", "others"})))
    evaluation = get(raw, "comparison", "evaluation", default={}) or {}
    n_slices = evaluation.get("n_slices")
    if not isinstance(n_slices, int) and isinstance(evaluation.get("slices"), list):
        n_slices = len(evaluation["slices"])
    if isinstance(n_slices, int) and not isinstance(n_slices, bool):
        out.append(Fact(path="comparison.evaluation.n_slices", value=n_slices, quantity="slices evaluated", unit="count",
                        precision=0, concepts=frozenset({"slice_count"})))
    shap_slices = get(raw, "explanations", "shapley", "settings", "slices")
    if isinstance(shap_slices, list) and shap_slices:
        out.append(Fact(path="explanations.shapley.settings.slices", value=len(shap_slices), quantity="slices explained",
                        unit="count", precision=0, methods=frozenset({"shapley"}), concepts=frozenset({"slice_count"})))
    shape = get(raw, "case", "shape")
    if isinstance(shape, list) and shape and all(isinstance(v, int) for v in shape):
        for i, v in enumerate(sorted(set(shape))):
            out.append(Fact(path=f"case.shape[{i}]", value=v, quantity="image grid", unit="count", precision=0,
                            concepts=frozenset({"grid"}), headline=False))
    spacing = get(raw, "measurements", "voxel_spacing_mm") or get(raw, "case", "spacing_mm")
    if isinstance(spacing, list) and spacing and all(isinstance(v, (int, float)) for v in spacing):
        values = sorted({float(v) for v in spacing})
        for i, v in enumerate(values):
            out.append(Fact(path=f"measurements.voxel_spacing_mm[{i}]", value=v, quantity="voxel size", unit="mm",
                            precision=3, concepts=frozenset({"spacing"})))
    return out


def _refined(f: Fact, raw: dict) -> Fact:
    """A fact with grounding's extra concepts, its region from its key words, and citability by its words."""
    extra = _extra_concepts(f, raw)
    changes: dict = {}
    if extra - f.concepts:
        changes["concepts"] = f.concepts | extra
    key_region = _KEY_REGION_RE.match(f.path)
    if key_region:
        changes["region"] = key_region.group(1).upper()
    if _CITABLE.match(f.path) and not f.headline:
        changes["headline"] = True
    return replace(f, **changes) if changes else f


def grounding_numbers(cat: FactCatalogue) -> list[Fact]:
    """The catalogue's numeric facts with grounding's concepts added, then the derived facts (cached)."""
    cached = getattr(cat, "_grounding_numbers", None)
    if cached is not None and cached[0] == len(cat.facts):
        return cached[1]
    numbers = []
    for f in cat.numbers():
        if f.path == "comparison.evaluation.n_slices":
            continue  # replaced by the derived slice count
        numbers.append(_refined(f, cat.raw))
    numbers.extend(_derived(cat))
    numbers.extend(derived_quantities(cat))
    try:
        object.__setattr__(cat, "_grounding_numbers", (len(cat.facts), numbers))
    except AttributeError:
        pass
    return numbers


_LEGACY_AUC_RE = re.compile(r"^comparison\.methods\[\d+\]\.(?:deletion|insertion)_auc$")


@lru_cache(maxsize=8192)
def qualifier_of(path: str, group: str) -> str | None:
    """The member of a qualifier group a fact's path carries ("blur" for ``...faithfulness.blur.score``)."""
    if group == "imputation" and _LEGACY_AUC_RE.match(path):
        return "baseline"  # the flat per-method AUCs are the zero-baseline curves
    if group in _QUALIFIER_PATHS:
        m = _QUALIFIER_PATHS[group].search(path)
        return next((g for g in m.groups() if g), None) if m else None
    words = set(re.split(r"[._\[\]]+", path.lower()))
    found = [q for q in QUALIFIERS[group] if q in words or any(w.endswith("_" + q) for w in words)]
    return found[0] if len(found) == 1 else None
