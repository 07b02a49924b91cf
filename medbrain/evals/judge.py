"""Optional LLM-as-judge: fluency and clinical usefulness, 1-5 each.

Off unless asked for (``run_eval(..., judge=settings)`` / ``medbrain eval --judge BACKEND``);
skipped when the judge backend is ``none``. It never replaces the deterministic graders
and no gate reads it: a judge model can be fooled or drift, the regexes and the verifier
cannot. The prompt (``medbrain/evals/prompts/judge.txt``) tells the judge to ignore
factual accuracy (the verifier's job) and treats the report as data.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from importlib import resources
from string import Template
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage

from medbrain.evals.graders import GradeResult


def judge_prompt(report: str) -> str:
    template = resources.files("medbrain.evals").joinpath("prompts/judge.txt").read_text(encoding="utf-8")
    return Template(template).safe_substitute(report=report.replace("</report>", ""))


@dataclass
class JudgeResult(GradeResult):
    skipped: bool = False
    fluency: int | None = None
    usefulness: int | None = None
    comment: str = ""
    raw: str = ""


def parse_judgement(text: str) -> dict[str, Any] | None:
    """The first JSON object in ``text`` with integer ``fluency`` and ``usefulness`` in 1..5."""
    for m in re.finditer(r"\{[^{}]*\}", text, re.S):
        try:
            obj = json.loads(m.group(0))
        except json.JSONDecodeError:
            continue
        try:
            f, u = int(obj.get("fluency")), int(obj.get("usefulness"))
        except (TypeError, ValueError):
            continue
        if 1 <= f <= 5 and 1 <= u <= 5:
            return {"fluency": f, "usefulness": u, "comment": str(obj.get("comment", ""))[:300]}
    return None


def grade_with_judge(text: str, judge: BaseChatModel | None) -> JudgeResult:
    """Ask ``judge`` (None = skipped). score = (fluency + usefulness - 2) / 8 in [0, 1];
    an unparseable answer is reported (``details.error``) with score None."""
    if judge is None:
        return JudgeResult(grader="judge", score=None, passed=True, skipped=True)
    try:
        reply = judge.invoke([HumanMessage(content=judge_prompt(text))])
    except Exception as exc:  # the judge is optional: its failure never fails the eval
        return JudgeResult(grader="judge", score=None, passed=True, details={"error": f"{type(exc).__name__}: {exc}"[:300]})
    raw = reply.content if isinstance(reply.content, str) else str(reply.content)
    parsed = parse_judgement(raw)
    if parsed is None:
        return JudgeResult(grader="judge", score=None, passed=True, raw=raw[:500],
                           details={"error": "the judge's answer held no valid JSON verdict"})
    score = (parsed["fluency"] + parsed["usefulness"] - 2) / 8
    return JudgeResult(grader="judge", score=score, passed=True, raw=raw[:500], **parsed)


__all__ = ["JudgeResult", "grade_with_judge", "judge_prompt", "parse_judgement"]
