"""Claims about how the case was processed: what ran, with which settings, and who reviewed it.

"The randomisation check passed" (when it did not run), "inference ran in fp32"
(the segmentation records its precision), "no clean-up was applied" (the clean-up records
what it removed), "this is a synthetic case", "diffusion-weighted imaging was used" (the
model reads T1, T1ce, T2 and FLAIR only), "IG used a blurred baseline" (its baseline is
recorded), "SLICE failed its fidelity check", "every method beat the probability-map
control", "the largest cross-section is in the coronal plane" (every slice here is axial),
"agreement was computed pixel by pixel" (the pair agreement records its resolution),
and any statement that a person reviewed or signed off the output (nobody has: reports
are generated unreviewed) are checked against the facts.
"""

from __future__ import annotations

import re

from medbrain.agent.grounding.claim import Claim, make_claim
from medbrain.agent.grounding.lexicon import REGION_TERMS
from medbrain.agent.grounding.control_flags import holds, imputations_named
from medbrain.agent.grounding.mentions import ALL_METHODS_RE, method_mentions
from medbrain.agent.grounding.text import conjuncts, is_negated_at
from medbrain.facts import FactCatalogue, display_word, get

_RANDOMISATION_RE = re.compile(r"\b(?:(?:model|parameter|weight|cascading)[- ])?randomi[sz]ation(?: sanity)?(?: check| test)?\b"
                               r"|\bsanity check\b"
                               # "when the weights were randomised", "under randomised weights", "on signed similarity"
                               r"|\b(?:weights?|parameters?|network|model|layers?)\s+(?:were|was|are|is|being|got)\s+randomi[sz]ed\b"
                               r"|\brandomi[sz]ed\s+(?:weights|network|model|parameters|layers)\b"
                               r"|\b(?:signed|absolute)\s+similarity\b", re.I)
_NOT_RUN_RE = re.compile(r"\b(?:not (?:been )?(?:run|performed|done|carried out|executed|part of)|skipped|omitted|"
                         r"only (?:runs?|with)|requires? (?:the )?(?:full|--budget)|would need|(?:full|reference) budget|"
                         r"with --budget full|unavailable|not available|absent)\b", re.I)
_RESULT_RE = re.compile(r"\b(pass(?:es|ed)?|fail(?:s|ed)?|showed|shows|confirm\w*|"
                        r"(?:barely|hardly|scarcely|little|only slightly|only marginally) changed|changed|unchanged|degrad\w*|"
                        r"(?:was|were) (?:robust|sensitive|insensitive))\b", re.I)
_SKIPPED_RE = re.compile(r"\b(?:was|were|is|has been)\s+(?:not\s+(?:run|performed|done|carried out)|skipped|omitted)\b", re.I)
_STAGE_WORDS_RE = re.compile(r"\b(?:stages?|cascade|cascading|intermediate|layer[- ]by[- ]layer)\b", re.I)
_CASCADE_RE = re.compile(r"\b(?:full|complete|whole|entire)\s+(?:[\w'-]+\s+)?cascade\b|"
                         r"\b(?:full|complete|whole)\s+(?:cascad\w*\s+)?(?:(?:model|parameter)\s+)?randomi[sz]ation\b|"
                         r"\bcascading randomi[sz]ation\b|\blayer[- ]by[- ]layer\b|\bevery (?:intermediate )?(?:cascade )?stage\b|"
                         r"\bintermediate (?:cascade )?stages (?:were|was) (?:run|computed|evaluated|included)\b", re.I)
_BUDGET_RE = re.compile(r"\b(full|fast|reference|reduced|cheap)\s+(?:explanation\s+)?budget\b", re.I)
_PRECISION_WORDS = {"fp32": "fp32", "float32": "fp32", "full precision": "fp32", "single precision": "fp32",
                    "bf16": "bf16", "bfloat16": "bf16", "fp16": "fp16", "float16": "fp16", "half precision": "half",
                    "int8": "int8"}
_PRECISION_RE = re.compile(r"\b(" + "|".join(sorted(_PRECISION_WORDS, key=len, reverse=True)) + r")\b", re.I)
_CLEANUP_RE = re.compile(r"\b(?:post-?processing|clean-?up|cleaning|component filtering|small components?)\b", re.I)
_NONE_APPLIED_RE = re.compile(r"\bno (?:post-?processing|clean-?up|cleaning|component filtering)\b"
                              r"|\b(?:was|were) not (?:post-?processed|cleaned)\b|\bwithout (?:any )?(?:post-?processing|clean-?up)\b"
                              r"|\bnothing (?:was )?removed\b|\bno (?:\w+ )?components? (?:were|was) (?:removed|relabell?ed)\b|\bunprocessed (?:network )?output\b", re.I)
