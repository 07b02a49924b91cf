"""The readability grader: Flesch-Kincaid grade level of the patient summary.

A patient summary is only useful if a patient can read it, so its grade level must stay
at or below a gate (default 10). Syllables are counted by vowel groups with the common
silent-e rules and sentences end at terminal punctuation or a line break, so the grade
needs no dictionary and gives the same answer every time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from medbrain.agent.sections import parse_sections
from medbrain.evals.graders import DEFAULT_MAX_GRADE, SUMMARY_KEY, GradeResult

_WORD_RE = re.compile(r"[A-Za-z]+(?:['’-][A-Za-z]+)*|\d+(?:[.,]\d+)*")


def count_syllables(word: str) -> int:
    """Syllables of an English word by vowel groups, with the common silent-e rules.

    Numbers count as one syllable; every word has at least one.
    """
    w = re.sub(r"[^a-z]", "", word.lower())
    if not w:
        return 1
    if len(w) <= 3:
        return 1
    w = re.sub(r"(?:[^laeiouy]es|[^laeiouy]ed|[^laeiouy]e)$", lambda m: m.group(0)[0], w)  # silent e/es/ed
    w = re.sub(r"^y", "", w)
    groups = re.findall(r"[aeiouy]+", w)
    return max(1, len(groups))


@dataclass
class ReadabilityResult(GradeResult):
    grade_level: float | None = None
    words: int = 0
    sentences: int = 0
    syllables: int = 0
    max_grade: float = DEFAULT_MAX_GRADE


def flesch_kincaid_grade(text: str) -> tuple[float | None, int, int, int]:
    """(grade, words, sentences, syllables): 0.39 words/sentence + 11.8 syllables/word - 15.59.

    Sentences end at '.', '!', '?' followed by a space or the end, or at a line break
    (decimal points inside numbers do not end a sentence). None for a text without words.
    """
    chunks = [c for c in re.split(r"[.!?]+(?=\s|$)|\n+", text) if _WORD_RE.search(c)]
    words = _WORD_RE.findall(text)
    if not words:
        return None, 0, 0, 0
    n_sent = max(1, len(chunks))
    syllables = sum(count_syllables(w) for w in words)
    grade = 0.39 * len(words) / n_sent + 11.8 * syllables / len(words) - 15.59
    return grade, len(words), n_sent, syllables


def grade_readability(text: str, *, max_grade: float = DEFAULT_MAX_GRADE, summary: str | None = None) -> ReadabilityResult:
    """Flesch-Kincaid grade of the patient summary (from ``summary`` or the text's
    "Patient summary" section); passes when <= ``max_grade``. A missing summary fails."""
    if summary is None:
        summary = parse_sections(text).get(SUMMARY_KEY, "")
    grade, words, n_sent, syl = flesch_kincaid_grade(summary)
    if grade is None:
        return ReadabilityResult(grader="readability", score=0.0, passed=False, max_grade=max_grade,
                                 details={"reason": "no patient summary"})
    passed = grade <= max_grade
    return ReadabilityResult(grader="readability", score=1.0 if passed else 0.0, passed=passed,
                             grade_level=round(grade, 2), words=words, sentences=n_sent, syllables=syl,
                             max_grade=max_grade)


__all__ = ["ReadabilityResult", "count_syllables", "flesch_kincaid_grade", "grade_readability"]
