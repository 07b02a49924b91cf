"""Relation claims about the explanation methods' results, checked against the comparison.

Beating the random baseline ("only Grad-CAM beats random"), where a map's maximum lies,
extremes and comparisons of deletion/insertion AUC and of the share inside the region,
"all methods agree", the pointing game, faithfulness scores compared per imputation, the
dominant sequence bound to the region named ("T1ce drove the whole-tumour prediction"),
per-method sequence shares compared ("IG attributes more to T1 than to T2"), a sequence's
rank ("T2 ranks second") and the sign of the Shapley interactions. Which methods ran and which one is best are checked in
:mod:`medbrain.agent.grounding.method_claims`.
"""

from __future__ import annotations

import re

from medbrain.agent.grounding.claim import Claim, make_claim
from medbrain.agent.grounding.lexicon import ORDINAL_PLACES, SEQUENCE_TERMS
from medbrain.agent.grounding.mentions import ALL_METHODS_RE, EXCEPT_RE, SEQUENCE_RE, method_mentions, region_mentions
from medbrain.agent.grounding.control_flags import holds, imputations_named, only_one
from medbrain.agent.grounding.text import conjunct_end, conjunct_start, is_negated_at
from medbrain.facts import FactCatalogue, display_word, get


# --------------------------------------------------------------------------- method results
_BEATS_RE = re.compile(r"\b(?:beats?|beating|beaten|outperform(?:s|ed|ing)?|(?:did |does |do |performed )?better than|"
                       r"exceed(?:s|ed)?|surpass(?:es|ed)?|above)\s+(?:the\s+|a\s+)?random(?:\s+baseline|\s+maps?|\s+control)?\b"
                       r"|\bfail(?:s|ed)? to beat (?:the )?random\b|\b(?:no better than|not better than|worse than) (?:the )?random\b", re.I)
_MAX_RE = re.compile(r"\b(?:maximum|peak|hottest (?:pixel|point)|strongest (?:pixel|point))\b[^.;]{0,60}?\b(inside|within|outside)\b",
                     re.I)
_METRICS = {"deletion_auc": re.compile(r"\bdeletion(?:\s+AUC|\s+curve|\s+score)?\b", re.I),
            "insertion_auc": re.compile(r"\binsertion(?:\s+AUC|\s+curve|\s+score)?\b", re.I),
            "rank_accuracy": re.compile(r"\brank accuracy\b", re.I),
            "mass_accuracy": re.compile(r"\b(?:(?:relevance|attribution) mass(?: accuracy)?|mass accuracy)\b", re.I),
            "energy_inside_region": re.compile(r"\b(?:(?:share|fraction|energy|attribution|mass)\s+(?:\w+\s+){0,3}inside|"
                                               r"inside the (?:predicted )?region)\b", re.I)}
_POINTING_RE = re.compile(r"\b(pass(?:es|ed)?|won|wins|hit(?:s)?|succeed(?:s|ed)?|fail(?:s|ed)?|lost|loses|miss(?:es|ed)?)\s+"
                          r"(?:(?:in|on)\s+)?(?:the\s+)?pointing(?:\s+game|\s+test)?\b", re.I)
_HIGH_RE = re.compile(r"\b(?:highest|largest|greatest|most|best|top|higher|larger|greater|more)\b", re.I)
_LOW_RE = re.compile(r"\b(?:lowest|smallest|least|worst|lower|smaller|less|fewer)\b", re.I)
_ALL_AGREE_RE = re.compile(r"\b(?:all|every|each of the)\s+(?:six\s+|\w+\s+)?(?:method\s+)?pairs?\s+(?:\w+\s+){0,3}?"
                           r"(?:agree\w*|concur\w*|classed as agreeing|classified as agreeing|rated as agreeing)\b|"
                           r"\b(?:all|every|each of the)\s+(?:four\s+|three\s+|\w+\s+)?(?:explanation\s+)?(?:methods?|maps?|techniques)"
                           r"\s+(?:\w+\s+){0,2}(agree[sd]?|concur\w*|align\w*|converge[sd]?|coincide[sd]?|highlight(?:ed)? the same|"
                           r"show(?:ed)? the same)\b"
                           r"|\b(?:the\s+)?(?:explanation\s+)?methods\s+(?:all\s+|broadly\s+|largely\s+|fully\s+)?"
                           r"(agree|concur|converge)\b", re.I)

