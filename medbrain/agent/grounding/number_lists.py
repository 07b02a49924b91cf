"""Lists of numbers bound member by member to a parallel list of words.

"FLAIR/T2/T1ce/T1: 30.6/25.3/24.0/20.1%", "deletion/insertion AUC: 0.1716/0.8405" and "0.095, 0.056
and 0.091 bits for WT, TC and ET" pair the k-th number with the k-th term of a list of regions,
sequences, methods or measure words written right before or right after the numbers ("respectively"
unsaid). A gapped repeat, "deletion 0.6098 / insertion 0.6515 (zero baseline) and 0.4512 / 0.4457
(blur)", gives the k-th number of the repeat the measure of the k-th number it repeats. Numbers set against
each other with "vs" ("three times the necrotic core (43.68 vs 13.5 mL)") take the terms their clause
compared, in the order it named them.
:mod:`medbrain.agent.grounding.number_binding` applies both to the contexts before binding.
"""

from __future__ import annotations

import re

from medbrain.agent.grounding.lexicon import CONCEPT_TERMS, REGION_TERMS, SEQUENCE_TERMS
from medbrain.agent.grounding.mentions import REGION_MENTION_RE, SEQUENCE_RE, method_mentions, term_pattern
from medbrain.agent.grounding.number_context import Context
from medbrain.agent.grounding.number_mentions import NumberMention

_CONCEPT_RE = term_pattern(CONCEPT_TERMS)
# "the enhancing part and the oedema": a head noun after a term and an article after "and" stay inside the list
_TERM_SEP_RE = re.compile(r"^\s*(?:(?:part|portion|component|compartment|region|tissue|sub-?region)s?\s*)?"
                          r"(?:,\s*(?:and\s+)?|(?:,\s*)?and\s+|/|&)\s*(?:the\s+)?$", re.I)
# "WT, TC and ET all reach high confidence (mean probabilities 0.949, 0.984 and 0.977)": a parenthesised list of
# numbers closing the clause whose subject is the list of terms
_PAREN_GAP_RE = re.compile(r"^[^;,.()]{0,60}\(\s*(?:[\w-]+\s+){0,3}$", re.I)
_NUMBER_SEP_RE = re.compile(r"^\s*(?:,\s*(?:and\s+)?|(?:,\s*)?and\s+|/|vs\.?|versus)\s*$", re.I)
_VERSUS_RE = re.compile(r"^\s*(?:vs\.?|versus)\s*$", re.I)
_BEFORE_GAP_RE = re.compile(r"^\s*[:=]?(?:\s*(?!(?:than|and|or|but|while|with|versus|vs)\b)[\w-]+){0,2}\s*[:=]?\s*$", re.I)
_AFTER_GAP_RE = re.compile(r"^\s*(?:(?:[a-z]+\s+){0,2}?(?:for|in|of|across|on|at)\s+)?(?:the\s+)?$", re.I)
_AUC_PARTS = {"deletion", "insertion"}


def _terms(s: str) -> list[tuple[int, int, str, str]]:
    """(start, end, kind, value) of every region, sequence, method and measure word, by position."""
    out = [(m.start(), m.end(), "region", REGION_TERMS[m.group(1).lower()]) for m in REGION_MENTION_RE.finditer(s)
           if len(m.group(1)) > 3 or m.group(1).isupper()]
    out += [(m.start(), m.end(), "sequence", SEQUENCE_TERMS[m.group(1).lower()]) for m in SEQUENCE_RE.finditer(s)]
    out += [(a, b, "method", k) for a, b, k in method_mentions(s)]
    out += [(m.start(), m.end(), "concept", CONCEPT_TERMS[m.group(1).lower()]) for m in _CONCEPT_RE.finditer(s)
            if m.group(1) != "SLICE"]
    return sorted(out)


def _term_lists(s: str) -> list[list[tuple[int, int, str, str]]]:
    """Runs of two or more terms of one kind joined by commas, "and" or slashes."""
    lists, run = [], []
    for t in _terms(s):
        if run and t[2] == run[-1][2] and t[0] >= run[-1][1] and _TERM_SEP_RE.match(s[run[-1][1]:t[0]]):
            run.append(t)
            continue
        if run and t[0] < run[-1][1]:
            continue  # a term inside the previous one
        if len(run) >= 2:
            lists.append(run)
        run = [t]
    if len(run) >= 2:
        lists.append(run)
    return lists


