"""Splitting an LLM's answer into the four sections and the patient summary."""

from __future__ import annotations

import re

HEADING_PATTERNS = {
    "clinical_assessment": r"clinical\s+assessment",
    "method_comparison": r"(comparison|explanation\s+methods|xai)",
    "confidence": r"confidence",
    "recommendations": r"recommendation",
    "patient_summary": r"patient\s+summary",
}
HEADING_LINE = re.compile(r"^\s*(?:#{1,6}\s*|\*\*)?\s*(?:\d\s*[.)]\s*)?(?P<title>[^\n]{3,80}?)\s*(?:\*\*)?\s*:?\s*$")


def heading_key(line: str) -> str | None:
    m = HEADING_LINE.match(line)
    if not m or not (line.lstrip().startswith(("#", "**")) or re.match(r"^\s*\d\s*[.)]", line)):
        return None
    title = m.group("title").lower()
    for key, pattern in HEADING_PATTERNS.items():
        if re.search(pattern, title) and len(title.split()) <= 8:
            return key
    return None


def parse_sections(text: str) -> dict[str, str]:
    """Map section key -> body text for every heading found (the first one of each key)."""
    found: dict[str, list[str]] = {}
    current: str | None = None
    for line in text.splitlines():
        key = heading_key(line)
        if key and key not in found:
            current = key
            found[key] = []
            continue
        if current:
            found[current].append(line)
    return {k: "\n".join(v).strip() for k, v in found.items() if "\n".join(v).strip()}