_IMPUTATIONS = {"baseline": re.compile(r"(?<!random )\bbaseline\b", re.I), "blur": re.compile(r"\bblur\w*", re.I)}
_FAITHFULNESS_SCORE_RE = re.compile(r"\bfaithfulness(?:\s+score)?\b|\b(?:more|less)\s+faithful\b", re.I)


def _faithfulness_claims(s: str, rows: dict[str, dict], mentions: list[tuple[int, int, str]]) -> list[Claim]:
    """ "under blur, Grad-CAM had a higher faithfulness score than IG": compared per imputation (both when none is named)."""
    claims = []
    for m in _FAITHFULNESS_SCORE_RE.finditer(s):
        window = s[max(0, m.start() - 30):m.start()] + " " + s[m.end():m.end() + 20]
        high, low = _HIGH_RE.search(window), _LOW_RE.search(window)
        if m.group(0).lower().endswith("faithful"):  # "A appeared marginally more faithful than B"
            high, low = (True, None) if m.group(0).lower().startswith("more") else (None, True)
        named = [k for _, _, k in mentions]
        if bool(high) == bool(low) or not named:
            continue
        imputations = [k for k, p in _IMPUTATIONS.items() if p.search(s)] or list(_IMPUTATIONS)
        scores = {imp: {k: (((r.get("faithfulness") or {}).get(imp) or {}).get("score")) for k, r in rows.items()}
                  for imp in imputations}
        scores = {imp: {k: v for k, v in vals.items() if isinstance(v, (int, float))} for imp, vals in scores.items()}
        wants_high = bool(high)
        results = []
        if re.search(r"\bthan\b", s[m.start():], re.I) and len(set(named)) >= 2:
            a, b = named[0], next(k for k in named if k != named[0])
            for imp, vals in scores.items():
                if a in vals and b in vals:
                    results.append(((vals[a] > vals[b]) == wants_high, f"{imp}: {vals[a]:g} vs {vals[b]:g}"))
            label = f"{display_word(a)} {'higher' if wants_high else 'lower'} faithfulness than {display_word(b)}"
        elif re.search(r"\b(?:highest|lowest|best|worst|most|least)\b", window, re.I):
            for imp, vals in scores.items():
                if vals:
                    target = max(vals, key=vals.get) if wants_high else min(vals, key=vals.get)
                    results.append((named[0] == target, f"{imp}: {display_word(target)} {vals[target]:g}"))
            label = f"{display_word(named[0])}: {'highest' if wants_high else 'lowest'} faithfulness score"
        else:
            continue
        if results:
            claims.append(make_claim("relation", label, all(ok for ok, _ in results), "; ".join(r for _, r in results)))
    return claims


def _method_rows(cat: FactCatalogue) -> dict[str, dict]:
    rows = {}
    for row in get(cat.raw, "comparison", "methods", default=[]) or []:
        if isinstance(row, dict) and row.get("method"):
            rows[row["method"]] = row
    return rows


_HIGHER_IS_BETTER = ("insertion_auc", "rank_accuracy", "mass_accuracy", "energy_inside_region")


def _imputation_of(s: str, pos: int) -> str | None:
    """The one imputation the clause around ``pos`` names ("under blurred-image imputation ... the highest
    insertion AUC"); None when it names none or both."""
    lo, hi = s.rfind(";", 0, pos) + 1, (s.find(";", pos) + 1 or len(s) + 1) - 1
    named = imputations_named(s[lo:hi])
    if not named and re.search(r"\bblur\w*", s[lo:hi], re.I):
        named = ["blur"]
    return named[0] if len(named) == 1 else None


def _row_value(row: dict, metric: str, imputation: str | None = None) -> object:
    """A method's value of a metric: flat on its row (a deletion or insertion AUC under the imputation named),
    or in its localisation record."""
    if imputation and metric in ("deletion_auc", "insertion_auc"):
        per = ((row.get("faithfulness") or {}).get(imputation) or {}).get(metric)
        if per is not None:
            return per
    value = row.get(metric)
    return value if value is not None else (row.get("localisation") or {}).get(metric)


def _metric_subjects(mentions: list[tuple[int, int, str]], starts: list[int], pos: int) -> list[str]:
    """The methods a metric mention is said of, the nearest first: those named since the previous metric
    mention ("Grad-CAM had the lowest deletion AUC and Integrated Gradients the highest insertion AUC"),
    then every method in order."""
    previous = max([p for p in starts if p < pos], default=-1)
    own = [k for a, b, k in mentions if previous < a < pos]
    rest = [k for a, b, k in mentions]
    return own[-1:] + [k for k in rest if k not in own[-1:]] if own else rest


