"""`medbrain chat --llm none` driven through a real terminal (pexpect), as a person would use it.

Ten typical questions on a real shared case; every answer must come back, be verifiable, and
pass `medbrain verify` against the report.json the same session writes with /report. A tiny
network keeps the analysis short; the routing and grounding are what is under test.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli_helpers import make_tiny_checkpoint

pexpect = pytest.importorskip("pexpect")

QUESTIONS = [
    "How big is the tumour and which side is it on?",
    "Does it cross the midline?",
    "Which lobe is it in?",
    "How many lesions are there?",
    "How confident is the model?",
    "Which sequence drove the prediction?",
    "Do the explanation methods agree?",
    "Where should I start the review?",
    "How was the volume measured?",
    "Give me a summary of the findings.",
]
PROMPT = "you>"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def test_chat_without_llm_answers_typical_questions_in_a_terminal(real_case_dir, tmp_path):
    ckpt = make_tiny_checkpoint(tmp_path / "ckpt")
    medbrain = str(Path(sys.executable).with_name("medbrain"))
    env = {**os.environ, "COLUMNS": "200", "TERM": "dumb", "NO_COLOR": "1"}
    child = pexpect.spawn(medbrain, ["chat", str(real_case_dir), "--llm", "none", "--db", str(tmp_path / "chat.sqlite"),
                                     "--checkpoint", str(ckpt), "--out", str(tmp_path / "reports"), "--device", "cpu"],
                          env=env, encoding="utf-8", timeout=600, dimensions=(50, 200))
    child.expect(PROMPT)
    answers: dict[str, str] = {}
    for question in QUESTIONS:
        child.sendline(question)
        child.expect(PROMPT)
        shown = ANSI.sub("", child.before)
        lines = [ln.strip() for ln in shown.splitlines() if ln.strip() and question not in ln]
        body = [ln for ln in lines if not ln.startswith(("Answered from the tool facts", "Analysing the case"))]
        assert body, (question, shown)
        assert any(ln.startswith("Answered from the tool facts") for ln in lines), (question, shown)
        answers[question] = " ".join(body)
    child.sendline("/report")
    child.expect(PROMPT)
    child.sendline("/quit")
    child.expect(pexpect.EOF)
    reports = list((tmp_path / "reports").rglob("report.json"))
    assert len(reports) == 1, reports
    facts = json.loads(reports[0].read_text())["facts"]
    assert f"{facts['measurements']['volumes_ml']['WT']:g} mL" in answers[QUESTIONS[0]]
    grounded = 0
    for question, text in answers.items():
        (tmp_path / "answer.txt").write_text(text)
        run = subprocess.run([medbrain, "verify", str(tmp_path / "answer.txt"), "--facts", str(reports[0]), "--json"],
                             capture_output=True, text=True, env=env)
        verdict = json.loads(run.stdout)
        assert verdict["status"] in ("passed", "unverified"), (question, text, verdict["unsupported"])
        grounded += verdict["status"] == "passed"
    assert grounded >= 8  # all but "how was it measured" carry checkable claims
