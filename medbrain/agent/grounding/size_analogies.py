"""Sizes said by comparison with everyday objects: "about the size of a golf ball", "less than a teaspoon".

Patient-facing text compares the tumour with objects; each object stands for a typical volume,
and the claim holds when the region's volume is within a factor of two of it ("the size of",
"about"), or on the stated side of it ("larger than", "less than"). The region is the one the
sentence names, else the whole tumour.
"""

from __future__ import annotations

import re

from medbrain.agent.grounding.claim import Claim, make_claim
from medbrain.agent.grounding.mentions import region_mentions
from medbrain.facts import FactCatalogue, get

OBJECT_ML = {"pea": 0.5, "marble": 2.0, "grape": 5.0, "cherry": 5.0, "olive": 5.0, "teaspoon": 5.0, "sugar cube": 4.0,
             "walnut": 15.0, "tablespoon": 15.0, "table-tennis ball": 33.0, "ping-pong ball": 33.0, "ping pong ball": 33.0,
             "golf ball": 40.0, "plum": 60.0, "egg": 55.0, "hen's egg": 55.0, "kiwi": 70.0, "lemon": 100.0,
             "tennis ball": 150.0, "baseball": 200.0, "apple": 200.0, "orange": 200.0, "fist": 300.0,
             "grapefruit": 400.0, "cup": 240.0}
_OBJECT_RE = re.compile(r"\b(?:an?\s+|the\s+)?(?:small\s+|large\s+|big\s+)?(" + "|".join(
    sorted((re.escape(k) for k in OBJECT_ML), key=len, reverse=True)) + r")s?\b", re.I)
_SIZE_CUE_RE = re.compile(r"\b(?:size of|sized|as (?:big|large|small) as|(?:larger|bigger|smaller|less|more) than|"
                          r"under|over|roughly|about|around|like|comparable to|equivalent to)\s+(?:\w+\s+){0,2}$", re.I)


def check_size_analogies(s: str, cat: FactCatalogue) -> list[Claim]:
    volumes = get(cat.raw, "measurements", "volumes_ml", default={}) or {}
    claims = []
    for m in _OBJECT_RE.finditer(s):
        cue = _SIZE_CUE_RE.search(s[max(0, m.start() - 30):m.start()])
        if not cue or re.search(r"\b(?:half|third|quarter|twice|double|times)\b[^.;]{0,15}$", s[max(0, m.start() - 40):m.start()], re.I):
            continue  # "less than half the size of a golf ball" is a multiple, not the object's size
        named = [(abs(p - m.start()), r) for p, r in region_mentions(s) if r in volumes and p < m.start()]
        region = min(named)[1] if named else "WT"  # the region named nearest before the object
        volume = float(volumes.get(region) or 0.0)
        ref = OBJECT_ML[m.group(1).lower()]
        word = cue.group(0).lower()
        if re.search(r"larger|bigger|more than|over", word):
            ok = volume > ref
        elif re.search(r"smaller|less than|under", word):
            ok = volume < ref
        else:
            ok = ref / 2 <= volume <= ref * 2
        claims.append(make_claim("number", f"{cue.group(0).strip()} {m.group(1)}", ok,
                                 f"a {m.group(1)} is about {ref:g} mL; the {region} is {volume:g} mL"))
    return claims