_ALL_BUT_RE = re.compile(r"\b(?:all|every|each)(?: of the)?\s+(?:\w+\s+)?(?:methods?|maps?)\s+but\s*$", re.I)
_BUT_WORD_RE = re.compile(r"\bbut\b", re.I)


def _beats_flag(row: dict, says: bool, named: list[str], only: bool) -> bool | None:
    """Whether a method's row bears out "beats random" (``says``) under the imputations named (its flag over
    both when none is); None when not recorded."""
    flags = (row.get("faithfulness") or {}).get("beats_random")
    if named and isinstance(flags, dict):
        return holds(flags, says, named, only)
    fact = row.get("beats_random")
    return None if fact is None else bool(fact) == says


def _beats_random(s: str, m: re.Match, rows: dict[str, dict], mentions: list[tuple[int, int, str]]) -> list[Claim]:
    """ "X, Y and Z beat random, whereas attention does not", "all methods except X beat the random map under both
    imputations", "SLICE beat it only under blur": the methods of the match's own conjunct, under the imputations named."""
    own, end = conjunct_start(s, m.start()), conjunct_end(s, m.end())
    but = _ALL_BUT_RE.search(s[:own])  # "every method but attention rollout beat ...": "but" excepts, it does not cut
    if but:
        own = but.start()
    except_ = EXCEPT_RE.search(s, own, m.start()) or (_BUT_WORD_RE.search(s, own, m.start()) if but else None)
    every = ALL_METHODS_RE.search(s, own, m.start())
    every = every if every and (not [k for a, b, k in mentions if own <= a < m.start()]
                                or (except_ and except_.start() > every.start())) else None
    excepted = [k for a, _, k in mentions if except_ and except_.end() <= a < m.start()] if every else []
    near = [] if every else (  # ", and all four methods beat the random control": every method
        [k for a, b, k in mentions if own <= a < m.start()] or [k for a, b, k in mentions if a < m.start()]
        or [k for a, b, k in mentions])
    says = not re.search(r"fail|no better|not better|worse", m.group(0), re.I)
    says = says != is_negated_at(s, m.start(), m.end())
    named = imputations_named(s[own:end])
    only = only_one(s[own:end], named)
    under = f" under {' and '.join(named)}" + (" only" if only else "") if named else ""
    if not near and not ALL_METHODS_RE.search(s[:m.start()]):
        return []
    if not near:  # "all four methods beat the random baseline"
        if re.search(r"\bnot (?:all|every)\b", s[:m.start()], re.I):  # "not all methods beat random": some do not
            losers = [k for k, r in rows.items() if r.get("beats_random") is False]
            return [make_claim("relation", "not all methods beat random", bool(losers), "every method beats random")]
        failing = [k for k, r in rows.items() if k not in excepted and _beats_flag(r, says, named, only) is False]
        failing += [k for k in excepted if _beats_flag(rows.get(k, {}), not says, named, False) is False]
        label = f"all methods{' but ' + ', '.join(map(display_word, excepted)) if excepted else ''} " \
                f"{'beat' if says else 'do not beat'} random{under}"
        return [make_claim("relation", label, not failing,
                           f"beats_random{under} differs for {', '.join(display_word(k) for k in failing)}")]
    claims = []
    alone = re.search(r"\bonly\b", s[own:m.start()], re.I)
    for key in (near[-1:] if not re.search(r"\b(?:and|both|all)\b", s[own:m.start()], re.I) else near):
        row = rows.get(key, {})
        ok = _beats_flag(row, says, named, only)
        shown = (row.get("faithfulness") or {}).get("beats_random") if named else row.get("beats_random")
        claims.append(make_claim("relation", f"{display_word(key)} {'beats' if says else 'does not beat'} random{under}",
                                 bool(ok), f"beats_random for {display_word(key)} is {shown}"))
    if alone and says:
        others = [k for k, r in rows.items() if r.get("beats_random") and k not in near]
        claims.append(make_claim("relation", "only " + ", ".join(display_word(k) for k in near) + " beat random",
                                 not others, f"also beating random: {', '.join(display_word(k) for k in others)}"))
    return claims


