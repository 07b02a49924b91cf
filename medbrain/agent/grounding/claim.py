"""The record every grounding check returns: one checkable statement and its verdict.

Each claim module (location, methods, confidence, content, relations, reliability) finds
statements of its own kind in a sentence and returns :class:`Claim` objects; the verifier
only collects them. Keeping the record apart lets every check module import it without
importing one another.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Claim:
    """One checkable statement found in a text."""

    kind: str
    text: str
    supported: bool
    reason: str = ""


def make_claim(kind: str, text: str, ok: bool, reason: str) -> Claim:
    """A claim; the reason is kept only when the claim is unsupported."""
    return Claim(kind, text, ok, "" if ok else reason)
