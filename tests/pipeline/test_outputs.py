"""Output folders: unique per input, stable across runs, committed with report.json last."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from medbrain.errors import CaseBusyError, OutputError
from medbrain.pipeline.outputs import OutputTree, safe_name


def _claim_and_write(tree: OutputTree, case_id: str, src: Path, text: str) -> Path:
    case = tree.claim(case_id, src)
    try:
        staging = tree.staging(case)
        (staging / "report.md").write_text(text)
        (staging / "report.json").write_text(json.dumps({"case_id": case_id}))
        tree.commit(case, staging)
        return case.folder
    finally:
        case.lock.release()


def test_colliding_ids_get_distinct_stable_folders(tmp_path):
    a, b = tmp_path / "in" / "Case A", tmp_path / "in" / "Case_A"
    a.mkdir(parents=True)
    b.mkdir()
    assert safe_name("Case A") == safe_name("Case_A") == "Case_A"
    tree = OutputTree(tmp_path / "out")
    names = tree.plan([("Case A", a), ("Case_A", b)])
    assert names[0] == "Case_A" and names[1].startswith("Case_A-") and len(set(names)) == 2
    fa = _claim_and_write(tree, "Case A", a, "A")
    fb = _claim_and_write(tree, "Case_A", b, "B")
    assert fa != fb
    assert (fa / "report.md").read_text() == "A" and (fb / "report.md").read_text() == "B"
    # later runs, alone or in another order, find the same folders
    again = OutputTree(tmp_path / "out")
    for case_id, src, folder in (("Case_A", b, fb), ("Case A", a, fa)):
        case = again.claim(case_id, src)
        assert case.folder == folder and case.done
        case.lock.release()


def test_names_collide_case_insensitively_within_a_batch(tmp_path):
    names = OutputTree.plan([("case_a", tmp_path / "x"), ("CASE_A", tmp_path / "y")])
    assert names[0].casefold() != names[1].casefold()


def test_same_id_in_two_subfolders(tmp_path):
    tree = OutputTree(tmp_path / "out")
    f1 = _claim_and_write(tree, "X", tmp_path / "site1" / "X", "1")
    f2 = _claim_and_write(tree, "X", tmp_path / "site2" / "X", "2")
    assert f1.name == "X" and f2.name.startswith("X-")
    assert (f1 / "report.md").read_text() == "1"


def test_legacy_folder_of_another_case_is_not_adopted(tmp_path):
    out = tmp_path / "out"
    (out / "Case_A").mkdir(parents=True)
    (out / "Case_A" / "report.json").write_text(json.dumps({"case_id": "Case A"}))
    tree = OutputTree(out)
    case = tree.claim("Case_A", tmp_path / "Case_A")
    assert case.folder.name != "Case_A" and case.renamed
    case.lock.release()
    same = tree.claim("Case A", tmp_path / "Case A")
    assert same.folder.name == "Case_A" and same.done, "a legacy report of the same case is adopted"
    same.lock.release()


def test_busy_case_is_refused(tmp_path):
    tree = OutputTree(tmp_path / "out")
    held = tree.claim("X", tmp_path / "X")
    try:
        with pytest.raises(CaseBusyError, match="Another medbrain run"):
            OutputTree(tmp_path / "out").claim("X", tmp_path / "X")
    finally:
        held.lock.release()


def test_commit_replaces_and_report_json_comes_last(tmp_path, monkeypatch):
    tree = OutputTree(tmp_path / "out")
    folder = _claim_and_write(tree, "X", tmp_path / "X", "old")
    keep = folder / "notes.txt"
    keep.write_text("mine")
    order = []
    import medbrain.pipeline.outputs as outputs

    real = outputs.os.replace
    monkeypatch.setattr(outputs.os, "replace", lambda s, d: (order.append(Path(d).name), real(s, d)))
    _claim_and_write(tree, "X", tmp_path / "X", "new")
    assert order[-1] == "report.json" and "report.md" in order
    assert (folder / "report.md").read_text() == "new"
    assert keep.read_text() == "mine", "files that are not report outputs are left alone"
    assert not list((tmp_path / "out" / ".medbrain" / "staging").iterdir())


def _commit(tree: OutputTree, case_id: str, src: Path, files: dict[str, str]) -> Path:
    case = tree.claim(case_id, src)
    try:
        staging = tree.staging(case)
        for rel, text in files.items():
            (staging / rel).parent.mkdir(parents=True, exist_ok=True)
            (staging / rel).write_text(text)
        tree.commit(case, staging)
        return case.folder
    finally:
        case.lock.release()


def _files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}


def test_a_rerun_leaves_nothing_of_the_earlier_run_that_it_did_not_write(tmp_path):
    tree = OutputTree(tmp_path / "out")
    first = {"report.md": "old", "report.html": "old", "report.json": "{}", "tool_calls.jsonl": "old",
             "X_pred.nii.gz": "old", "figures/X_WT_z10.png": "old", "extra/debug.txt": "old"}
    folder = _commit(tree, "X", tmp_path / "X", first)
    (folder / "notes.txt").write_text("mine")
    _commit(tree, "X", tmp_path / "X", {"report.md": "new", "figures/X_WT_z12.png": "new", "report.json": "{}"})
    assert _files(folder) == {"report.md", "report.json", "figures/X_WT_z12.png", "notes.txt"}
    assert not (folder / "extra").exists(), "a folder emptied of stale files is removed"
    assert (folder / "report.md").read_text() == "new" and (folder / "notes.txt").read_text() == "mine"


def test_known_outputs_of_a_folder_without_a_file_list_are_removed(tmp_path):
    folder = tmp_path / "out" / "X"
    (folder / "figures").mkdir(parents=True)
    for rel in ("report.html", "report.json", "figures/old.png", "X_pred.nii.gz", "notes.txt"):
        (folder / rel).write_text("legacy")
    outside = tmp_path / "keep.txt"
    outside.write_text("outside")
    tree = OutputTree(tmp_path / "out")
    (tree.state / "X.files.json").write_text('["../../keep.txt", "/etc/hostname"]')  # a tampered list
    _commit(tree, "X", tmp_path / "X", {"report.md": "new", "report.json": "{}"})
    assert _files(folder) == {"report.md", "report.json", "notes.txt"}
    assert outside.read_text() == "outside"


def test_out_that_is_a_file_is_refused(tmp_path):
    f = tmp_path / "out"
    f.write_text("x")
    with pytest.raises(OutputError, match="existing file"):
        OutputTree(f)