def check_method_results(s: str, cat: FactCatalogue) -> list[Claim]:
    rows = _method_rows(cat)
    if not rows:
        found = [m.group(0) for p in (_BEATS_RE, _MAX_RE, _ALL_AGREE_RE) for m in p.finditer(s)]
        return [make_claim("relation", text, False, "the explanation methods were not compared") for text in found]
    mentions = method_mentions(s)
    claims = []
    for m in _BEATS_RE.finditer(s):
        claims.extend(_beats_random(s, m, rows, mentions))
    for m in _MAX_RE.finditer(s):
        near = [k for a, b, k in mentions if abs(a - m.start()) < 60]
        if not near:
            continue
        inside = m.group(1).lower() in ("inside", "within")
        inside = inside != is_negated_at(s, m.start(), m.end())
        fact = rows.get(near[0], {}).get("max_inside_region")
        claims.append(make_claim("relation", f"{display_word(near[0])} maximum {'inside' if inside else 'outside'}",
                                 fact is not None and bool(fact) == inside, f"max_inside_region is {fact}"))
    metric_starts = sorted(m.start() for p in _METRICS.values() for m in p.finditer(s))
    for metric, pattern in _METRICS.items():
        for m in pattern.finditer(s):
            imputation = _imputation_of(s, m.start())
            values = {k: v for k, r in rows.items() if isinstance(v := _row_value(r, metric, imputation), (int, float))}
            named = _metric_subjects(mentions, metric_starts, m.start())
            window = s[max(0, m.start() - 25):m.start()] + " " + s[m.end():m.end() + 20]
            window = re.sub(r"\((?:lower|higher) is (?:more|less) faithful\)", "", window, flags=re.I)
            if not values or not named:
                continue
            if metric == "deletion_auc" and re.search(r"\b(?:worst|best)\b", window, re.I):
                worst = bool(re.search(r"\bworst\b", window, re.I))
                target = max(values, key=values.get) if worst else min(values, key=values.get)
                claims.append(make_claim("relation", f"{display_word(named[0])}: {'worst' if worst else 'best'} deletion AUC",
                                         named[0] == target, f"the {'highest' if worst else 'lowest'} deletion AUC is "
                                                         f"{display_word(target)}'s ({values[target]:g})"))
                continue
            graded = metric in _HIGHER_IS_BETTER and re.search(r"\b(?:best|worst)\b", window, re.I) \
                and not re.search(r"\b(?:faithful\w*|useful)\b", window, re.I)
            if re.search(r"\b(?:faithful\w*|best|worst|useful)\b", window, re.I) and not graded:
                continue  # "most faithful by the deletion test": the most-faithful check covers it
            high, low = _HIGH_RE.search(window), _LOW_RE.search(window)
            if graded:  # "the best rank accuracy": the highest, "the worst mass accuracy": the lowest
                high, low = (True, None) if re.search(r"\bbest\b", window, re.I) else (None, True)
            if not values or not named or bool(high) == bool(low):
                continue
            wants_high = bool(high)
            if re.search(r"\bthan\b", s[m.start():], re.I) and len(named) >= 2:
                a, b = named[0], named[1]
                if a in values and b in values:
                    ok = (values[a] > values[b]) == wants_high
                    claims.append(make_claim("relation", f"{display_word(a)} {'higher' if wants_high else 'lower'} {metric} "
                                             f"than {display_word(b)}", ok, f"{values[a]:g} vs {values[b]:g}"))
                continue
            if not re.search(r"\b(?:highest|largest|greatest|most|best|top|lowest|smallest|least|worst)\b", window, re.I):
                continue
            target = max(values, key=values.get) if wants_high else min(values, key=values.get)
            ok = named[0] == target
            claims.append(make_claim("relation", f"{display_word(named[0])}: {'highest' if wants_high else 'lowest'} {metric}",
                                     ok, f"the {'highest' if wants_high else 'lowest'} {metric} is {display_word(target)}'s "
                                     f"({values[target]:g})"))
    claims.extend(_faithfulness_claims(s, rows, mentions))
    for m in _POINTING_RE.finditer(s):
        near = [k for a, b, k in mentions if a < m.start()]
        every = ALL_METHODS_RE.search(s, 0, m.start())
        if not near and not every:
            continue
        says = not re.match(r"fail|lost|miss", m.group(1), re.I)
        says = says != is_negated_at(s, m.start(), m.end())
        if not near:  # "all four methods hit the pointing game": every scored method
            facts = {k: (r.get("localisation") or {}).get("pointing_game") for k, r in rows.items()}
            facts = {k: v for k, v in facts.items() if v is not None}
            wrong = [k for k, v in facts.items() if bool(v) != says]
            claims.append(make_claim("relation", f"all methods {'pass' if says else 'fail'} the pointing game",
                                     bool(facts) and not wrong, "pointing_game: " + ", ".join(
                                         f"{display_word(k)} {v}" for k, v in facts.items())))
            continue
        fact = (rows.get(near[-1], {}).get("localisation") or {}).get("pointing_game")
        claims.append(make_claim("relation", f"{display_word(near[-1])} {'passes' if says else 'fails'} the pointing game",
                                 fact is not None and bool(fact) == says, f"pointing_game for {display_word(near[-1])} is {fact}"))
    for m in _ALL_AGREE_RE.finditer(s):
        pairs = get(cat.raw, "comparison", "pairs", default=[]) or []
        verdicts = [p.get("verdict") for p in pairs if isinstance(p, dict)]
        if not verdicts:
            continue
        ok = all(v == "agree" for v in verdicts) != is_negated_at(s, m.start(), m.end())
        claims.append(make_claim("relation", m.group(0), ok,
                                 f"pair verdicts: {sum(v == 'agree' for v in verdicts)} agree, "
                                 f"{sum(v == 'partial' for v in verdicts)} partial, {sum(v == 'disagree' for v in verdicts)} disagree"))
    return claims


