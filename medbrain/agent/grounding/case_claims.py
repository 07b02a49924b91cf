"""Claims about the case and the run that the facts record as words or flags, not numbers.

"Test-time augmentation was disabled" (``segmentation.tta``), "the image orientation is RAS"
(``case.orientation``), "the case comes from BraTS 2021" (``case.label_convention``), "a
reference segmentation was not available" (``case.has_ground_truth`` and the Dice scores),
"localisation was scored against the predicted mask" (``comparison.localisation_reference``),
"the Shapley analysis covered all slices" (its ``slices``) and "explanations were computed on
every slice" (they explain one), "all methods explain the tumour core" (``explanations.region``),
"the explanations target the tumour probability" (they target its log-odds), "the maps were computed
for the enhancing tumour" (``explanations.region``), "the RANO measurement was taken on the whole
tumour" (``measurements.rano.region``), "Grad-CAM was computed on the transformer layer" or block, or
"at layer x_4_0" (its layer), "the Shapley efficiency check failed"
(its ``efficiency_ok``), "SLICE failed its stability checks", "held across seeds" (one run: not
measured), "the agreement is the mean pairwise IoU" (it is the Spearman over the scored pairs), a
named language model or a model fitted "on this case" (neither is recorded, and the model is only
run on it).
"""

from __future__ import annotations

import re

from medbrain.agent.grounding.claim import Claim, make_claim
from medbrain.agent.grounding.mentions import method_mentions, region_mentions
from medbrain.agent.grounding.number_mentions import NUMBER_WORDS
from medbrain.agent.grounding.text import conjunct_end, is_negated_at
from medbrain.facts import FactCatalogue, display_word, get

_TTA_OFF_RE = re.compile(r"\b(?:test-time augmentation|tta|flip augmentation)\b[^.;]{0,30}?\b(?:was|were|is)\s+"
                         r"(?:(not)\s+)?(disabled|switched off|turned off|off|skipped|omitted|used|applied|enabled|run)\b", re.I)
_ORIENTATION_RE = re.compile(r"\borientation\b[^.;]{0,30}?\b(RAS|LPS|LAS|LPI|RPI|RAI|LAI|RPS|ALS|PIR)\b\+?|"
                             r"\b(RAS|LPS|LAS|LPI|RPI|RAI|LAI|RPS|ALS|PIR)\+?\s+(?:\w+\s+)?orientation\b", re.I)
_DATASET_RE = re.compile(r"\bbrats\s*[- ]?(20\d\d|\d\d)\b(?:\s+(?:dataset|challenge|data|cohort|collection))?", re.I)
_NO_TRUTH_RE = re.compile(r"\b(?:ground[- ]truth|reference (?:segmentation|mask|labels?|annotation)|manual (?:segmentation|labels?))"
                          r"\s+(?:was|were|is|are)\s+(?:not\s+(?:available|provided|supplied|given)|unavailable|missing|absent)\b", re.I)
_LOCALISED_AGAINST_RE = re.compile(r"\blocali[sz]ation\b[^.;]{0,40}?\b(?:scored|measured|computed|evaluated|assessed)\s+"
                                   r"(?:against|with|on|relative to)\s+(?:the\s+)?(?:model's\s+(?:own\s+)?)?"
                                   r"(predicted|predictions?|reference|ground[- ]truth)\b", re.I)
_ALL_SLICES_RE = re.compile(r"\b(?:over|across|on|for|cover\w*|span\w*|includ\w*)\s+(?:all|every|each)\s+(?:of\s+the\s+)?"
                            r"(?:[\w-]+\s+)?slices?\b|"
                            r"\b(?:whole|entire|full)\s+(?:3d\s+)?volume\b", re.I)
