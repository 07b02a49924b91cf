"""`medbrain verify`: check any text against a case's report.json, sentence by sentence."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Iterator

from medbrain.agent.verifier import VerificationResult, verify_text
from medbrain.errors import MedBrainError


class VerifyUsageError(MedBrainError):
    """A file given to `medbrain verify` is missing or malformed (exit 2)."""

    exit_code = 2


def load_facts(report_json: Path) -> dict[str, Any]:
    """The ``facts`` of a report.json (or a bare facts JSON with a ``case`` key)."""
    try:
        data = json.loads(Path(report_json).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise VerifyUsageError(f"{report_json}: no such file; pass the report.json written by `medbrain report`.")
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise VerifyUsageError(f"{report_json}: not a readable JSON file ({exc.__class__.__name__}).")
    facts = data.get("facts") if isinstance(data, dict) and "facts" in data else data
    if not isinstance(facts, dict) or "case" not in facts:
        raise VerifyUsageError(f"{report_json}: no 'facts' with a 'case' entry; is this a MedBrainInsight report.json?")
    return facts


def read_text(path: Path) -> str:
    try:
        return Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise VerifyUsageError(f"{path}: no such file.")
    except (OSError, UnicodeDecodeError) as exc:
        raise VerifyUsageError(f"{path}: cannot be read as UTF-8 text ({exc.__class__.__name__}).")


_REPORT_TITLE_RE = re.compile(r"^# MedBrainInsight report\b")
_PROSE_HEADING_RE = re.compile(r"^## (?:\d\. .+|Patient summary)\s*$")
_BLOCK_LABEL_RE = re.compile(r"^>\s*(?:\*\*[^*]{1,40}\*\*\s*)?")  # "> **Disclaimer.** ..."
_SOURCE_LINE_RE = re.compile(r"^\*Source: .*\*\s*$")


def assessment_text(text: str) -> tuple[str, bool]:
    """The prose of a MedBrainInsight report.md (its disclaimer, the four sections and the patient
    summary, without the source lines, figures, facts tables and appendix); other text unchanged.
    The flag says whether the text was recognised as a report."""
    lines = text.lstrip("\ufeff").splitlines()
    if not lines or not _REPORT_TITLE_RE.match(lines[0]):
        return text, False
    kept, keep = [], True
    for line in lines[1:]:
        if line.startswith("## "):
            keep = bool(_PROSE_HEADING_RE.match(line))
            continue
        if keep and not _SOURCE_LINE_RE.match(line) and not line.startswith(("**Verification.**", "![")):
            kept.append(_BLOCK_LABEL_RE.sub("", line))
    return "\n".join(kept), True


def verify_items(jsonl: Path, facts: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """One result line per ``{"id", "section", "text"}`` input line."""
    for number, line in enumerate(read_text(jsonl).splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            text = item["text"]
        except (json.JSONDecodeError, KeyError, TypeError):
            raise VerifyUsageError(f"{jsonl}, line {number}: expected a JSON object with a 'text' field.")
        result = verify_text(str(text), facts)
        yield {"id": item.get("id", number), "section": item.get("section"), "passed": result.passed,
               "status": result.status, "unsupported": [f"{c.kind}: {c.text!r}: {c.reason}" for c in result.unsupported]}


def describe(result: VerificationResult) -> list[str]:
    """Each sentence with its verdict and reasons, for the terminal."""
    lines = []
    mark = {"supported": "OK  ", "unsupported": "FAIL", "no_claim": "--  "}
    for s in result.sentences:
        lines.append(f"{mark[s.verdict]} {s.text}")
        for c in s.claims:
            if not c.supported:
                lines.append(f"       {c.kind}: {c.text!r}: {c.reason}")
    lines.append(f"Status: {result.status} ({len(result.claims)} claims checked, {len(result.unsupported)} unsupported)")
    return lines
