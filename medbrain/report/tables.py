"""The readable fact tables: what the tools measured, with display names and units.

Each builder reads the facts defensively (a missing or odd-shaped part gives no rows) and
returns :class:`Table` objects that both renderers draw the same way. Values come from
:class:`~medbrain.report.values.FactValues`, so a volume reads ``62.92 mL``, a fraction
``97%`` and a method ``Integrated Gradients``, exactly as the verifier and writers show them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from medbrain.facts import REGION_NAMES, REGIONS, SEQUENCE_NAMES, SEQUENCES
from medbrain.report.values import MAX_INLINE_LIST, FactValues, format_value, humanise, pair, word


@dataclass(frozen=True)
class Table:
    """A titled table: ``header`` names the columns (a key/value table has two)."""

    title: str
    header: tuple[str, ...]
    rows: list[tuple[str, ...]] = field(default_factory=list)
    key_value: bool = True  # first column is a row label (a <th> in HTML)
    note: str = ""


#: Per-method columns shown, in order (others stay in report.json).
METHOD_COLUMNS = ("energy_inside_region", "max_inside_region", "deletion_auc", "insertion_auc", "beats_random")
METHOD_LABELS = {"energy_inside_region": "Attribution inside the region", "max_inside_region": "Peak inside the region",
                 "beats_random": "Beats a random map"}
PAIR_COLUMNS = (("spearman", "Spearman"), ("iou_top10", "IoU of the top 10%"), ("verdict", "Verdict"))
CONFIDENCE_COLUMNS = (("level", "Level"), ("mean_probability", "Mean probability"),
                      ("uncertain_fraction", "Uncertain voxels"), ("mean_entropy_bits", "Mean entropy"),
                      ("tta_dice", "TTA Dice"), ("likely_undersegmentation", "Likely under-segmented"))
COMPARISON_ROWS = (("best_localised_method", "Best-localised explanation method"),
                   ("most_faithful_method", "Most faithful explanation method"),
                   ("most_agreeing_pair", "Most agreeing methods"),
                   ("least_agreeing_pair", "Least agreeing methods"),
                   ("mean_pairwise_spearman", "Mean pairwise Spearman between methods"),
                   ("faithfulness_verdict", "Faithfulness verdict"),
                   ("localisation_verdict", "Localisation verdict"),
                   ("not_beating_random", "Methods not beating a random map"))


def region_label(region: str) -> str:
    """``WT (whole tumour)``; an unknown region stays as it is."""
    name = REGION_NAMES.get(region)
    return f"{region} ({name})" if name else region


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _records(value: Any) -> list[Mapping[str, Any]]:
    """A list of dicts, or [] for anything else."""
    if isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
        return value
    return []


def score_tables(scores: Mapping[str, Any] | None) -> list[Table]:
    """Segmentation scores against the truth: ``Region | Dice`` rows, and a matrix for
    entries that are dicts (``{"WT": {"dice": .9, "hd95_mm": 4.1}}``)."""
    if not isinstance(scores, Mapping):
        return []
    title = "Segmentation quality (Dice against the known truth)"
    scalar = [(str(k), format_value(v)) for k, v in scores.items() if not isinstance(v, Mapping)]
    nested = {str(k): v for k, v in scores.items() if isinstance(v, Mapping)}
    tables = [Table(title, ("Region", "Dice"), scalar, key_value=False)] if scalar else []
    if nested:
        columns: list[str] = []
        for v in nested.values():
            columns += [str(c) for c in v if str(c) not in columns]
        rows = [(k, *(format_value(v.get(c)) for c in columns)) for k, v in nested.items()]
        tables.append(Table("" if scalar else title, ("", *columns), rows, key_value=True))
    return tables


def _diameters(values: FactValues, base: str, d: Mapping[str, Any]) -> str | None:
    if d.get("longest_diameter_mm") is None:
        return None
    text = f"{values.number(base + '.longest_diameter_mm')} × {values.number(base + '.perpendicular_diameter_mm')} mm"
    if d.get("product_mm2") is not None:
        text += f" (product {values.text(base + '.product_mm2')})"
    extra = [region_label(str(d["region"]))] if d.get("region") is not None else []
    if d.get("slice_index") is not None:
        extra.append(f"slice {values.text(base + '.slice_index')}")
    return f"{text}; {', '.join(extra)}" if extra else text


def measurement_rows(values: FactValues) -> list[tuple[str, str]]:
    """Recognised measurements: volumes, side, location, lesions, largest slice, diameters."""
    facts = values.raw
    m = _mapping(facts.get("measurements"))

    def where(key: str) -> str:  # older fact files keep volumes, side and location at the top
        return f"measurements.{key}" if key in m else key

    rows: list[tuple[str, str]] = []
    volumes = m.get("volumes_ml", facts.get("volumes_ml"))
    if isinstance(volumes, Mapping):
        order = [r for r in REGION_NAMES if r in volumes] + [r for r in volumes if r not in REGION_NAMES]
        for region in order:
            rows.append((f"Volume {region_label(str(region))}", values.text(f"{where('volumes_ml')}.{region}")))
    side = m.get("side", facts.get("side"))
    if isinstance(side, Mapping):
        text = word(side.get("side"))
        side_path = where("side")
        shares = [f"{values.text(f'{side_path}.{k}_fraction')} {k}" for k in ("left", "right")
                  if side.get(f"{k}_fraction") is not None]
        if shares:
            text += f" ({', '.join(shares)})"
        rows.append(("Side", text))
        if side.get("crosses_midline") is not None:
            rows.append(("Crosses midline", word(side["crosses_midline"])))
    elif side is not None:
        rows.append(("Side", word(side)))
    rows += _location_rows(values, m.get("location", facts.get("location")), where("location"))
    lesions = _mapping(m.get("lesions"))
    if lesions.get("count") is not None:
        rows.append(("Lesions", values.text("measurements.lesions.count")))
    largest = _mapping(m.get("largest_axial_slice"))
    if largest.get("slice_index") is not None:
        text = values.text("measurements.largest_axial_slice.slice_index")
        if largest.get("area_mm2") is not None:
            text += f" (area {values.text('measurements.largest_axial_slice.area_mm2')})"
        rows.append((f"Largest axial slice ({largest.get('region') or 'WT'})", text))
    for key, label in (("rano", "Diameters (RANO-style)"), ("wt_bidimensional", "Diameters (WT)")):
        text = _diameters(values, f"measurements.{key}", _mapping(m.get(key)))
        if text:
            rows.append((label, text))
    return rows


def _location_rows(values: FactValues, location: Any, path: str) -> list[tuple[str, str]]:
    if not isinstance(location, Mapping):
        return [] if location is None else [("Location", word(location))]
    if location.get("status", "known") != "known":
        reason = location.get("reason")
        return [("Location", f"unknown ({word(reason)})" if reason else "unknown")]
    rows: list[tuple[str, str]] = []
    if location.get("lobes") is not None:
        rows.append(("Lobes", word(location["lobes"])))
    structures = location.get("structures")
    if isinstance(structures, list) and structures:
        parts = []
        for i, s in enumerate(structures[:MAX_INLINE_LIST]):
            if isinstance(s, Mapping) and s.get("name"):
                share = s.get("fraction_of_tumour")
                share_text = values.text(f"{path}.structures[{i}].fraction_of_tumour")
                parts.append(f"{s['name']} ({share_text})" if share is not None else str(s["name"]))
        if parts:
            more = f", … ({len(structures)} in all)" if len(structures) > MAX_INLINE_LIST else ""
            rows.append(("Structures (share of the tumour)", ", ".join(parts) + more))
    return rows


def comparison_rows(values: FactValues) -> list[tuple[str, str]]:
    """Recognised explanation-method comparison facts."""
    c = _mapping(values.raw.get("comparison"))
    rows = []
    for key, label in COMPARISON_ROWS:
        value = c.get(key)
        if value is None:
            continue
        if key.endswith("_pair"):
            rows.append((label, pair(value)))
        elif isinstance(value, (list, tuple)):
            rows.append((label, word(value)))
        else:
            rows.append((label, values.text(f"comparison.{key}")))
    return rows


def method_table(values: FactValues) -> Table | None:
    """Per-method scores from ``comparison.methods`` (the columns a reader needs)."""
    methods = _records(_mapping(values.raw.get("comparison")).get("methods"))
    if not methods:
        return None
    known = [c for c in METHOD_COLUMNS if any(not isinstance(m.get(c), (Mapping, list, type(None))) for m in methods)]
    extra = [k for m in methods for k, v in m.items()
             if k not in METHOD_COLUMNS and k != "method" and isinstance(v, (int, float, str)) and "curve" not in k]
    columns = known + list(dict.fromkeys(extra))
    rows = [(word(m.get("method", f"method {i + 1}")),
             *(values.text(f"comparison.methods[{i}].{c}") for c in columns)) for i, m in enumerate(methods)]
    header = ("Method", *(METHOD_LABELS.get(c) or humanise(c) for c in columns))
    if any(isinstance(m.get("consistency"), Mapping) for m in methods):
        rows = [(*row, _consistency_text(_mapping(m.get("consistency")))) for row, m in zip(rows, methods)]
        header = (*header, "Consistent (test)")
    return Table("Explanation methods", header, rows)


def _consistency_text(c: Mapping[str, Any]) -> str:
    """ "yes (mirror, Spearman 0.74)", "yes (independent seeds)", "not run"."""
    flag = c.get("consistent")
    if flag is None:
        return "not run" if c.get("test") in (None, "not run") else f"undefined ({c.get('test')})"
    detail = str(c.get("test"))
    if c.get("spearman_abs") is not None:
        detail += f", Spearman {format_value(c['spearman_abs'])}"
    return f"{'yes' if flag else 'no'} ({detail})"


def pair_table(values: FactValues) -> Table | None:
    """Agreement between each pair of methods (``comparison.pairs``)."""
    pairs = _records(_mapping(values.raw.get("comparison")).get("pairs"))
    if not pairs or not all(p.get("pair") for p in pairs):
        return None
    columns = [(k, label) for k, label in PAIR_COLUMNS if any(k in p for p in pairs)]
    rows = [(pair(p["pair"]), *(values.text(f"comparison.pairs[{i}].{k}") for k, _ in columns))
            for i, p in enumerate(pairs)]
    return Table("Agreement between the methods", ("Methods", *(label for _, label in columns)), rows)


def confidence_rows(values: FactValues) -> list[tuple[str, str]]:
    """Recognised confidence facts: level, agreement between methods, calibration."""
    c = values.raw.get("confidence")
    if isinstance(c, str):
        return [("Confidence level", word(c))]
    if not isinstance(c, Mapping):
        return []
    rows = []
    level = next((k for k in ("level", "confidence_level", "overall") if c.get(k) is not None), None)
    if level is not None:
        rows.append(("Confidence level", values.text(f"confidence.{level}")))
    if c.get("method_agreement") is not None:
        rows.append(("Agreement between methods (mean Spearman)", values.text("confidence.method_agreement")))
    if c.get("calibrated") is not None:
        rows.append(("Calibrated against segmentation errors", word(c["calibrated"])))
    for key, label in (("likely_undersegmented_regions", "Likely under-segmented regions"),
                       ("possibly_missed_regions", "Possibly missed regions")):
        if isinstance(c.get(key), list) and c[key]:
            rows.append((label, word(c[key])))
    return rows


def confidence_region_table(values: FactValues) -> Table | None:
    """Confidence per region (``confidence.regions``)."""
    regions = _mapping(_mapping(values.raw.get("confidence")).get("regions"))
    regions = {k: v for k, v in regions.items() if isinstance(v, Mapping)}
    if not regions:
        return None
    columns = [(k, label) for k, label in CONFIDENCE_COLUMNS if any(r.get(k) is not None for r in regions.values())]
    if not columns:
        return None
    rows = [(region_label(str(name)), *(values.text(f"confidence.regions.{name}.{k}") for k, _ in columns))
            for name, r in regions.items()]
    return Table("Confidence per region", ("Region", *(label for _, label in columns)), rows)


def shapley_table(values: FactValues) -> Table | None:
    """Each sequence's share of the prediction per region (exact Shapley values)."""
    shapley = _mapping(_mapping(values.raw.get("explanations")).get("shapley"))
    regions = {k: v for k, v in _mapping(shapley.get("regions")).items()
               if isinstance(_mapping(v).get("share"), Mapping)}
    if not regions:
        return None
    seqs = [q for q in SEQUENCES if any(q in r["share"] for r in regions.values())]
    rows = [(region_label(str(name)), *(values.text(f"explanations.shapley.regions.{name}.share.{q}") for q in seqs),
             word(r.get("dominant_sequence"))) for name, r in regions.items()]
    header = ("Region", *(SEQUENCE_NAMES[q] for q in seqs), "Dominant sequence")
    return Table("Sequence contributions (Shapley share)", header, rows)