# --------------------------------------------------------------------------- sequences per region and method
_MORE_THAN_RE = re.compile(r"\b(more|less|higher|lower|larger|smaller)\b[^.;]{0,40}?\bthan\b|\b(outweigh\w*|exceed\w*|"
                           r"outrank\w*|trail\w*|lag\w*(?: behind)?)\b", re.I)


_ORDINAL_RE = re.compile(r"\b(?:ranks?|ranked|ranking|places?|placed|comes?|came|is|was)\s+(?:the\s+)?"
                         r"(first|top|second|third|fourth|last)\b(?!\s+(?:slice|step|run|seed))", re.I)
_INTERACT_RE = re.compile(r"\binteract(?:s|ed|ing|ions?)?\b[^.;]{0,50}?\b(positive\w*|negative\w*|synerg\w*|amplif\w*|"
                          r"redundan\w*|antagonis\w*|overlap\w*)", re.I)


def _rank_and_interaction_claims(s: str, seqs: list[tuple[int, str]], shap: dict, regions: list[tuple[int, str]],
                                 methods: list[str], cat: FactCatalogue) -> list[Claim]:
    """ "T2 ranks second among the sequences" (the Shapley ranking of the region named, IG's shares when IG is
    named) and "the sequences interact positively" (the sign of the Shapley pairwise interactions)."""
    claims = []
    explained = get(cat.raw, "explanations", "region", default="WT") or "WT"
    region = regions[0][1] if regions else explained
    for m in _ORDINAL_RE.finditer(s):
        before = [q for p, q in seqs if p < m.start()]
        if not before:
            continue
        if "integrated_gradients" in methods:
            shares = get(cat.raw, "explanations", "integrated_gradients", "sequence_share", default={}) or {}
            ranking = sorted(shares, key=shares.get, reverse=True)
            source = "Integrated Gradients"
        else:
            ranking = list((shap.get(region) or {}).get("ranking") or [])
            source = f"Shapley ({region})"
        if not ranking:
            continue
        place = ORDINAL_PLACES[m.group(1).lower()]
        claimed = before[-1]
        actual = ranking[place] if -len(ranking) <= place < len(ranking) else None
        ok = (actual == claimed) != is_negated_at(s, m.start(), m.end())
        claims.append(make_claim("relation", f"{display_word(claimed)} ranks {m.group(1).lower()}", ok,
                                 f"the {source} ranking is {', '.join(display_word(q) for q in ranking)}"))
    for m in _INTERACT_RE.finditer(s):
        values = [float(v) for v in ((shap.get(region) or {}).get("interactions") or {}).values() if isinstance(v, (int, float))]
        if not values:
            continue
        positive = bool(re.match(r"positive|synerg|amplif", m.group(1), re.I))
        total = sum(values)
        ok = (total > 0) == positive and total != 0
        ok = ok != is_negated_at(s, m.start(), m.end())
        claims.append(make_claim("relation", f"sequences interact {'positively' if positive else 'negatively'} ({region})", ok,
                                 f"the Shapley pairwise interactions for {region} sum to {total:g}"))
    return claims


