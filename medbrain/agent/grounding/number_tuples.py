"""Numbers that are members of one recorded tuple, checked member by member in order.

- a centroid written as coordinates, "(87.3, 118.6, 98.1)" in voxels or "(-87.3, 120.4, 98.1) mm" in
  world coordinates, of the region whose centroid the tools measured;
- a token grid, "a 5 × 6 token grid" (attention rollout's patch grid);
- a reference budget quoted from the run's budget note, "against a reference of 500 × 10".

:mod:`medbrain.agent.grounding.number_binding` takes these verdicts before binding numbers one by one.
"""

from __future__ import annotations

import re

from medbrain.agent.grounding.mentions import region_mentions
from medbrain.agent.grounding.number_match import NumberVerdict
from medbrain.agent.grounding.number_mentions import NumberMention
from medbrain.facts import FactCatalogue, get

_NUM = r"-?\d+(?:\.\d+)?"
_TRIPLE_RE = re.compile(rf"\(\s*({_NUM})\s*,\s*({_NUM})\s*,\s*({_NUM})\s*\)(?P<mm>\s*mm\b)?", re.I)
_CENTROID_RE = re.compile(r"\b(?:centroid|centre of mass|center of mass)\b", re.I)
_PAIR_RE = re.compile(r"(?<![×x]\s)(?<![×x])(?<![\w.])(\d+)\s*[×x]\s*(\d+)(?![\w]|\.\d|\s*[×x]\s*\d)")
_TOKEN_AFTER_RE = re.compile(r"^\s*(?:[\w-]+\s+)?(?:token|patch)(?:es|s)?\b|^\s*grid\b", re.I)
# "the attention token grid is 5 × 6": the grid named before the pair
_TOKEN_BEFORE_RE = re.compile(r"\b(?:token|patch)[- ]grid\s*(?:is|was|of|measures|measured|:|=)?\s*$", re.I)
_REFERENCE_BEFORE_RE = re.compile(r"\breference\b[^.;\d]{0,25}$", re.I)
_NOTE_REFERENCE_RE = re.compile(r"\breference:\s*(\d+)\s*[x×]\s*(\d+)", re.I)


def _close(written: str, value: float) -> bool:
    decimals = len(written.split(".")[1]) if "." in written else 0
    return abs(float(written) - float(value)) <= 0.5 * 10 ** -decimals + 1e-9


def _mark(out: dict[int, NumberVerdict], mentions: list[NumberMention], lo: int, hi: int, ok: bool, reason: str,
          path: str) -> None:
    for n in mentions:
        if lo <= n.start < hi:
            out[n.start] = NumberVerdict(n, ok, "" if ok else f"{n.raw}: {reason}", path if ok else None)


def _centroids(s: str, mentions: list[NumberMention], cat: FactCatalogue, out: dict[int, NumberVerdict]) -> None:
    centroid = get(cat.raw, "measurements", "centroid", default={}) or {}
    if not _CENTROID_RE.search(s) or not isinstance(centroid, dict):
        return
    for m in _TRIPLE_RE.finditer(s):
        world = bool(m.group("mm")) or bool(re.search(r"\bworld\b|\bRAS\+?|\bmm\b", s, re.I))
        key = "world_mm" if world and not re.search(r"\bvoxels?\b", s[:m.start()], re.I) else "voxel"
        truth = centroid.get(key)
        region = str(centroid.get("region") or "WT")
        named = [r for p, r in region_mentions(s) if p < m.start()]
        if not isinstance(truth, list) or len(truth) != 3:
            _mark(out, mentions, m.start(), m.end(), False, "no centroid of this kind is recorded", "")
            continue
        ok = all(_close(w, v) for w, v in zip(m.groups()[:3], truth)) and (not named or named[-1] == region)
        shown = ", ".join(f"{float(v):g}" for v in truth)
        _mark(out, mentions, m.start(), m.end(), ok, f"the {region} centroid is ({shown}) ({key})",
              f"measurements.centroid.{key}")


def _token_grids(s: str, mentions: list[NumberMention], cat: FactCatalogue, out: dict[int, NumberVerdict]) -> None:
    grid = get(cat.raw, "explanations", "attention", "grid")
    for m in _PAIR_RE.finditer(s):
        if not (_TOKEN_AFTER_RE.match(s[m.end():]) or _TOKEN_BEFORE_RE.search(s[:m.start()])) \
                or not isinstance(grid, list) or len(grid) != 2:
            continue
        ok = [int(m.group(1)), int(m.group(2))] == [int(v) for v in grid]
        _mark(out, mentions, m.start(), m.end(), ok, f"the token grid is {grid[0]} × {grid[1]}", "explanations.attention.grid")


def _reference_budgets(s: str, mentions: list[NumberMention], cat: FactCatalogue, out: dict[int, NumberVerdict]) -> None:
    notes = " ".join(str(v) for v in (get(cat.raw, "explanations", "budget_note"), get(cat.raw, "comparison", "budget_note"))
                     if isinstance(v, str))
    recorded = {(int(a), int(b)) for a, b in _NOTE_REFERENCE_RE.findall(notes)}
    for m in _PAIR_RE.finditer(s):
        if m.start() in out or not _REFERENCE_BEFORE_RE.search(s[:m.start()]):
            continue
        ok = (int(m.group(1)), int(m.group(2))) in recorded
        shown = ", ".join(f"{a} × {b}" for a, b in sorted(recorded)) or "none recorded"
        _mark(out, mentions, m.start(), m.end(), ok, f"the budget note's reference is {shown}", "explanations.budget_note")


def tuple_verdicts(sentence: str, mentions: list[NumberMention], cat: FactCatalogue) -> dict[int, NumberVerdict]:
    """Number start -> verdict for every number that is a member of a centroid, token grid or reference budget."""
    out: dict[int, NumberVerdict] = {}
    _centroids(sentence, mentions, cat, out)
    _token_grids(sentence, mentions, cat, out)
    _reference_budgets(sentence, mentions, cat, out)
    return out