_EXPLAIN_RE = re.compile(r"\bexplain(?:s|ed)?\s+the\s+(?P<what>[\w -]{2,30}?)\s+(?:prediction|output|segmentation|logits?)\b", re.I)
_LAYER_RE = re.compile(r"\b(?:computed|taken|applied|hooked|calculated|run|came|comes|derived|extracted|read|drawn|obtained)\s+"
                       r"(?:on|at|from)\s+(?:the\s+|an?\s+)?(?P<words>(?:[\w'-]+\s+){0,3})"
                       r"(?:layer|block)\b", re.I)
_EXPLANATION_SUBJECT_RE = re.compile(r"\b(?:explanations?|explanation maps?|attribution maps?|attributions?|heat ?maps?|"
                                     r"saliency maps?|relevance maps?|the maps)\b", re.I)
_TARGET_KINDS = {"probability": re.compile(r"probabilit", re.I), "log-odds": re.compile(r"log-?odds|logits?", re.I)}
_TARGET_RE = re.compile(r"\b(?:target(?:s|ed|ing)?|explained quantity|quantity (?:explained|attributed)|explain(?:s|ed)?)\b"
                        r"[^.;]{0,40}?\b(?P<kind>probabilit\w*|log-?odds|logits?)\b", re.I)
_EFFICIENCY_RE = re.compile(r"\b(?:shapley\s+)?efficiency(?:\s+check)?\b[^.;]{0,30}?\b(pass(?:es|ed)?|fail(?:s|ed)?|held|holds|"
                            r"violated|satisfied)\b", re.I)
_STABILITY_CHECKS_RE = re.compile(r"\b(pass(?:es|ed)?|fail(?:s|ed)?|met|meets|missed)\s+(?:all\s+)?(?:of\s+)?(?:its\s+|the\s+)?"
                                  r"(?:own\s+)?(?:stability|reliability)\s+(?:checks?|tests?|criteria)\b", re.I)
_ACROSS_RUNS_RE = re.compile(r"\b(?:across|over|between|with)\s+(?:multiple\s+|several\s+|many\s+|different\s+|independent\s+|"
                             r"repeated\s+|\d+\s+){1,2}(?:runs?|seeds?|repeats|restarts)\b|\b(?:held|holds|replicated|reproduced|"
                             r"confirmed)\s+across\s+(?:\w+\s+)?(?:runs?|seeds?)\b|"
                             r"\bconsisten\w*\s+(?:across|over|between)\s+(?:\w+\s+)?(?:runs?|seeds?)\b(?=[^.;]{0,20}\b(?:was|were|is)\s+"
                             r"(?:also\s+)?(?:confirmed|established|shown|demonstrated|verified|high|good)\b)", re.I)
_AGREEMENT_IS_RE = re.compile(r"\b(?:agreement|mean pairwise \w+|pairwise (?:spearman|agreement))\b(?:[^.;]|\.\d){0,40}?\b(?:is|was|means|"
                              r"denotes|measures)\s+(?:the\s+)?(?:mean|average)\s+(?:pairwise\s+)?(?P<metric>iou|overlap|"
                              r"intersection over union|spearman|rank correlation|correlation|dice|pearson)\b", re.I)
_OVER_PAIRS_RE = re.compile(r"\b(?:average|mean)\s+(?:over|of|across)\s+(?:all\s+)?(?:the\s+)?(?P<n>\w+)\s+(?:scored\s+|method\s+)?"
                            r"pairs\b", re.I)
_LLM_RE = re.compile(r"\b(?:gpt-?\d[\w.-]*|chatgpt|claude|llama[\w.-]*|gemini|mistral|mixtral|qwen[\w.-]*|deepseek|copilot)\b", re.I)
_FITTED_RE = re.compile(r"\b(?:fine-?tuned|trained|re-?trained|adapted|optimi[sz]ed)\s+(?:\w+\s+){0,2}?(?:on|to|for)\s+"
                        r"(?:this|the present|the current|the same)\s+(?:case|patient|scan|image|volume)\b", re.I)