_NONE_OF_REGION_RE = re.compile(r"\bno\s+(?P<region>[\w-]+(?:\s+[\w-]+)?)\s+(?P<what>voxels?|components?)\s+(?:were|was|got|have been|"
                                r"had been)\s+(?P<verb>relabell?ed|removed|dropped|discarded|deleted|reassigned)\b", re.I)
_SYNTHETIC_RE = re.compile(r"(?<!non-)(?<!non)\bsynthetic\b|\bsimulated (?:case|tumou?r|data)\b|\bphantom\b", re.I)
_OTHER_INPUT_RE = re.compile(r"\b(?:diffusion[- ]weighted|dwi|adc|apparent diffusion|perfusion|dce|swi|susceptibility[- ]weighted|"
                             r"spectroscopy|mrs|dti|diffusion tensor|pet|ct scan|computed tomography|proton density|"
                             r"gradient echo|asl|arterial spin)\b|\bt2\*(?!\w)", re.I)
_USED_RE = re.compile(r"\b(?:used|uses|using|input|inputs|included|includes|fed|read|reads|combined|incorporat\w*|contribut\w*|informed|"
                      r"analys\w*|analyz\w*|processed|acquired|available|provided|supplied|considered)\b", re.I)
_BASELINE_KIND_RE = re.compile(r"\b(zero|black|blurred|blur|gaussian|noise|uniform|mean)(?:[- ](?:image|valued|intensity))?"
                               r"[- ]baseline\b", re.I)
_FIDELITY_CHECK_RE = re.compile(r"\b(pass(?:es|ed)?|fail(?:s|ed)?|met|meets|missed|misses)\s+(?:its\s+|the\s+)?(?:own\s+)?"
                                r"(?:fidelity|surrogate[- ]fit|fit)\s+(?:check|test|floor)s?\b", re.I)
_PROBABILITY_CONTROL_RE = re.compile(r"\b(?:beat\w*|outperform\w*|better than|exceed\w*|surpass\w*)\s+(?:the\s+)?"
                                     r"(?:model's\s+own\s+)?probability(?:[- ]map)?(?:\s+control|\s+map|\s+baseline)?\b", re.I)
_ALL_RE = re.compile(r"\b(?:all|every|each)(?: of the)?\s+(?:four\s+|three\s+)?(?:explanation\s+)?(?:methods?|maps?)\b", re.I)
_PLANE_RE = re.compile(r"\b(coronal|sagittal)\b", re.I)
_REVIEWED_RE = re.compile(r"\b(?:reviewed|signed[- ]off|approved|confirmed|validated|verified|checked|read|reported|"
                          r"countersigned|vetted)\s+(?:and\s+(?:signed[- ]off|approved|confirmed)\s+)?by\s+(?:a|an|the|our)?\s*"
                          r"(?:[\w-]+\s+){0,3}?(?:radiologists?|neuroradiologists?|clinicians?|physicians?|doctors?|experts?|"
                          r"specialists?|consultants?|neurosurgeons?|oncologists?|humans?|people|staff)\b", re.I)
_SKIP_REVIEW_RE = re.compile(r"\breview\w*\s+(?:can|may|could|should)\s+(?:safely\s+)?be\s+(?:skipped|omitted|waived|bypassed|"
                             r"dispensed with|avoided)\b|\b(?:skip|omit|bypass|waive)\w*\s+(?:the\s+)?(?:radiologist\s+|expert\s+|"
                             r"clinical\s+|manual\s+)?review\b|\b(?:needs?|requires?)\s+no\s+(?:\w+\s+)?review\b|"
                             r"\breview\b[^.;]{0,40}?\b(?:is|was|would be)\s+(?:unnecessary|not needed|not required|not necessary|not essential|optional|"
                             r"superfluous|redundant)\b|"
                             r"\bno (?:\w+ )?review (?:is )?(?:needed|required|necessary)\b|"
                             r"\b(?:does not|doesn't|do not|don't|will not|won't) need to (?:look at|review|check|see|read)\b", re.I)


