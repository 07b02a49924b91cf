"""Bad input fails before the heavy libraries load: no torch, no LangChain for a wrong path or option.

Checked structurally (which modules were imported when the error was printed), not by timing.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

PROBE = r"""
import json, sys
from medbrain.cli import main
sys.argv = ["medbrain", *json.loads(sys.argv[1])]
try:
    main()
except SystemExit as exc:
    code = exc.code
else:
    code = 0
heavy = sorted(m for m in ("torch", "langchain_core", "segmentation_models_pytorch", "captum") if m in sys.modules)
print(json.dumps({"code": code, "heavy": heavy}))
"""


def _probe(args: list[str]) -> tuple[dict, str]:
    out = subprocess.run([sys.executable, "-c", PROBE, json.dumps(args)], capture_output=True, text=True, timeout=120)
    return json.loads(out.stdout.strip().splitlines()[-1]), out.stderr + out.stdout


@pytest.fixture()
def case_dir(tmp_path: Path) -> Path:
    from medbrain.data.synthetic import make_synthetic_case

    return make_synthetic_case(tmp_path / "data", case_id="Fast", shape=(24, 24, 16))


@pytest.mark.parametrize("args, message", [
    (["segment", "/does/not/exist"], "does not exist"),
    (["explain", "/does/not/exist", "--out", "{tmp}/e"], "does not exist"),
    (["report", "/does/not/exist", "--out", "{tmp}/r", "--llm", "none"], "1 case(s) failed"),
    (["segment", "{case}", "--device", "tpu", "--out", "{tmp}/s"], "--device"),
    (["report", "{case}", "--llm", "bogus", "--out", "{tmp}/r2"], "--llm"),
    (["explain", "{case}", "--out", "{tmp}/e2", "--budget", "huge"], "--budget"),
    (["segment", "{case}", "--out", "{tmp}/file.txt"], "file.txt"),
    (["segment", "{case}", "--slices", "some", "--out", "{tmp}/s2"], "--slices must be tumour or all"),
    (["explain", "{case}", "--slices", "every", "--out", "{tmp}/e3"], "--slices must be tumour or all"),
    (["explain", "{case}", "--region", "XX", "--out", "{tmp}/e4"], "--region must be WT, TC or ET"),
    (["explain", "{case}", "--methods", "gradcam,magic", "--out", "{tmp}/e5"], "Unknown method(s) magic"),
    (["report", "{case}", "--slices", "3", "--llm", "none", "--out", "{tmp}/r3"], "--slices must be tumour or all"),
    (["report", "{case}", "--budget", "huge", "--llm", "none", "--out", "{tmp}/r4"], "--budget must be fast or full"),
])
def test_bad_input_fails_before_heavy_imports(tmp_path: Path, case_dir: Path, args: list[str], message: str):
    (tmp_path / "file.txt").write_text("not a folder")
    filled = [a.format(tmp=tmp_path, case=case_dir) for a in args]
    result, text = _probe(filled)
    assert result["code"] not in (0, None), text
    assert message in text and "Traceback" not in text
    assert result["heavy"] == [], f"imported {result['heavy']} before failing"


def test_llm_choices_match_the_backends():
    from medbrain.agent.llm import BACKENDS
    from medbrain.cli import LLM_CHOICES

    assert set(LLM_CHOICES) == {"env", *BACKENDS}