# "the RANO measurement was taken on the whole tumour": the region the bidimensional RANO product was measured on
_RANO_ON_RE = re.compile(r"\brano\b[^.;]{0,40}?\b(?:taken|measured|computed|made|done|calculated|based|performed|drawn)\s+"
                         r"(?:on|for|from|over|of)\b", re.I)
# "the explanation maps were computed for the enhancing tumour": the region the explanations explain
_COMPUTED_FOR_RE = re.compile(r"\b(?:computed|generated|produced|calculated|run|obtained|derived|made)\s+(?:for|on)\s+"
                              r"(?:the\s+)?(?P<what>[\w-]+(?:\s+[\w-]+)?)", re.I)
# "Grad-CAM was computed at layer x_4_0": the layer identifier
_LAYER_NAME_RE = re.compile(r"\blayer\s+[`'\"]?(?P<name>[a-z][a-z0-9]*(?:[_.][a-z0-9]+)+)\b", re.I)


def _flag_claims(s: str, cat: FactCatalogue) -> list[Claim]:
    claims = []
    tta = get(cat.raw, "segmentation", "tta")
    for m in _TTA_OFF_RE.finditer(s):
        if isinstance(tta, bool):
            says_on = (m.group(2).lower() in ("used", "applied", "enabled", "run")) != bool(m.group(1))
            claims.append(make_claim("setting", m.group(0), says_on == tta, f"test-time augmentation was {'on' if tta else 'off'}"))
    orientation = str(get(cat.raw, "case", "orientation", default="") or "")
    for m in _ORIENTATION_RE.finditer(s):
        if orientation and not re.search(r"\bworld|frame|coordinates?\b", s, re.I):
            g = 1 if m.group(1) else 2  # "orientation is LPS" or "stored in RAS orientation"
            ok = (m.group(g).upper() == orientation.upper()) != is_negated_at(s, m.start(g), m.end(g))
            claims.append(make_claim("setting", m.group(0), ok, f"the image orientation is {orientation}"))
    convention = str(get(cat.raw, "case", "label_convention", default="") or "")
    year = re.search(r"(\d{4})", convention)
    for m in _DATASET_RE.finditer(s):
        said = m.group(1) if len(m.group(1)) == 4 else "20" + m.group(1)
        if year and not re.search(r"\b(?:convention|labels?|label scheme)\b", s[m.end():m.end() + 20], re.I):
            ok = (said == year.group(1)) != is_negated_at(s, m.start(), m.end())
            claims.append(make_claim("setting", m.group(0), ok, f"the case follows the {convention} convention"))
    scores = get(cat.raw, "segmentation", "scores_vs_truth", default={}) or {}
    has_truth = bool(get(cat.raw, "case", "has_ground_truth")) or any(isinstance(v, (int, float)) for v in scores.values())
    for m in _NO_TRUTH_RE.finditer(s):
        claims.append(make_claim("confidence", m.group(0), not has_truth, "a reference segmentation was available"))
    reference = str(get(cat.raw, "comparison", "localisation_reference", default="") or "")
    for m in _LOCALISED_AGAINST_RE.finditer(s):
        if reference:
            said = "prediction" if m.group(1).lower().startswith("predict") else "ground_truth"
            truth = "prediction" if reference.startswith("pred") else "ground_truth"
            ok = (said == truth) != is_negated_at(s, m.start(1), m.end(1))
            claims.append(make_claim("relation", m.group(0), ok, f"localisation was scored against {reference}"))
    return claims