def _randomisation(s: str, cat: FactCatalogue) -> list[Claim]:
    rand = get(cat.raw, "comparison", "randomisation", default=None)
    claims = []
    if not _RANDOMISATION_RE.search(s) and re.search(r"\bcascade\b|\badebayo\b", s, re.I):
        return _cascade(s, rand)  # "the full Adebayo cascade was run": the randomisation test by its author's name
    for m in _RANDOMISATION_RE.finditer(s):
        result = _RESULT_RE.search(s, m.start() - 60 if m.start() > 60 else 0)
        states_run = bool(result) or bool(re.search(r"\b(?:was|were) (?:run|performed)\b", s[m.end():m.end() + 30], re.I))
        ran = isinstance(rand, dict) and bool(rand.get("run"))
        skipped = _SKIPPED_RE.search(s, m.end(), min(len(s), m.end() + 40))
        if skipped and isinstance(rand, dict) and not _STAGE_WORDS_RE.search(s) and not is_negated_at(s, skipped.start(), skipped.end()):
            claims.append(make_claim("relation", m.group(0) + " " + skipped.group(0), not ran,
                                     "the randomisation check was run for this report"))  # "was skipped under the fast budget"
            continue
        claims.extend(_cascade(s, rand))
        if not states_run or _NOT_RUN_RE.search(s, max(0, m.start() - 30), min(len(s), m.end() + 60)):
            continue
        if not ran:
            claims.append(make_claim("relation", m.group(0) + " result", False,
                                     "the randomisation check was not run for this report"))
            continue
        passed, failed = set(rand.get("passed") or []), set(rand.get("failed") or [])
        untestable = set(rand.get("untestable") or [])  # an empty map: neither passed nor failed
        shown = f"passed: {', '.join(map(display_word, passed)) or 'none'}; failed: {', '.join(map(display_word, failed)) or 'none'}"
        if untestable:
            shown += f"; not applicable (empty map): {', '.join(map(display_word, sorted(untestable)))}"
        per_method = rand.get("methods") or {}
        for a, b in conjuncts(s):
            results = list(_RESULT_RE.finditer(s, a, b))
            named = [k for p, _, k in method_mentions(s) if a <= p < b]
            if not results:
                continue
            if not named and re.search(r"\b(?:both|they|all three|all of them|each of them)\b", s[a:b], re.I):
                named = list(dict.fromkeys(k for p, _, k in method_mentions(s) if p < a))  # "..., and both failed the check"
            except_ = re.search(r"\b(?:except|other than|apart from|but not)\b", s[a:b], re.I)
            if _ALL_RE.search(s, a, b) and (not named or except_):
                excepted = [k for p, _, k in method_mentions(s) if except_ and a + except_.end() <= p < b]
                named = [k for k in sorted(passed | failed) if k not in excepted]  # "all methods except X passed"
            if not named:
                continue
            word = results[0]
            # a sanity check passes when the map changes with the weights: "sensitive", "changed" = pass
            says_pass = not re.match(r"fail|was robust|were robust|was insensitive|were insensitive|unchanged|"
                                     r"(?:barely|hardly|scarcely|little|only)\b", word.group(1), re.I)
            says_pass = says_pass != is_negated_at(s, word.start(), word.end())
            maps = _maps_named(s[a:b])
            if maps:  # "IG's signed map passed, its absolute map did not": the flag of each map named
                wrong = [k for k in named for key in maps
                         if (per_method.get(k) or {}).get(key) is not None and bool(per_method[k][key]) != says_pass]
                shown = "; ".join(f"{display_word(k)}: " + ", ".join(f"{key} {(per_method.get(k) or {}).get(key)}" for key in maps)
                                  for k in named)
            else:
                wrong = [k for k in named if (k in passed) != says_pass]
            wrong += [k for k in named if k in untestable and k not in wrong]
            claims.append(make_claim("relation", f"randomisation {'passed' if says_pass else 'failed'}: "
                                     + ", ".join(display_word(k) for k in named), not wrong, shown))
    return claims


