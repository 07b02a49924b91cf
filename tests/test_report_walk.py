"""`medbrain report CASE` does each thing once: discovery, NIfTI loading, segmentation, each file.

The spies wrap the functions wherever a module imported them by name, so a second call from
any layer is counted.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import pytest

from tests.cli_helpers import assert_clean, invoke, make_tiny_checkpoint, tiny_case

SPIED = {
    "medbrain.data.discovery": ("resolve_case",),
    "medbrain.data.loading": ("load_case",),
    "medbrain.model.inference": ("segment_preprocessed",),
    "medbrain.io": ("atomic_write_bytes",),
}


@pytest.fixture()
def calls(monkeypatch) -> Counter:
    import medbrain.cli  # noqa: F401 - every command module (and what it imports) is loaded
    import medbrain.agent.report_run  # noqa: F401
    import medbrain.pipeline.workspace  # noqa: F401

    counts: Counter = Counter()
    for module_name, names in SPIED.items():
        for name in names:
            original = getattr(sys.modules[module_name], name)

            def spy(*args, _original=original, _name=name, **kwargs):
                key = _name if _name != "atomic_write_bytes" else f"write {Path(args[0]).name}"
                counts[key] += 1
                return _original(*args, **kwargs)

            for mod in [m for n, m in sys.modules.items() if n.startswith("medbrain") and m is not None]:
                if getattr(mod, name, None) is original:
                    monkeypatch.setattr(mod, name, spy)
    return counts


def test_report_of_one_case_discovers_loads_segments_and_writes_once(tmp_path: Path, calls: Counter):
    ckpt = make_tiny_checkpoint(tmp_path / "ckpt")
    case = tiny_case(tmp_path / "data", "Walk", seed=7)
    result = invoke("report", case, "--out", tmp_path / "out", "--llm", "none", "--checkpoint", ckpt,
                    "--fast", "--no-tta")
    assert_clean(result, 0)
    assert calls["resolve_case"] == 1, calls
    assert calls["load_case"] == 1, calls
    assert calls["segment_preprocessed"] == 1, calls
    writes = {k: v for k, v in calls.items() if k.startswith("write ")}
    assert {"write report.json", "write report.md", "write report.html"} <= set(writes), writes
    assert all(v == 1 for v in writes.values()), writes