def _explanation_claims(s: str, cat: FactCatalogue) -> list[Claim]:
    claims = []
    shap_slices = get(cat.raw, "explanations", "shapley", "settings", "slices")
    explained_slice = get(cat.raw, "explanations", "slice_index")
    for m in _ALL_SLICES_RE.finditer(s):
        if is_negated_at(s, m.start(), m.end()):
            continue
        if re.search(r"\bshapley\b", s[:m.start()], re.I) and isinstance(shap_slices, list):
            claims.append(make_claim("setting", m.group(0), False, f"the Shapley analysis used slice(s) {shap_slices} only"))
        elif explained_slice is not None and (_EXPLANATION_SUBJECT_RE.search(s[:m.start()]) or method_mentions(s[:m.start()])):
            # "explanations were computed on every tumour-containing slice": they explain one slice
            claims.append(make_claim("setting", m.group(0), False, f"the explanations were computed on slice {explained_slice} only"))
    kinds = " ".join(str(v) for v in (get(cat.raw, "comparison", "target", "units"), get(cat.raw, "comparison", "target", "quantity"),
                                      get(cat.raw, "explanations", "slice", "settings", "target")) if isinstance(v, str))
    recorded = {k for k, p in _TARGET_KINDS.items() if p.search(kinds)}
    for m in _TARGET_RE.finditer(s):
        said = next(k for k, p in _TARGET_KINDS.items() if p.search(m.group("kind")))
        if recorded:  # "the explanations target the mean tumour probability": they target the region's log-odds
            ok = (said in recorded) != is_negated_at(s, m.start("kind"), m.end("kind"))
            claims.append(make_claim("setting", m.group(0), ok, f"the explanations target the {' / '.join(sorted(recorded))} ({kinds})"))
    explained = get(cat.raw, "explanations", "region")
    for m in _EXPLAIN_RE.finditer(s):
        named = [r for p, r in region_mentions(m.group("what"))]
        if explained and named:
            ok = (named[-1] == explained) != is_negated_at(s, m.start(), m.end())
            claims.append(make_claim("setting", m.group(0), ok, f"the explanations explain the {display_word(explained)} prediction"))
    layer = str(get(cat.raw, "explanations", "gradcam", "layer", default="") or "")
    for m in _LAYER_RE.finditer(s):
        if layer and any(k == "gradcam" for _, _, k in method_mentions(s[:m.start()])):
            words = m.group("words").lower()
            if re.search(r"\b(?:transformer|bottleneck|attention|encoder)\b", words) and not re.search(
                    r"transformer|bottleneck|enc", layer) and not re.fullmatch(r"x_\d+_0", layer):
                claims.append(make_claim("setting", m.group(0), is_negated_at(s, m.start(), m.end()),
                                         f"Grad-CAM was computed on layer {layer} (a decoder node)"))
    for m in _LAYER_NAME_RE.finditer(s):
        if layer and any(k == "gradcam" for _, _, k in method_mentions(s)) and not is_negated_at(s, m.start(), m.end()):
            claims.append(make_claim("setting", m.group(0), m.group("name").lower() == layer.lower(),
                                     f"Grad-CAM was computed on layer {layer}"))
    for m in _COMPUTED_FOR_RE.finditer(s):
        named = [r for _, r in region_mentions(m.group("what"))]
        if explained and named and (_EXPLANATION_SUBJECT_RE.search(s[:m.start()]) or method_mentions(s[:m.start()])) \
                and not re.search(r"\bshapley\b", s[:m.start()], re.I):
            ok = (named[0] == explained) != is_negated_at(s, m.start("what"), m.end("what"))
            claims.append(make_claim("setting", m.group(0), ok, f"the explanations explain the {display_word(explained)} prediction"))
    rano = get(cat.raw, "measurements", "rano", "region")
    for m in _RANO_ON_RE.finditer(s):
        end = min([conjunct_end(s, m.end())] + [m.end() + x.start() for x in re.finditer(r"[;(]", s[m.end():])])
        for p, r in region_mentions(s, m.end(), end):
            if isinstance(rano, str):
                said = not is_negated_at(s, p, p + 1)
                claims.append(make_claim("setting", f"RANO measured on {r}" if said else f"RANO not measured on {r}",
                                         (r == rano) == said, f"the RANO measurement is of the {display_word(rano)}"))
    for m in _EFFICIENCY_RE.finditer(s):
        regions = get(cat.raw, "explanations", "shapley", "regions", default={}) or {}
        named = [r for p, r in region_mentions(s) if r in regions] or list(regions)
        says = (m.group(1).lower().startswith(("pass", "held", "hold", "satisf"))) != is_negated_at(s, m.start(1), m.end(1))
        flags = {r: (regions.get(r) or {}).get("efficiency_ok") for r in named}
        ok = all(v is not None and bool(v) == says for v in flags.values()) and bool(flags)
        claims.append(make_claim("relation", m.group(0), ok, f"Shapley efficiency_ok: {flags}"))
    stability = get(cat.raw, "explanations", "slice", "stability", default={}) or {}
    for m in _STABILITY_CHECKS_RE.finditer(s):
        if stability.get("reliable") is not None and any(k == "slice" for _, _, k in method_mentions(s[:m.start()])):
            says = bool(re.match(r"pass|met|meets", m.group(1), re.I)) != is_negated_at(s, m.start(), m.end())
            claims.append(make_claim("relation", m.group(0), says == bool(stability["reliable"]),
                                     f"SLICE stability reliable is {stability['reliable']}"))
    return claims