def _cascade(s: str, rand: object) -> list[Claim]:
    """ "The full cascading randomisation was run", "the full Adebayo cascade, layer by layer": every stage ran?"""
    cascade = _CASCADE_RE.search(s)
    if not cascade or not isinstance(rand, dict) or not rand.get("run") or is_negated_at(s, cascade.start(), cascade.end()):
        return []
    if re.search(r"--budget|\b(?:full|reference) budget\b|\b(?:would|could|requires?|needs?)\b|\bonly (?:with|under)\b",
                 s[max(0, cascade.start() - 40):cascade.start()], re.I):
        return []  # what the full budget would run
    final_only = bool((rand.get("settings") or {}).get("final_only")) or list(rand.get("stages") or []) == ["all_layers"]
    return [make_claim("relation", cascade.group(0), not final_only,
                       f"only the last stage ran (stages {rand.get('stages')}): {rand.get('test', '')}")]


def _maps_named(text: str) -> list[str]:
    """The randomisation flags a conjunct names: ``passes`` (absolute map), ``passes_signed`` (signed map)."""
    keys = []
    if re.search(r"\babsolute\b|\|attribution\|", text, re.I):
        keys.append("passes")
    if re.search(r"(?<!un)\bsigned\b", text, re.I):
        keys.append("passes_signed")
    return keys


def check_randomisation_followup(s: str, previous: str, cat: FactCatalogue) -> list[Claim]:
    """ "The randomisation check was run on the fully randomised network only. Grad-CAM and IG passed; SLICE
    failed.": results in the sentence after one about the randomisation check are its results."""
    if not _RANDOMISATION_RE.search(previous) or _RANDOMISATION_RE.search(s) or not _RESULT_RE.search(s) \
            or not method_mentions(s) or re.search(r"\b(?:pointing|fidelity|stability|checks?|tests?|random)\b", s, re.I):
        return []
    return _randomisation("In the randomisation check, " + s, cat)