def _number_lists(s: str, mentions: list[NumberMention]) -> list[list[int]]:
    """Runs of two or more numbers (their indices) joined by commas, "and" or slashes."""
    runs, run = [], []
    for i, n in enumerate(mentions):
        if run and _NUMBER_SEP_RE.match(s[mentions[run[-1]].end:n.start]):
            run.append(i)
            continue
        if len(run) >= 2:
            runs.append(run)
        run = [i]
    if len(run) >= 2:
        runs.append(run)
    return runs


def _assign(ctx: Context, kind: str, value: str, members: set[str]) -> None:
    if kind == "region":
        ctx.region = value
    elif kind == "sequence":
        ctx.sequence = value
    elif kind == "method":
        ctx.methods = {value}
    else:
        ctx.concepts = (ctx.concepts - members) | {value} | ({"auc"} if value in _AUC_PARTS else set())
        ctx.inherited = False


def _compared_terms(s: str, mentions: list[NumberMention], run: list[int]) -> list[tuple[int, int, str, str]] | None:
    """ "The enhancing part is three times the necrotic core (43.68 vs 13.5 mL)": numbers set against each
    other with "vs" are the quantities the clause compared, in the order it named them (one term each)."""
    if not all(_VERSUS_RE.match(s[mentions[a].end:mentions[b].start]) for a, b in zip(run, run[1:])):
        return None
    first = mentions[run[0]]
    lo = max(s.rfind(";", 0, first.start), s.rfind(":", 0, first.start)) + 1
    for kind in ("region", "sequence", "method"):
        seen: list[tuple[int, int, str, str]] = []
        for t in _terms(s[:first.start]):
            if t[2] == kind and t[0] >= lo and t[3] not in {v for _, _, _, v in seen}:
                seen.append(t)
        if len(seen) == len(run):
            return seen
    return None


def _parallel_terms(s: str, mentions: list[NumberMention], contexts: dict[int, Context]) -> None:
    terms = _term_lists(s)
    for run in _number_lists(s, mentions):
        first, last = mentions[run[0]], mentions[run[-1]]
        match = next((t for t in terms if len(t) == len(run) and t[-1][1] <= first.start
                      and (_BEFORE_GAP_RE.match(s[t[-1][1]:first.start]) or _PAREN_GAP_RE.match(s[t[-1][1]:first.start]))),
                     None) \
            or next((t for t in terms if len(t) == len(run) and t[0][0] >= last.end
                     and _AFTER_GAP_RE.match(s[last.end:t[0][0]])), None)
        if match is None:
            match = _compared_terms(s, mentions, run)
        if match is None:
            continue
        members = {v for _, _, _, v in match}
        for i, (_, _, kind, value) in zip(run, match):
            if i in contexts:
                _assign(contexts[i], kind, value, members)


def _gapped_repeats(contexts: dict[int, Context]) -> None:
    """A run of numbers that only inherit their measure repeats, member by member, the run just before it."""
    order = sorted(contexts)
    k = 0
    while k < len(order):
        if not contexts[order[k]].inherited:
            k += 1
            continue
        end = k
        while end < len(order) and contexts[order[end]].inherited:
            end += 1
        repeat = order[k:end]
        own = [i for i in order[max(0, k - len(repeat)):k] if not contexts[i].inherited and contexts[i].concepts]
        if len(repeat) >= 2 and len(own) == len(repeat) and len({frozenset(contexts[i].concepts) for i in own}) > 1:
            for i, j in zip(repeat, own):
                contexts[i].concepts = set(contexts[j].concepts)
        k = end


def apply_parallel_lists(sentence: str, mentions: list[NumberMention], contexts: dict[int, Context]) -> None:
    """Rebind the contexts of numbers written as parallel lists (see the module docstring), in place."""
    _parallel_terms(sentence, mentions, contexts)
    _gapped_repeats(contexts)
