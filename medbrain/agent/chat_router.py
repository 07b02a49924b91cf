"""Answers to common chat questions straight from the facts, without an LLM.

``route(question)`` names the topic of a question (size, side, location, lesions, confidence,
sequence, methods, where to start the review, how it was measured, overview) by its words;
``answer(topic, facts)`` writes the answer from the tool results alone, with the fact paths it
used, so every answer passes the verifier. With ``--llm none`` the chat uses these answers; with
an LLM they replace an answer that fails verification.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from medbrain.facts import display_word, get

_TOPICS: list[tuple[str, re.Pattern]] = [
    ("review", re.compile(r"\b(where (?:should|do) i (?:start|look|begin)|start (?:the |my )?review|which slice|what slice|"
                          r"review first|look first)\b", re.I)),
    ("how_measured", re.compile(r"\b(how (?:was|were|is|are|did) (?:it|this|that|the \w+|they|you) (?:measured|computed|calculated|"
                                r"determined|found)|how (?:do|did) you (?:measure|know|compute)|method(?:s|ology)? (?:of|for) "
                                r"measur\w*)\b", re.I)),
    ("sequence", re.compile(r"\b(sequence|modalit\w*|flair|t1ce|t1|t2|which (?:image|scan))\b", re.I)),
    ("methods", re.compile(r"\b(grad-?cam|integrated gradients|(?-i:SLICE)|attention|explanation|explain\w*|saliency|methods? agree|"
                           r"agree\w*|which method|faithful|heat ?maps?|attribution)\b", re.I)),
    ("confidence", re.compile(r"\b(confiden\w*|certain\w*|sure|reliab\w*|trust\w*|uncertain\w*|probabilit\w*)\b", re.I)),
    ("lesions", re.compile(r"\b(lesions?|components?|foci|how many|multifocal|separate)\b", re.I)),
    ("location", re.compile(r"\b(where|lobe|location|located|structure|anatom\w*|region of the brain|which part)\b", re.I)),
    ("side", re.compile(r"\b(side|left|right|hemisphere|midline|bilateral|lateral\w*)\b", re.I)),
    ("size", re.compile(r"\b(size|big|large|volume|how much|measure\w*|ml|diameter|extent|small)\b", re.I)),
    ("overview", re.compile(r"\b(summar\w*|overview|findings?|what (?:did|do) you (?:find|see)|tell me about|results?)\b", re.I)),
]


@dataclass
class RoutedAnswer:
    topics: list[str]
    text: str
    sources: list[str] = field(default_factory=list)  # fact paths the answer used


def route(question: str) -> list[str]:
    """The topics a question asks about, in a fixed order (size before side, ...); [] when none."""
    found = [name for name, pattern in _TOPICS if pattern.search(question)]
    if "sequence" in found and "methods" in found:
        found.remove("methods")
    order = ["size", "side", "location", "lesions", "confidence", "sequence", "methods", "review", "how_measured", "overview"]
    return sorted(found, key=order.index)


def _num(value: float | None) -> str:
    return f"{float(value or 0.0):.6g}"


def _pct(fraction: float) -> str:
    return f"{round(100 * float(fraction), 1):g}%"


def _size(f: dict, used: list[str]) -> list[str]:
    vol = get(f, "measurements", "volumes_ml", default={}) or {}
    if not vol:
        return []
    used += [f"measurements.volumes_ml.{k}" for k in ("WT", "TC", "ET", "ED")]
    if not vol.get("WT"):
        return ["The model did not segment any tumour in this case (whole-tumour volume 0 mL)."]
    et = (f"of which {_num(vol['ET'])} mL is enhancing tumour" if vol.get("ET") else "with no enhancing tumour predicted")
    ed = f"oedema {_num(vol['ED'])} mL" if vol.get("ED") else "no oedema was predicted"
    out = [f"The whole tumour measures {_num(vol['WT'])} mL; the tumour core {_num(vol.get('TC', 0))} mL, {et}; {ed}."]
    rano = get(f, "measurements", "rano", default={}) or {}
    if all(rano.get(k) is not None for k in ("longest_diameter_mm", "perpendicular_diameter_mm", "slice_index")):
        used.append("measurements.rano")
        out.append(f"Bidimensional size of the {display_word(rano.get('region', 'TC'))} on axial slice {rano['slice_index']}: "
                   f"{_num(rano['longest_diameter_mm'])} mm × {_num(rano['perpendicular_diameter_mm'])} mm.")
    return out


def _side(f: dict, used: list[str]) -> list[str]:
    side = get(f, "measurements", "side", default={}) or {}
    if not side.get("side"):
        return []
    used.append("measurements.side")
    s = side["side"]
    if s in ("left", "right"):
        out = [f"The tumour is in the {s} hemisphere ({_pct(side.get(f'{s}_fraction') or 0)} of its volume)."]
    elif s == "bilateral":
        out = [f"The tumour involves both hemispheres: left {_pct(side.get('left_fraction') or 0)}, "
               f"right {_pct(side.get('right_fraction') or 0)}."]
    else:
        out = []
    if side.get("crosses_midline") is not None:
        out.append("It crosses the midline." if side["crosses_midline"] else "It does not cross the midline.")
    return out


def _location(f: dict, used: list[str]) -> list[str]:
    loc = get(f, "measurements", "location", default={}) or {}
    if loc.get("status") != "known":
        if not loc:
            return []
        return [f"The location is unknown ({loc.get('reason') or 'the image is not on the SRI24 atlas grid'}), "
                "so lobes are not reported."]
    used.append("measurements.location.structures")
    listed = ", ".join(f"{st['name']} ({_pct(st['fraction_of_tumour'])})" for st in (loc.get("structures") or [])[:4])
    return [f"By the SRI24 atlas, the tumour involves the {listed} of the tumour volume."] if listed else []


def _lesions(f: dict, used: list[str]) -> list[str]:
    count = get(f, "measurements", "lesions", "count")
    if count is None:
        return []
    used.append("measurements.lesions.count")
    return ["The segmentation forms a single connected lesion." if count == 1 else f"The segmentation has {count} connected lesions."]


def _confidence(f: dict, used: list[str]) -> list[str]:
    conf = get(f, "confidence", default={}) or {}
    if not conf.get("level"):
        return []
    used.append("confidence.level")
    out = [f"Overall confidence is {conf['level']}."]
    regions = conf.get("regions") or {}
    parts = [f"{display_word(r)} {v['level']} (mean probability {v['mean_probability']})" for r, v in regions.items()
             if isinstance(v, dict) and v.get("level") and v.get("mean_probability") is not None]
    if parts:
        used.append("confidence.regions")
        out.append("Per region: " + "; ".join(parts) + ".")
    if conf.get("calibrated") is False:
        out.append("These levels are heuristic, not calibrated against segmentation errors; a radiologist should review the outline.")
    return out


def _sequence(f: dict, used: list[str]) -> list[str]:
    shap = get(f, "explanations", "shapley", "regions", default={}) or {}
    out = []
    for region, values in shap.items():
        if isinstance(values, dict) and values.get("dominant_sequence"):
            used.append(f"explanations.shapley.regions.{region}.dominant_sequence")
            out.append(f"For the {display_word(region)}, the sequence that contributed most (Shapley values) is "
                       f"{values['dominant_sequence']}.")
    return out


def _methods(f: dict, used: list[str]) -> list[str]:
    comp = get(f, "comparison", default={}) or {}
    out = []
    if comp.get("most_agreeing_pair"):
        used.append("comparison.most_agreeing_pair")
        out.append(f"{display_word(comp['most_agreeing_pair'])} agree most.")
    if comp.get("least_agreeing_pair"):
        used.append("comparison.least_agreeing_pair")
        out.append(f"{display_word(comp['least_agreeing_pair'])} agree least.")
    if comp.get("most_faithful_method"):
        used.append("comparison.most_faithful_method")
        out.append(f"Most faithful by the deletion test: {display_word(comp['most_faithful_method'])}.")
    return out


def _review(f: dict, used: list[str]) -> list[str]:
    largest = get(f, "measurements", "largest_axial_slice", default={}) or {}
    if largest.get("slice_index") is None:
        return []
    used.append("measurements.largest_axial_slice.slice_index")
    return [f"Start at axial slice {largest['slice_index']}, the largest cross-section of the whole tumour, on FLAIR and T1ce."]


def _how_measured() -> list[str]:
    return ["Volumes are the predicted voxels of each region times the voxel volume from the image header.",
            "The side is the share of the tumour on each side of the brain's midline plane, and the lobes come from "
            "overlap with the SRI24 atlas masks."]


_WRITERS = {"size": _size, "side": _side, "location": _location, "lesions": _lesions, "confidence": _confidence,
            "sequence": _sequence, "methods": _methods, "review": _review}


def answer(topics: list[str], facts: dict) -> RoutedAnswer:
    """The answer for ``topics`` from ``facts`` (an overview when no topic was recognised)."""
    topics = topics or ["overview"]
    used: list[str] = []
    lines: list[str] = []
    for topic in topics:
        if topic == "overview":
            for name in ("size", "side", "location", "confidence"):
                lines += _WRITERS[name](facts, used)
        elif topic == "how_measured":
            lines += _how_measured()
        else:
            lines += _WRITERS[topic](facts, used)
    if not lines:
        wt = get(facts, "measurements", "volumes_ml", "WT")
        lines = ["No tumour was segmented, so there is nothing to explain or locate." if wt == 0 else
                 "The tools have not produced that result for this case yet: run /analyse first."]
    return RoutedAnswer(topics, " ".join(dict.fromkeys(lines)), list(dict.fromkeys(used)))
