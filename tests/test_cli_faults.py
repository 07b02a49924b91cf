"""The fault corpus through the real CLI: named error, exit code, no traceback, nothing lost.

Runs the `medbrain` app in-process (typer's CliRunner, the same error handling as the
console script) on tiny synthetic cases; signal and concurrency faults, which need real
processes, are in test_cli_signals.py.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import tempfile
from pathlib import Path

import nibabel as nib
import pytest
import torch

from medbrain.pipeline.outputs import OutputTree

from .cli_helpers import all_output_bytes, assert_clean, invoke, make_tiny_checkpoint, snapshot, text_of, tiny_case
from .faults import CASE_ID, CORPUS, TINY_SHAPE, image_file, unprivileged, world_readable_copy

PHI = ("Jane Doe", "1950-01-02", "MRN778899", "St Elsewhere", "JDOE-SECRET")


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory) -> Path:
    return make_tiny_checkpoint(tmp_path_factory.mktemp("ckpt"))


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    return tiny_case(tmp_path_factory.mktemp("tpl"), CASE_ID, seed=4)


@pytest.fixture
def case(tmp_path: Path, template: Path) -> Path:
    return Path(shutil.copytree(template, tmp_path / "data" / CASE_ID))


@pytest.fixture
def earlier_out(tmp_path: Path) -> Path:
    """An --out folder holding what earlier runs wrote (must survive every failure untouched)."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "Other_0001_pred.nii.gz").write_bytes(b"an earlier prediction")
    (out / "notes.txt").write_text("mine")
    return out


def add_phi(case_dir: Path) -> None:
    """Patient data in every header text field and a header extension of every image."""
    for f in sorted(case_dir.glob("*.nii.gz")):
        img = nib.load(str(f))
        hdr = img.header
        hdr["descrip"] = b"Jane Doe 1950-01-02"
        hdr["aux_file"] = b"MRN778899"
        hdr["intent_name"] = b"JDOE-SECRET"
        hdr["db_name"] = b"St Elsewhere"
        hdr.extensions.append(nib.nifti1.Nifti1Extension("comment", b"Jane Doe MRN778899 St Elsewhere"))
        nib.save(nib.Nifti1Image(img.dataobj, img.affine, hdr), str(f))


# --------------------------------------------------------------------------- the corpus
@pytest.mark.parametrize("kind", CORPUS, ids=[k.name for k in CORPUS])
def test_corpus_through_segment(kind, case, earlier_out, ckpt):
    before = snapshot(earlier_out)
    strict = ("--require-all",) if kind.name == "missing_modality" else ()  # the library's verdict
    result = invoke("segment", kind.build(case), "--out", earlier_out, "--checkpoint", ckpt, "--no-tta", *strict)
    if kind.error is None:
        assert_clean(result, 0, "predicted volumes", *kind.words)
        if not kind.words:
            assert "Warning" not in result.output
        after = snapshot(earlier_out)
        assert {k: after[k] for k in before} == before
        assert f"{CASE_ID}_pred.nii.gz" in after
    else:
        assert_clean(result, 2, "Error:", *kind.words)
        assert snapshot(earlier_out) == before, "a refused input must not change the output folder"


def test_permission_denied_through_the_cli(case, ckpt):
    with tempfile.TemporaryDirectory(dir="/tmp") as d:
        work = world_readable_copy(case, Path(d))
        image_file(work, "t2").chmod(0)
        out = Path(d) / "out"
        out.mkdir(mode=0o777)
        out.chmod(0o777)
        with unprivileged():
            result = invoke("segment", work, "--out", out, "--checkpoint", ckpt)
        assert_clean(result, 2, "permission denied", "t2")
        assert "corrupt" not in text_of(result).lower()


def test_rich_markup_in_a_path_is_shown_literally(tmp_path, ckpt):
    result = invoke("segment", "x[/x]/case", "--out", tmp_path / "o", "--checkpoint", ckpt)
    assert_clean(result, 2, "x[/x]/case", "does not exist")
    odd = tiny_case(tmp_path / "[bold]data[/]", "Odd[x]_0001")
    result = invoke("segment", odd, "--out", tmp_path / "o[/x]", "--checkpoint", ckpt, "--no-tta")
    assert_clean(result, 0, "Odd[x]_0001", "predicted volumes")


