"""Hostile and malformed checkpoint JSON: validated by a schema, hashes required."""

from __future__ import annotations

import json
import pickle

import pytest
import torch

from medbrain.errors import CheckpointError
from medbrain.model.checkpoint import VERIFIED, load_checkpoint, save_checkpoint
from medbrain.model.config import ModelConfig
from medbrain.model.hybrid import HybridUNetPlusPlus
from medbrain.model.pretrained import read_state_dict


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    torch.manual_seed(0)
    model = HybridUNetPlusPlus(ModelConfig(decoder_channels=(8,) * 5, context=0, transformer=None))
    return save_checkpoint(model, tmp_path_factory.mktemp("ck") / "tiny")


def _edited(saved, tmp_path, edit):
    dst = tmp_path / "m.safetensors"
    dst.write_bytes(saved.read_bytes())
    doc = json.loads(saved.with_suffix(".json").read_text())
    edit(doc)
    dst.with_suffix(".json").write_text(json.dumps(doc))
    return dst


BAD = [
    ("no_weights_hash", lambda d: d.pop("weights_sha256"), "no weights_sha256"),
    ("transformer_null", lambda d: (d["model"].update(transformer="all-MiniLM-L6-v2"), d.update(transformer=None)),
     "records no transformer SHA-256"),
    ("transformer_without_model_block", lambda d: d.update(transformer={"name": "x", "sha256": "0" * 64}),
     "config has none"),
    ("unknown_postprocessing_key", lambda d: d.update(postprocessing={"threshold": 0.5, "bogus": 1}),
     "postprocessing.bogus"),
    ("threshold_text", lambda d: d.update(postprocessing={"threshold": "high"}), "postprocessing.threshold"),
    ("threshold_above_one", lambda d: d.update(postprocessing={"threshold": 2.0}), "less than 1"),
    ("threshold_zero", lambda d: d.update(postprocessing={"threshold": 0}), "greater than 0"),
    ("negative_min_et", lambda d: d.update(postprocessing={"min_et_voxels": -3}), "min_et_voxels"),
    ("decoder_channels_text", lambda d: d["model"].update(decoder_channels="abc"), "model.decoder_channels"),
    ("unknown_model_key", lambda d: d["model"].update(evil="x"), "model.evil"),
    ("malformed_hash", lambda d: d.update(weights_sha256="abc"), "weights_sha256"),
    ("unknown_integrity", lambda d: d.update(integrity="trust-me"), "integrity"),
]


@pytest.mark.parametrize("name,edit,needle", BAD, ids=[b[0] for b in BAD])
def test_bad_checkpoint_json_is_refused(saved, tmp_path, name, edit, needle):
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(_edited(saved, tmp_path, edit))
    assert needle in str(info.value)


def test_user_owned_checkpoint_loads_unverified_and_says_so(saved, tmp_path):
    path = _edited(saved, tmp_path, lambda d: (d.pop("weights_sha256"), d.update(integrity="user-owned")))
    ckpt = load_checkpoint(path)
    assert ckpt.integrity.startswith("not verified") and "user-owned" in ckpt.integrity
    assert load_checkpoint(saved).integrity == VERIFIED


def test_user_owned_checkpoint_still_fails_a_recorded_hash(saved, tmp_path):
    path = _edited(saved, tmp_path, lambda d: d.update(integrity="user-owned", weights_sha256="0" * 64))
    with pytest.raises(CheckpointError, match="SHA-256"):
        load_checkpoint(path)


def test_postprocessing_defaults_are_filled_in(saved):
    assert load_checkpoint(saved).metadata["postprocessing"] == {"threshold": 0.5, "min_et_voxels": 0,
                                                                   "min_et_component_voxels": 0, "min_wt_component_voxels": 0}


class _Payload:
    def __reduce__(self):
        return (print, ("pwned",))


def test_pickled_encoder_weights_are_refused_without_suggesting_weights_only_false(tmp_path, capsys):
    evil = tmp_path / "evil.pt"
    evil.write_bytes(pickle.dumps({"conv1.weight": _Payload()}))
    with pytest.raises(CheckpointError) as info:
        read_state_dict(evil)
    msg = str(info.value)
    assert "weights_only" not in msg and "refused" in msg and "safetensors" in msg
    assert info.value.__cause__ is None and info.value.__suppress_context__
    assert "pwned" not in capsys.readouterr().out