def _run_count_claims(s: str, cat: FactCatalogue) -> list[Claim]:
    claims = []
    consistency = get(cat.raw, "explanations", "slice", "consistency", default={}) or {}
    basis = str(get(cat.raw, "explanations", "slice", "stability", "rank_correlation_basis", default="") or "")
    runs = consistency.get("runs")
    for m in _ACROSS_RUNS_RE.finditer(s):
        named = [k for _, _, k in method_mentions(s)]
        if isinstance(runs, int) and runs <= 1 and (not named or "slice" in named) \
                and not is_negated_at(s, m.start(), m.end()) \
                and not re.search(r"\bnot (?:been )?(?:measured|assessed|tested|checked|run)\b|\bwould\b|\brequires?\b", s, re.I):
            claims.append(make_claim("relation", m.group(0), False,
                                     f"SLICE ran once ({consistency.get('note') or basis or 'one run'})"))
    pairs = [p for p in get(cat.raw, "comparison", "pairs", default=[]) or [] if isinstance(p, dict)]
    scored = [p for p in pairs if isinstance(p.get("spearman"), (int, float))]
    mean = get(cat.raw, "comparison", "mean_pairwise_spearman")
    for m in _AGREEMENT_IS_RE.finditer(s):
        if isinstance(mean, (int, float)):
            ok = m.group("metric").lower() in ("spearman", "rank correlation", "correlation")
            claims.append(make_claim("relation", m.group(0), ok, "the agreement is the mean pairwise Spearman rank correlation"))
    for m in _OVER_PAIRS_RE.finditer(s):
        n = NUMBER_WORDS.get(m.group("n").lower()) or (int(m.group("n")) if m.group("n").isdigit() else None)
        if n and scored and re.search(r"\b(?:spearman|agreement)\b", s, re.I):
            claims.append(make_claim("relation", m.group(0), n == len(scored),
                                     f"the mean is over the {len(scored)} scored pairs of {len(pairs)}"))
    return claims


def _provenance_claims(s: str) -> list[Claim]:
    claims = []
    for m in _LLM_RE.finditer(s):
        if not is_negated_at(s, m.start(), m.end()):
            claims.append(make_claim("setting", m.group(0), False, "the facts do not record which language model wrote the text"))
    for m in _FITTED_RE.finditer(s):
        claims.append(make_claim("setting", m.group(0), is_negated_at(s, m.start(), m.end()),
                                 "the model is only run on the case; nothing is fitted to it"))
    return claims


def check_case_claims(s: str, cat: FactCatalogue) -> list[Claim]:
    """Every claim about the case's recorded flags, settings and provenance in one sentence."""
    return [*_flag_claims(s, cat), *_explanation_claims(s, cat), *_run_count_claims(s, cat), *_provenance_claims(s)]