def _settings(s: str, cat: FactCatalogue) -> list[Claim]:
    claims = []
    budget = str(get(cat.raw, "explanations", "budget", default="") or "")
    for m in _BUDGET_RE.finditer(s):  # "explanations were computed with the full budget"
        said = "full" if m.group(1).lower() in ("full", "reference") else "fast"
        hypothetical = re.search(r"\b(?:rerun\w*|re-run\w*|would|could|can|should|if|only (?:with|under)|only runs?|runs? only|"
                                 r"requires?|needs?)\b",
                                 s[max(0, m.start() - 40):m.start()], re.I)
        clause = max(m.start() - 30, s.rfind(";", 0, m.start()) + 1, 0)  # "...the fast budget; the full budget runs ..."
        if budget and not hypothetical and (re.search(r"\b(?:computed|run|ran|used|with|under|at)\b", s[clause:m.start()], re.I)
                                            or re.match(r"\s+(?:was|were|is|had been|has been)\s+(?:used|run|applied|chosen|selected)\b",
                                                        s[m.end():], re.I)):
            ok = said == budget  # "was not run under the fast budget" denies the run, not the budget
            claims.append(make_claim("setting", m.group(0), ok, f"the explanations ran with the {budget!r} budget"))
    precision = str(get(cat.raw, "segmentation", "precision", default="") or "").lower()
    for m in _PRECISION_RE.finditer(s):
        said = _PRECISION_WORDS[m.group(1).lower()]
        if precision:
            same = said == precision or (said == "half" and precision in ("bf16", "fp16"))
            denied = is_negated_at(s, m.start(), m.end()) or bool(
                re.search(r"\b(?:rather than|instead of|not)\s+(?:in\s+)?$", s[max(0, m.start() - 20):m.start()], re.I))
            ok = same != denied
            claims.append(make_claim("setting", m.group(0), ok, f"the segmentation ran in {precision}"))
    cleanup = get(cat.raw, "segmentation", "cleanup", default=None)
    if isinstance(cleanup, dict):
        changed = any(isinstance(v, (int, float)) and v > 0 for v in cleanup.values())
        for m in _NONE_APPLIED_RE.finditer(s):
            of_region = _NONE_OF_REGION_RE.match(s, m.start())
            if of_region and (REGION_TERMS.get(of_region.group("region").lower().replace("-", " "))
                              or REGION_TERMS.get(of_region.group("region").lower())) \
                    and (of_region.group("region").isupper() or len(of_region.group("region")) > 3):
                continue  # "no ET components were relabelled": that region's count (below), not the whole clean-up
            ok = not changed  # the phrase is itself the denial ("no clean-up", "nothing removed")
            claims.append(make_claim("setting", m.group(0), ok, "the clean-up removed or relabelled components: "
                                     + ", ".join(f"{k} {v}" for k, v in cleanup.items())))
        for m in _NONE_OF_REGION_RE.finditer(s):  # "no enhancing-tumour voxels were relabelled": that count is zero
            region = REGION_TERMS.get(m.group("region").lower().replace("-", " ")) or REGION_TERMS.get(m.group("region").lower())
            what = "voxels" if m.group("what").lower().startswith("voxel") else "components"
            verb = "relabelled" if m.group("verb").lower().startswith("relabel") else "removed"
            key = f"{(region or '').lower()}_{what}_{verb}"
            if region and isinstance(cleanup.get(key), (int, float)):
                claims.append(make_claim("setting", m.group(0), cleanup[key] == 0, f"the clean-up records {key} = {cleanup[key]}"))
    synthetic = get(cat.raw, "case", "synthetic", default=None)
    for m in _SYNTHETIC_RE.finditer(s):
        if synthetic is None:
            continue
        ok = bool(synthetic) != is_negated_at(s, m.start(), m.end())
        claims.append(make_claim("setting", m.group(0), ok, f"the case is {'synthetic' if synthetic else 'a real scan'}"))
    for m in _OTHER_INPUT_RE.finditer(s):
        listed_no = re.search(r"\b(?:no|not|without|never|neither|nor)\b[^.;]{0,60}$", s[:m.start()], re.I)
        if _USED_RE.search(s) and not is_negated_at(s, m.start(), m.end()) and not listed_no:
            claims.append(make_claim("setting", m.group(0), False, "the model reads T1, T1ce, T2 and FLAIR only"))
    ig_baseline = get(cat.raw, "explanations", "integrated_gradients", "settings", "baseline", default=None)
    for m in _BASELINE_KIND_RE.finditer(s):
        lo, hi = s.rfind(";", 0, m.start()) + 1, (s.find(";", m.end()) + 1 or len(s) + 1) - 1
        # IG's own baseline only where its clause names IG ("no method beat the probability map with the zero
        # baseline; under blur, IG did": that is the faithfulness imputation)
        if not re.search(r"(?i:integrated gradients?)|\bIG\b", s[lo:hi]) or ig_baseline is None \
                or re.search(r"\b(?:used|uses|with|from|against|relative to)\s+(?:an?\s+|the\s+)?$", s[max(0, m.start() - 20):m.start()], re.I) is None:
            continue
        zero = m.group(1).lower() in ("zero", "black")
        truth_zero = isinstance(ig_baseline, (int, float)) and float(ig_baseline) == 0.0
        ok = (zero == truth_zero) != is_negated_at(s, m.start(), m.end())
        claims.append(make_claim("setting", m.group(0), ok, f"Integrated Gradients' baseline is {ig_baseline!r} (a zero image)"
                                 if truth_zero else f"Integrated Gradients' baseline is {ig_baseline!r}"))
    for m in _PLANE_RE.finditer(s):
        clause = re.split(r"[;,]", s[m.start():])[0] + " " + re.split(r"[;,]", s[:m.start()])[-1]
        if re.search(r"\b(?:slice|section)\s+\d+|\bin the (?:coronal|sagittal) plane\b|\bcross[- ]section", clause, re.I) \
                and not is_negated_at(s, m.start(), m.end()):
            claims.append(make_claim("setting", m.group(0), False, "every slice the tools report is axial"))
    return claims


_RESOLUTION_RE = re.compile(r"\b(?P<pixel>pixel[- ]by[- ]pixel|pixel[- ]?wise|per[- ]pixel|at (?:the )?(?:full[- ])?pixel[- ]level|"
                            r"pixel[- ]level|on (?:individual |raw |the )?pixels)\b|"
                            r"\b(?P<super>superpixel[- ]by[- ]superpixel|per[- ]superpixel|at (?:the )?superpixel[- ]level|"
                            r"superpixel[- ]level|on (?:the )?superpixels|over (?:the )?superpixels|on (?:\d+ )?(?:superpixel )?cells)\b",
                            re.I)
_AGREEMENT_COMPUTED_RE = re.compile(r"\b(?:agreement|comparison|compared|spearman|iou)\b[^.;]{0,60}?\b(?:computed|measured|"
                                    r"assessed|calculated|done|scored|evaluated|performed|made)\b", re.I)


