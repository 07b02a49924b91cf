"""Localisation results said in words: a metric above or below chance, and a pointing-game tally.

"Grad-CAM's rank accuracy (0.312) is below chance" compares the metric named (rank or mass accuracy;
the method's ``beats_chance`` flag when none is) with that method's chance level, for the methods of
the claim's conjunct (each method with a score for "all methods"). "Pointing game: Grad-CAM failed,
SLICE passed" gives each method the result word after it (methods listed together share it).
"""

from __future__ import annotations

import re

from medbrain.agent.grounding.claim import Claim, make_claim
from medbrain.agent.grounding.mentions import ALL_METHODS_RE, method_mentions
from medbrain.agent.grounding.text import conjunct_end, conjunct_start, is_negated_at
from medbrain.facts import FactCatalogue, display_word, get

_CHANCE_RE = re.compile(r"\b(?:(?P<most>no better than|not better than|not above)|"
                        r"(?P<above>above|over|exceed\w*|beat\w*|better than|higher than|greater than|surpass\w*|clear\w*)|"
                        r"(?P<below>below|under|less than|lower than|worse than|beneath|short of)|"
                        r"(?P<at>at|around|near|close to|about))\s+(?:the\s+)?chance(?:\s+level)?\b", re.I)
_METRIC_RE = {"mass_accuracy": re.compile(r"\b(?:(?:relevance|attribution) mass(?: accuracy)?|mass accuracy)\b", re.I),
              "rank_accuracy": re.compile(r"\brank accuracy\b", re.I)}
_POINTING_LABEL_RE = re.compile(r"\bpointing(?:\s+game|\s+test)?\s*(?:[:—–]|-\s|,)", re.I)
_RESULT_RE = re.compile(r"\b(pass(?:es|ed)?|hit|hits|succeed(?:s|ed)?|won|wins|fail(?:s|ed)?|miss(?:es|ed)?|lost|loses)\b", re.I)
AT_CHANCE_RELATIVE = 0.05  # "at chance": within 5 % of the chance level


def _rows(cat: FactCatalogue) -> dict[str, dict]:
    return {r.get("method"): r for r in get(cat.raw, "comparison", "methods", default=[]) or [] if isinstance(r, dict)}


def _chance_claims(s: str, cat: FactCatalogue) -> list[Claim]:
    rows = _rows(cat)
    evaluation = get(cat.raw, "comparison", "evaluation", "methods", default={}) or {}
    mentions = method_mentions(s)
    claims = []
    for m in _CHANCE_RE.finditer(s):
        own, end = conjunct_start(s, m.start()), conjunct_end(s, m.end())
        methods = [k for a, _, k in mentions if own <= a < m.start()] or [k for a, _, k in mentions if a < m.start()]
        metrics = [k for k, p in _METRIC_RE.items() if p.search(s, own, end)] or [k for k, p in _METRIC_RE.items() if p.search(s)]
        if not methods and ALL_METHODS_RE.search(s):
            methods = [k for k, r in rows.items() if any(isinstance((r.get("localisation") or {}).get(x), (int, float))
                                                         for x in metrics or ["rank_accuracy"])]
        if not methods:
            continue
        # "no better than chance" carries its own "no": at most the chance level
        negated = is_negated_at(s, m.start(), m.end()) != bool(m.group("most"))
        direction = "above" if m.group("above") else "below" if m.group("below") else "most" if m.group("most") else "at"
        wrong, shown = [], []
        for key in dict.fromkeys(methods):
            loc = (rows.get(key) or {}).get("localisation") or {}
            chance = loc.get("chance")
            if not metrics:
                flag = (evaluation.get(key) or {}).get("beats_chance")
                if flag is None or direction in ("at", "most"):
                    continue
                shown.append(f"{display_word(key)} beats_chance {flag}")
                if (bool(flag) == (direction == "above")) == negated:
                    wrong.append(key)
                continue
            for metric in metrics:
                value = loc.get(metric)
                if not isinstance(value, (int, float)) or not isinstance(chance, (int, float)):
                    continue
                holds = {"above": value > chance, "below": value < chance, "most": value <= chance * (1 + AT_CHANCE_RELATIVE),
                         "at": abs(value - chance) <= AT_CHANCE_RELATIVE * chance}[direction]
                shown.append(f"{display_word(key)} {metric.replace('_', ' ')} {value:g} (chance {chance:g})")
                if holds == negated:
                    wrong.append(key)
        if shown:
            claims.append(make_claim("relation", m.group(0), not wrong, "; ".join(shown)))
    return claims


def _pointing_tally(s: str, cat: FactCatalogue) -> list[Claim]:
    label = _POINTING_LABEL_RE.search(s)
    if not label:
        return []
    rows = _rows(cat)
    pending: list[str] = []
    claims = []
    events = sorted([(a, "method", k) for a, _, k in method_mentions(s) if a >= label.end()]
                    + [(r.start(), "result", r.group(1)) for r in _RESULT_RE.finditer(s, label.end())])
    for pos, kind, value in events:
        if kind == "method":
            pending.append(value)
            continue
        says = not re.match(r"fail|miss|lost|lose", value, re.I)
        says = says != is_negated_at(s, pos, pos + len(value))
        for key in dict.fromkeys(pending):
            fact = ((rows.get(key) or {}).get("localisation") or {}).get("pointing_game")
            claims.append(make_claim("relation", f"{display_word(key)} {'passes' if says else 'fails'} the pointing game",
                                     fact is not None and bool(fact) == says, f"pointing_game for {display_word(key)} is {fact}"))
        pending = []
    return claims


def check_localisation(s: str, cat: FactCatalogue) -> list[Claim]:
    """Chance comparisons and pointing-game tallies of one sentence."""
    return [*_chance_claims(s, cat), *_pointing_tally(s, cat)]