# --------------------------------------------------------------------------- outputs checked first
@pytest.mark.parametrize("command", ["segment", "explain", "report", "demo"])
def test_out_pointing_at_a_file_fails_before_any_work(command, case, tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("keep me")
    args = {"segment": ["segment", case], "explain": ["explain", case], "report": ["report", case],
            "demo": ["demo"]}[command]
    # a checkpoint that does not exist proves the --out check comes before loading anything
    result = invoke(*args, "--out", target, "--checkpoint", tmp_path / "missing.safetensors")
    assert_clean(result, 2, "is an existing file, not a folder")
    assert target.read_text() == "keep me"


def test_prediction_path_taken_by_a_folder_fails_before_inference(case, tmp_path, ckpt):
    out = tmp_path / "out"
    (out / f"{CASE_ID}_pred.nii.gz").mkdir(parents=True)
    result = invoke("segment", case, "--out", out, "--checkpoint", tmp_path / "missing.safetensors")
    assert_clean(result, 2, "already exists as a folder")


# --------------------------------------------------------------------------- checkpoints
def _edited(ckpt: Path, tmp_path: Path, edit) -> Path:
    dst = tmp_path / "edited.safetensors"
    dst.write_bytes(ckpt.read_bytes())
    doc = json.loads(ckpt.with_suffix(".json").read_text())
    edit(doc)
    dst.with_suffix(".json").write_text(json.dumps(doc))
    return dst


HOSTILE = [
    ("no_weights_hash", lambda d: d.pop("weights_sha256"), "no weights_sha256"),
    ("transformer_null", lambda d: (d["model"].update(transformer="all-MiniLM-L6-v2"), d.update(transformer=None)),
     "records no transformer SHA-256"),
    ("unknown_postprocessing_key", lambda d: d.update(postprocessing={"threshold": 0.5, "smooth": True}),
     "postprocessing.smooth"),
    ("threshold_high", lambda d: d.update(postprocessing={"threshold": "high"}), "postprocessing.threshold"),
    ("threshold_2", lambda d: d.update(postprocessing={"threshold": 2.0}), "less than 1"),
    ("decoder_channels_text", lambda d: d["model"].update(decoder_channels="abc"), "model.decoder_channels"),
]


@pytest.mark.parametrize("name,edit,needle", HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_checkpoint_json(name, edit, needle, case, earlier_out, ckpt, tmp_path):
    before = snapshot(earlier_out)
    result = invoke("segment", case, "--out", earlier_out, "--checkpoint", _edited(ckpt, tmp_path, edit))
    assert_clean(result, 2, needle)
    assert snapshot(earlier_out) == before


class _Payload:
    def __reduce__(self):
        return (os.system, ("touch /tmp/medbrain-pwned",))


def test_pickle_checkpoints_never_run(case, tmp_path):
    evil = tmp_path / "evil.pth"
    evil.write_bytes(pickle.dumps(_Payload()))
    assert_clean(invoke("segment", case, "--checkpoint", evil, "--out", tmp_path / "o"), 2, "pickle")
    disguised = tmp_path / "evil.safetensors"
    disguised.write_bytes(pickle.dumps(_Payload()))
    disguised.with_suffix(".json").write_text(json.dumps({"format": "medbrain-checkpoint/1", "model": {},
                                                          "integrity": "user-owned"}))
    assert_clean(invoke("segment", case, "--checkpoint", disguised, "--out", tmp_path / "o"), 2, "safetensors")
    assert not Path("/tmp/medbrain-pwned").exists()


def test_user_owned_checkpoint_runs_and_is_labelled_unverified(case, ckpt, tmp_path):
    own = _edited(ckpt, tmp_path, lambda d: (d.pop("weights_sha256"), d.update(integrity="user-owned")))
    result = invoke("segment", case, "--out", tmp_path / "o", "--checkpoint", own, "--no-tta")
    assert_clean(result, 0, "not verified", "user-owned")


def test_pickled_encoder_weights_refused_without_weights_only_advice(tmp_path):
    evil = tmp_path / "evil.pt"
    evil.write_bytes(pickle.dumps({"conv1.weight": _Payload()}))
    result = invoke("train", "run", "--cache", tmp_path / "no-cache", "--out", tmp_path / "run",
                    "--encoder-weights", evil)
    out = assert_clean(result, 2, "evil.pt", "refused", "safetensors")
    assert "weights_only" not in out
    assert not Path("/tmp/medbrain-pwned").exists()


# --------------------------------------------------------------------------- report batches
@pytest.fixture(scope="module")
def batch(tmp_path_factory, ckpt, template):
    """One `report --data-dir` over every batch fault, run once; tests read its outputs."""
    root = tmp_path_factory.mktemp("batch")
    data = root / "data"
    phi = tiny_case(data, "Case A", seed=1)
    add_phi(phi)
    tiny_case(data, "Case_A", seed=2)
    tiny_case(data / "site1", "Dup", seed=3)
    tiny_case(data / "site2", "Dup", seed=5)
    broken = tiny_case(data, "Broken", seed=6)
    (broken / "Broken_t2.nii.gz").unlink()
    leak = data / "Leak"
    leak.mkdir()
    for f in tiny_case(root / "elsewhere", "Leak", seed=7).iterdir():
        os.symlink(f, leak / f.name)
    out = root / "out"
    args = ("report", "--data-dir", data, "--out", out, "--checkpoint", ckpt, "--fast", "--no-tta", "--require-all")
    first = invoke(*args)
    return {"data": data, "out": out, "args": args, "first": first, "phi": phi, "root": root}


def _reports(out: Path) -> dict[str, dict]:
    return {p.parent.name: json.loads(p.read_text()) for p in out.glob("*/report.json")}


def test_batch_reports_every_case_folder_with_its_status(batch):
    out = assert_clean(batch["first"], 1, "Broken", "missing modality t2", "Leak",
                       "outside the allowed data roots", "2 case(s) failed")
    for case_id in ("Case A", "Case_A", "Dup"):
        assert case_id in out


def test_colliding_names_get_their_own_folders(batch):
    reports = _reports(batch["out"])
    ids = sorted(r["case_id"] for r in reports.values())
    assert ids == ["Case A", "Case_A", "Dup", "Dup"], reports.keys()
    assert "Case_A" in reports and reports["Case_A"]["case_id"] == "Case A"
    renamed = [name for name in reports if name not in ("Case_A", "Dup")]
    assert len(renamed) == 2 and all("-" in n for n in renamed)
    assert "renamed" in text_of(batch["first"])


def test_no_header_text_reaches_any_output(batch, ckpt, tmp_path):
    seg = invoke("segment", batch["phi"], "--out", tmp_path / "seg", "--checkpoint", ckpt, "--no-tta",
                 "--save-probabilities")
    assert_clean(seg, 0)
    exp = invoke("explain", batch["phi"], "--out", tmp_path / "exp", "--checkpoint", ckpt, "--no-tta",
                 "--methods", "gradcam")
    assert_clean(exp, 0)
    files = {**{f"report/{k}": v for k, v in all_output_bytes(batch["out"]).items()},
             **{f"segment/{k}": v for k, v in all_output_bytes(tmp_path / "seg").items()},
             **{f"explain/{k}": v for k, v in all_output_bytes(tmp_path / "exp").items()}}
    assert any(k.endswith("_pred.nii.gz") for k in files) and any(k.endswith("report.html") for k in files)
    for name, data in files.items():
        for secret in PHI:
            assert secret.encode() not in data, f"{secret!r} leaked into {name}"
    for text in (batch["first"].output, seg.output, exp.output):
        assert not any(secret in text for secret in PHI)
    pred = nib.load(str(tmp_path / "seg" / "Case A_pred.nii.gz"))
    assert pred.header["descrip"].item() in (b"", "") and len(pred.header.extensions) == 0
    assert pred.shape == TINY_SHAPE or pred.shape == (32, 32, 20)


def test_rerun_skips_finished_cases_and_changes_nothing(batch):
    before = snapshot(batch["out"])
    again = invoke(*batch["args"])
    assert_clean(again, 1, "skipped (done")
    after = snapshot(batch["out"])
    assert {k: v for k, v in after.items() if ".medbrain" not in k} == \
           {k: v for k, v in before.items() if ".medbrain" not in k}


def test_force_rerun_writes_its_own_tool_log(batch, ckpt):
    folder = batch["out"] / "Case_A"
    others = {k: v for k, v in snapshot(batch["out"]).items() if not k.startswith("Case_A/") and ".medbrain" not in k}
    assert (folder / "report.html").is_file()
    (folder / "notes.txt").write_text("mine")
    result = invoke("report", batch["phi"], "--out", batch["out"], "--data-root", batch["data"], "--checkpoint", ckpt,
                    "--fast", "--no-tta", "--force", "--format", "md,json", "--seed", "7")
    assert_clean(result, 0, "ok")
    assert not (folder / "report.html").exists(), "the old report.html must not sit beside the new report"
    figures = {p.name for p in (folder / "figures").iterdir()}
    assert figures and all(name in (folder / "report.md").read_text() for name in figures), figures
    assert (folder / "notes.txt").read_text() == "mine"
    log = [json.loads(line) for line in (folder / "tool_calls.jsonl").read_text().splitlines()]
    assert [e["tool"] for e in log].count("load") == 1 and [e["tool"] for e in log].count("segment") == 1
    assert {k: v for k, v in snapshot(batch["out"]).items() if k in others} == others
    assert not list((batch["out"] / ".medbrain" / "staging").iterdir())


def test_case_held_by_another_run_is_busy_not_redone(batch, ckpt):
    tree = OutputTree(batch["out"])
    held = tree.claim("Case A", batch["phi"])
    try:
        result = invoke("report", batch["phi"], batch["data"] / "Case_A", "--out", batch["out"], "--data-root",
                        batch["data"], "--checkpoint", ckpt, "--fast", "--no-tta")
        assert_clean(result, 1, "busy", f"process {os.getpid()}", "skipped (done")
    finally:
        held.lock.release()
    result = invoke("report", batch["phi"], "--out", batch["out"], "--data-root", batch["data"], "--checkpoint", ckpt,
                    "--fast", "--no-tta")
    assert_clean(result, 0, "skipped (done")


def test_data_dir_holding_only_a_bad_case_names_the_problem(tmp_path, template, ckpt):
    bad = Path(shutil.copytree(template, tmp_path / "data" / CASE_ID))
    image_file(bad, "flair").unlink()
    result = invoke("report", "--data-dir", tmp_path / "data", "--out", tmp_path / "out", "--checkpoint", ckpt,
                    "--require-all")
    out = assert_clean(result, 1, "missing modality flair", "1 case(s) failed")
    assert "No cases found" not in out


def test_report_of_a_case_missing_sequences_says_which_were_used(tmp_path, template, ckpt):
    case = Path(shutil.copytree(template, tmp_path / "data" / CASE_ID))
    image_file(case, "t1").unlink()
    image_file(case, "t2").unlink()
    result = invoke("report", "--data-dir", tmp_path / "data", "--out", tmp_path / "out", "--checkpoint", ckpt,
                    "--fast", "--no-tta")
    assert_clean(result, 0, "has no t1, t2 image", "segmented from t1ce, flair only")
    folder = tmp_path / "out" / CASE_ID
    md, doc = (folder / "report.md").read_text(), json.loads((folder / "report.json").read_text())
    case_facts = doc["facts"]["case"]
    assert case_facts["sequences"] == ["t1ce", "flair"] and case_facts["sequences_missing"] == ["t1", "t2"]
    assert case_facts["expected_accuracy"] == {"sequences": "t1ce+flair", "measured": False}  # tiny model: no table
    assert "Sequences missing" in md and "T1, T2" in md
    assert "No cross-validated accuracy exists for t1ce+flair" in md
    regions = doc["facts"]["confidence"]["regions"]
    applicable = {r: v for r, v in regions.items() if v["level"] != "not applicable"}
    assert applicable, regions
    for name, region in applicable.items():  # an unmeasured subset is never high confidence
        assert region["level"] != "high"
        assert any(x["factor"] == f"expected_dice_{name}" and x["points_to"] == "moderate" for x in region["reasons"])


# --------------------------------------------------------------------------- chat
def test_chat_paths_markup_and_report_confinement(batch, ckpt, tmp_path):
    good = batch["data"] / "Case_A"
    lines = ["/load /etc/[/x]", f"/load {batch['data'] / 'Leak'}", f"/load {batch['phi']}", f"/load {good}",
             "/report ../escaped", f"/report {tmp_path}", "/report sub", "/quit"]
    out = tmp_path / "chat-out"
    result = invoke("chat", "--data-root", batch["data"], "--out", out, "--db", tmp_path / "chat.sqlite",
                    "--llm", "none", "--checkpoint", ckpt, input="\n".join(lines) + "\n")
    text = assert_clean(result, 0, "/etc/[/x] is outside the allowed data roots",
                        "resolves to", "Loaded Case_A", "outside the output root", "Report written to")
    assert text.count("outside the output root") == 2
    assert (out / "sub" / "Case_A" / "report.json").is_file()
    assert not (tmp_path / "escaped").exists() and not (tmp_path / "Case_A").exists()
    # the report's tool log and provenance hold only this case's calls, not those of "Case A" loaded before
    log = [json.loads(line) for line in (out / "sub" / "Case_A" / "tool_calls.jsonl").read_text().splitlines()]
    loads = [e["arguments"]["path"] for e in log if e["tool"] == "load"]
    assert loads == [str(good)], loads
    assert "Case A" not in json.dumps(log)
    report = json.loads((out / "sub" / "Case_A" / "report.json").read_text())
    assert len(report["provenance"]["tool_calls"]) == len(log)


# --------------------------------------------------------------------------- data-dir discovery
def test_symlinked_case_folders_are_listed_and_checked_against_the_roots(tmp_path, template, ckpt):
    real = tmp_path / "real"
    tiny_case(real, "Linked", seed=1)
    data = tmp_path / "data"
    tiny_case(data, "Plain", seed=2)
    (data / "Linked").symlink_to(real / "Linked")  # a case folder that is a symlink out of --data-dir
    (data / "loop").symlink_to(data)
    odd = data / "Odd"
    odd.mkdir()
    for mod in ("t1", "flair"):
        shutil.copy(template / f"{CASE_ID}_{mod}.nii.gz", odd / f"{mod}.nii.gz")
    args = ("report", "--data-dir", data, "--out", tmp_path / "out", "--checkpoint", ckpt, "--fast", "--no-tta")
    first = assert_clean(invoke(*args), 1, "Linked", "outside the allowed data roots", "Odd",
                         "match no known layout", "2 case(s) failed")
    assert "No cases found" not in first and (tmp_path / "out" / "Plain" / "report.json").is_file()
    second = assert_clean(invoke(*args, "--data-root", tmp_path), 1, "Linked", "Plain", "skipped (done",
                          "1 case(s) failed")
    assert "outside the allowed data roots" not in second
    assert json.loads((tmp_path / "out" / "Linked" / "report.json").read_text())["case_id"] == "Linked"


def test_data_dir_of_only_symlinked_case_folders_is_not_empty(tmp_path, ckpt):
    tiny_case(tmp_path / "store", "S0", seed=1)
    (tmp_path / "links").mkdir()
    (tmp_path / "links" / "S0").symlink_to(tmp_path / "store" / "S0")
    result = invoke("report", "--data-dir", tmp_path / "links", "--out", tmp_path / "out", "--checkpoint", ckpt,
                    "--fast", "--no-tta", "--data-root", tmp_path / "store")
    out = assert_clean(result, 0, "S0", "ok")
    assert "No cases found" not in out and (tmp_path / "out" / "S0" / "report.json").is_file()


# --------------------------------------------------------------------------- explain
def test_explain_of_two_cases_into_one_out_keeps_both(tmp_path, ckpt):
    a, b = tiny_case(tmp_path / "data", "ExA", seed=1), tiny_case(tmp_path / "data", "ExB", seed=2)
    out = tmp_path / "out"
    args = ("--out", out, "--checkpoint", ckpt, "--no-tta", "--methods", "gradcam")
    assert_clean(invoke("explain", a, *args), 0)
    first = snapshot(out / "ExA")
    assert {"explain.json", "explain_tool_calls.jsonl"} <= set(first)
    assert_clean(invoke("explain", b, *args), 0)
    assert snapshot(out / "ExA") == first, "explaining ExB must not replace ExA's outputs"
    doc = json.loads((out / "ExB" / "explain.json").read_text())
    assert doc["facts"]["case"]["case_id"] == "ExB" and (out / "ExB" / doc["figure"]).is_file()
    assert not (out / "explain.json").exists()


# --------------------------------------------------------------------------- report warnings
def test_report_shows_case_warnings_and_an_unverified_checkpoint(tmp_path, template, ckpt):
    case = Path(shutil.copytree(template, tmp_path / "data" / CASE_ID))
    next(k for k in CORPUS if k.name == "all_negative_intensities").build(case)
    own = _edited(ckpt, tmp_path, lambda d: (d.pop("weights_sha256"), d.update(integrity="user-owned")))
    result = invoke("report", case, "--out", tmp_path / "out", "--checkpoint", own, "--fast", "--no-tta")
    out = assert_clean(result, 0, "Warning:", "not verified", "user-owned")
    assert out.index("not verified") < out.index("Reports in"), "the warning comes before the work"
    folder = tmp_path / "out" / CASE_ID
    md, doc = (folder / "report.md").read_text(), json.loads((folder / "report.json").read_text())
    assert "Every voxel is negative" in md and any("Every voxel is negative" in w for w in doc["warnings"])
    assert "not verified" in md
    assert doc["provenance"]["checkpoint_integrity"].startswith("not verified")


# --------------------------------------------------------------------------- markup and --out in other commands
def test_score_prints_markup_in_paths_and_ids_literally(tmp_path):
    truth = tiny_case(tmp_path / "truth", "Q[bold]1", seed=1)
    preds = tmp_path / "preds"
    preds.mkdir()
    shutil.copy(truth / "Q[bold]1_seg.nii.gz", preds / "Q[bold]1_pred.nii.gz")
    shutil.copy(truth / "Q[bold]1_seg.nii.gz", preds / "Z[red]9_pred.nii.gz")
    result = invoke("score", preds, tmp_path / "truth", "--out", tmp_path / "s[/x]")
    assert_clean(result, 0, "Q[bold]1", "Z[red]9", "s[/x]")
    assert json.loads((tmp_path / "s[/x]" / "scores.json").read_text())


def test_train_commands_print_markup_in_paths_literally(tmp_path, ckpt):
    data = tmp_path / "data"
    tiny_case(data, "T0", seed=1)
    assert_clean(invoke("train", "prepare", data, "--cache", tmp_path / "c[/x]"), 0, "c[/x]", "Cache ready")
    result = invoke("train", "export", ckpt, "--out", tmp_path / "exp[/x]" / "t")
    assert_clean(result, 0, "exp[/x]", "Wrote")
    assert (tmp_path / "exp[/x]" / "t.safetensors").is_file()


def test_eval_out_that_is_a_file_fails_before_any_work(tmp_path):
    target = tmp_path / "efile"
    target.write_text("keep me")
    for suite in ("real", "claims"):
        result = invoke("eval", "--suite", suite, "--out", target)
        assert_clean(result, 2, "is an existing file, not a folder")
        assert "Eval " not in result.output and "Claims corpus" not in result.output, "no work was done"
    assert target.read_text() == "keep me"


def test_eval_results_path_with_markup_is_printed(tmp_path):
    result = invoke("eval", "--suite", "real", "--llm", "none", "--limit", "1", "--out", tmp_path / "e[/x]")
    assert result.exit_code in (0, 1), text_of(result)
    assert_clean(result, result.exit_code, "Results:", "e[/x]")
    assert (tmp_path / "e[/x]" / "results.json").is_file()