_LEAST_RE = re.compile(r"\b(?:least (?:informative|important|influential|useful|relevant)|contributed (?:the )?least|"
                       r"(?:smallest|lowest|weakest) (?:share|contribution|shapley value|influence))\b", re.I)
_EVERY_REGION_WORDS_RE = re.compile(r"\b(?:in|for|across) (?:every|each|all(?: three)?) (?:of the )?(?:three )?regions?\b", re.I)


def _least_claims(s: str, seqs: list[tuple[int, str]], shap: dict, regions: list[tuple[int, str]],
                  methods: list[str], cat: FactCatalogue) -> list[Claim]:
    """ "T2 was the least informative sequence (in every region)": the last of the Shapley ranking (IG's when named)."""
    m = _LEAST_RE.search(s)
    if not m:
        return []
    before = [(p, q) for p, q in seqs if p < m.start()]
    claimed = before[-1][1] if before else next((q for p, q in seqs if p > m.start()), None)
    if claimed is None:
        return []
    missing = set(get(cat.raw, "case", "sequences_missing", default=[]) or [])
    if "integrated_gradients" in methods:
        shares = {q: v for q, v in (get(cat.raw, "explanations", "integrated_gradients", "sequence_share", default={}) or {}).items()
                  if q not in missing}
        lasts = {"Integrated Gradients": min(shares, key=shares.get)} if shares else {}
    else:
        explained = get(cat.raw, "explanations", "region", default="WT") or "WT"
        wanted = list(shap) if _EVERY_REGION_WORDS_RE.search(s) else ([r for _, r in regions] or [explained])
        lasts = {r: ([q for q in (shap.get(r) or {}).get("ranking") or [] if q not in missing] or [None])[-1]
                 for r in wanted if shap.get(r)}  # among the sequences the case has
    if not lasts:
        return []
    negated = is_negated_at(s, m.start(), m.end())
    ok = all(q == claimed for q in lasts.values()) != negated
    shown = ", ".join(f"{k} {display_word(q)}" for k, q in lasts.items())
    return [make_claim("relation", f"{display_word(claimed)} contributes least", ok, f"the least contributing sequence: {shown}")]


def _sequences(s: str) -> list[tuple[int, str]]:
    return [(m.start(), SEQUENCE_TERMS[m.group(1).lower()]) for m in SEQUENCE_RE.finditer(s)]


def check_sequence_relations(s: str, cat: FactCatalogue) -> list[Claim]:
    """Per-method sequence shares compared ("IG attributes more to T1 than to T2"), a sequence's rank, the
    least contributing sequence and the sign of the interactions (the dominant sequence is
    :mod:`medbrain.agent.grounding.dominance_claims`)."""
    seqs = _sequences(s)
    if not seqs and not _INTERACT_RE.search(s):
        return []
    claims = []
    shap = get(cat.raw, "explanations", "shapley", "regions", default={}) or {}
    regions = [(p, r) for p, r in region_mentions(s) if r in shap]
    methods = [k for _, _, k in method_mentions(s)]
    if not seqs:
        return _rank_and_interaction_claims(s, seqs, shap, regions, methods, cat)
    claims.extend(_rank_and_interaction_claims(s, seqs, shap, regions, methods, cat))
    claims.extend(_least_claims(s, seqs, shap, regions, methods, cat))
    cmp_m = _MORE_THAN_RE.search(s)
    if cmp_m and methods and len({q for _, q in seqs}) >= 2:
        shares = get(cat.raw, "explanations", methods[0], "sequence_share", default=None)
        ordered = [q for _, q in seqs]
        a, b = ordered[0], next(q for q in ordered if q != ordered[0])
        if isinstance(shares, dict) and a in shares and b in shares:
            word = (cmp_m.group(1) or cmp_m.group(2)).lower()
            more = word in ("more", "higher", "larger") or word.startswith(("outweigh", "exceed", "outrank"))
            ok = (float(shares[a]) > float(shares[b])) == more
            claims.append(make_claim("relation", f"{display_word(methods[0])}: {display_word(a)} {word} than "
                                     f"{display_word(b)}", ok, f"{display_word(a)} {float(shares[a]):.1%}, "
                                                           f"{display_word(b)} {float(shares[b]):.1%}"))
    return claims
