"""Whether a method beat a control map under the imputations a sentence names.

The comparison records, per method, whether it beat the random-map control and the model's own
probability map under each imputation (``baseline``: a zero image; ``blur``). "Beat the random map
under blur" reads the blur flag; "only under blur" also needs the other flag false; "did not beat it
under either the zero baseline or blur" needs every flag named false; no imputation named reads the
flag over both (or every recorded flag).
"""

from __future__ import annotations

import re

IMPUTATION_WORDS = {"blur": re.compile(r"\bblur\w*", re.I),
                    "baseline": re.compile(r"\b(?:zero[- ]baseline|baseline imputation|zero imputation|zero[- ]filled|"
                                           r"zero[- ]valued (?:image|baseline))\b", re.I)}
_ONLY_RE = re.compile(r"\bonly\s+(?:under|with|for|in|using)\b|\b(?:under|with)\s+(?:the\s+)?\w+(?:[- ]\w+)?\s+(?:imputation\s+)?only\b",
                      re.I)


def imputations_named(text: str) -> list[str]:
    """The imputations ``text`` names, in a fixed order ([] when none is)."""
    return [q for q, pattern in IMPUTATION_WORDS.items() if pattern.search(text)]


def only_one(text: str, named: list[str]) -> bool:
    """ "only under blur": one imputation, said to be the only one."""
    return len(named) == 1 and bool(_ONLY_RE.search(text))


def holds(flags: dict, says: bool, named: list[str], only: bool) -> bool:
    """Whether per-imputation ``flags`` ({imputation: bool}) bear out "beats" (``says``) under ``named``."""
    wanted = named or [q for q, v in flags.items() if isinstance(v, bool)]
    if not wanted:
        return False
    ok = all(bool(flags.get(q)) == says for q in wanted)
    return ok and (not only or all(bool(v) != says for q, v in flags.items() if q not in wanted and isinstance(v, bool)))