def input_rows(values: FactValues) -> list[tuple[str, str]]:
    """Which sequences the segmentation used, and what cross-validation measured without the others."""
    case = _mapping(values.raw.get("case"))
    used = [q for q in SEQUENCES if q in (case.get("sequences") or [])]
    if not used:
        return []
    missing = [q for q in SEQUENCES if q in (case.get("sequences_missing") or [])]
    rows = [("Sequences used", ", ".join(SEQUENCE_NAMES[q] for q in used)),
            ("Sequences missing", ", ".join(SEQUENCE_NAMES[q] for q in missing) if missing else "none")]
    expected = _mapping(case.get("expected_accuracy"))
    if missing and expected.get("measured"):
        dice, sd = _mapping(expected.get("dice")), _mapping(expected.get("dice_sd"))
        for region in REGIONS:
            if dice.get(region) is not None:
                rows.append((f"Expected Dice {region_label(region)} with these sequences",
                             f"{float(dice[region]):.2f} ± {float(sd.get(region, 0.0)):.2f} "
                             f"(cross-validation, {expected.get('cases')} cases)"))
    elif missing:
        rows.append(("Expected Dice with these sequences", "not measured: treat the numbers as unvalidated"))
    return rows


def _kv(title: str, rows: list[tuple[str, str]]) -> Table | None:
    return Table(title, ("Fact", "Value"), list(rows)) if rows else None


def fact_tables(facts: Mapping[str, Any] | None, scores: Mapping[str, Any] | None = None) -> list[Table]:
    """Every readable fact table, in display order: Dice, input sequences, measurements, explanation
    methods, sequence contributions, confidence. A part that is missing or not recognised
    gives no table (its raw values are in the appendix)."""
    values = FactValues(facts)
    measurements = measurement_rows(values)
    tables = [*score_tables(scores),
              _kv("Input", input_rows(values)),
              Table("Measurements", ("Fact", "Value"), measurements,
                    note="" if measurements else "No recognised measurements; the raw values are in the appendix."),
              _kv("Explanation-method comparison", comparison_rows(values)),
              method_table(values),
              pair_table(values),
              shapley_table(values),
              _kv("Confidence", confidence_rows(values)),
              confidence_region_table(values)]
    return [t for t in tables if t is not None]