def _agreement_resolution(s: str, cat: FactCatalogue) -> list[Claim]:
    """ "Agreement between methods was computed pixel by pixel": the resolution the pair agreement used."""
    resolution = str(get(cat.raw, "comparison", "agreement_resolution", default="") or "")
    if not resolution or not _AGREEMENT_COMPUTED_RE.search(s) or re.search(r"(?<![\w.])\d", s):
        return []  # a sentence citing a pixel-level value ("pixel-level Spearman 0.696") is checked as a number
    claims = []
    for m in _RESOLUTION_RE.finditer(s):
        said = "pixels" if m.group("pixel") else "superpixels"
        ok = (said == resolution.lower()) != is_negated_at(s, m.start(), m.end())
        claims.append(make_claim("setting", m.group(0), ok, f"the methods' agreement was computed on {resolution}"))
    return claims


def _method_checks(s: str, cat: FactCatalogue) -> list[Claim]:
    claims = []
    mentions = method_mentions(s)
    for m in _FIDELITY_CHECK_RE.finditer(s):
        if not any(k == "slice" for a, _, k in mentions if a < m.start()):
            continue
        ok_flag = get(cat.raw, "explanations", "slice", "stability", "fidelity_ok", default=None)
        if ok_flag is None:
            continue
        says = bool(re.match(r"pass|met|meets", m.group(1), re.I)) != is_negated_at(s, m.start(), m.end())
        claims.append(make_claim("relation", f"SLICE {'passes' if says else 'fails'} its fidelity check",
                                 bool(ok_flag) == says, f"SLICE fidelity_ok is {ok_flag}"))
    rows = {r.get("method"): r for r in get(cat.raw, "comparison", "methods", default=[]) or [] if isinstance(r, dict)}
    for m in _PROBABILITY_CONTROL_RE.finditer(s):
        flags = {k: (r.get("faithfulness") or {}).get("beats_probability") for k, r in rows.items()}
        flags = {k: v for k, v in flags.items() if isinstance(v, dict)}
        if not flags:
            continue
        lo_named = s.rfind(";", 0, m.start()) + 1
        named = [k for a, _, k in mentions if lo_named <= a < m.start() and k in flags] \
            or (list(flags) if ALL_METHODS_RE.search(s[lo_named:]) else []) \
            or [k for a, _, k in mentions if a < m.start() and k in flags]
        says = not is_negated_at(s, m.start(), m.end())
        lo, hi = s.rfind(";", 0, m.start()) + 1, (s.find(";", m.end()) + 1 or len(s) + 1) - 1
        imputations = imputations_named(s[lo:hi]) or imputations_named(s)  # the imputation of the claim's own clause
        only = len(imputations) == 1 and bool(re.search(r"\bonly\b", s[lo:hi], re.I))
        # under the imputation named (every one when none is), and not the other with "only"
        wrong = [k for k in named if not holds(flags[k], says, imputations, only)]
        if named:
            claims.append(make_claim("relation", f"{', '.join(map(display_word, named))} "
                                     f"{'beat' if says else 'do not beat'} the probability-map control", not wrong,
                                     "beats the probability-map control: " + ", ".join(
                                         f"{display_word(k)} {flags[k]}" for k in named)))
    return claims


def _review(s: str) -> list[Claim]:
    claims = []
    for m in _REVIEWED_RE.finditer(s):
        if is_negated_at(s, m.start(), m.end()) or re.search(r"\bbe\s+(?:\w+\s+)?$|\b(?:yet|ought) to\s+be\s+$|"
                                                             r"\b(?:until|before|unless|after|once|when|if)\b[^.;]{0,40}$",
                                                             s[:m.start()], re.I):
            continue
        claims.append(make_claim("reliability", m.group(0), False, "no person has reviewed this output; it is generated unreviewed"))
    for m in _SKIP_REVIEW_RE.finditer(s):
        # the phrase carries its own "no"/"not"; only a denial before it ("it is not true that ...") reverses it
        denied = bool(re.search(r"\b(?:not true|false|wrong|never|do not|don't|must not|should not|never)\b[^.;]{0,20}$",
                                s[:m.start()], re.I))
        claims.append(make_claim("reliability", m.group(0), denied, "every result needs expert review"))
    return claims


def check_run_claims(s: str, cat: FactCatalogue) -> list[Claim]:
    """Every processing, settings and review claim in one sentence."""
    return [*_randomisation(s, cat), *_settings(s, cat), *_method_checks(s, cat), *_agreement_resolution(s, cat), *_review(s)]
