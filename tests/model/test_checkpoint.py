"""Checkpoint I/O: safetensors + JSON round trip, validation, pickle refused."""

from __future__ import annotations

import json
import pickle

import pytest
import torch

from medbrain.errors import CheckpointError
from medbrain.model.checkpoint import load_checkpoint, read_checkpoint_metadata, save_checkpoint
from medbrain.model.config import ModelConfig
from medbrain.model.hybrid import HybridUNetPlusPlus
from medbrain.model.pretrained import load_encoder_weights, widen_first_conv

SMALL = (16, 16, 16, 16, 16)


@pytest.fixture(scope="module")
def hybrid():
    torch.manual_seed(1)
    cfg = ModelConfig(decoder_channels=SMALL, context=0, transformer="all-MiniLM-L6-v2", transformer_layers=2,
                      fusion_init_zero=False)
    return HybridUNetPlusPlus(cfg).eval()


def test_round_trip_gives_identical_outputs(hybrid, tmp_path):
    path = save_checkpoint(hybrid, tmp_path / "m", metadata={"training": {"seed": 3}})
    assert path.suffix == ".safetensors" and path.with_suffix(".json").is_file()
    loaded = load_checkpoint(path)
    x = torch.randn(1, 4, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(loaded.model(x), hybrid(x), rtol=0, atol=0)
    meta = loaded.metadata
    assert meta["training"]["seed"] == 3
    assert len(meta["transformer"]["sha256"]) == 64
    assert meta["model"]["transformer_layers"] == 2
    assert "bottleneck.transformer" not in " ".join(
        __import__("safetensors.torch", fromlist=["load_file"]).load_file(str(path))
    ), "the frozen transformer is shipped separately, not in the checkpoint"


def test_fp16_checkpoint_is_close(hybrid, tmp_path):
    path = save_checkpoint(hybrid, tmp_path / "half", dtype=torch.float16)
    loaded = load_checkpoint(path)
    x = torch.randn(1, 4, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(loaded.model(x), hybrid(x), rtol=1e-2, atol=1e-2)


def test_pickle_checkpoint_is_refused(tmp_path):
    bad = tmp_path / "evil.pt"
    bad.write_bytes(pickle.dumps({"x": 1}))
    with pytest.raises(CheckpointError, match="pickle"):
        load_checkpoint(bad)


def test_pickle_disguised_as_safetensors_is_refused(hybrid, tmp_path):
    path = save_checkpoint(hybrid, tmp_path / "m")
    path.write_bytes(pickle.dumps({"x": 1}))
    with pytest.raises(CheckpointError):
        load_checkpoint(path, verify_hash=False)


def test_tampered_weights_fail_hash(hybrid, tmp_path):
    path = save_checkpoint(hybrid, tmp_path / "m")
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="SHA-256"):
        load_checkpoint(path)


def test_missing_json_and_wrong_format(hybrid, tmp_path):
    path = save_checkpoint(hybrid, tmp_path / "m")
    doc = json.loads(path.with_suffix(".json").read_text())
    doc["format"] = "something-else"
    path.with_suffix(".json").write_text(json.dumps(doc))
    with pytest.raises(CheckpointError, match="not a medbrain checkpoint"):
        read_checkpoint_metadata(path)
    path.with_suffix(".json").unlink()
    with pytest.raises(CheckpointError, match="missing"):
        load_checkpoint(path)


def test_weights_that_do_not_fit_config_are_refused(hybrid, tmp_path):
    path = save_checkpoint(hybrid, tmp_path / "m")
    doc = json.loads(path.with_suffix(".json").read_text())
    doc["model"]["encoder"] = "resnet34"
    path.with_suffix(".json").write_text(json.dumps(doc))
    with pytest.raises(CheckpointError, match="do not fit"):
        load_checkpoint(path)


def test_torchvision_encoder_weights_load_strict(tmp_path):
    from safetensors.torch import save_file
    from torchvision.models import resnet18

    tv = resnet18(weights=None)
    save_file({k: v.contiguous() for k, v in tv.state_dict().items()}, str(tmp_path / "r18.safetensors"))
    torch.save(tv.state_dict(), tmp_path / "r18.pth")
    model = HybridUNetPlusPlus(ModelConfig(decoder_channels=SMALL, context=1, transformer=None))
    for f in ("r18.safetensors", "r18.pth"):
        load_encoder_weights(model, tmp_path / f)
        torch.testing.assert_close(model.encoder.layer1[0].conv1.weight, tv.layer1[0].conv1.weight)
    w = model.encoder.conv1.weight
    assert w.shape[1] == 12
    torch.testing.assert_close(w, widen_first_conv(tv.conv1.weight, 12))
    bad = HybridUNetPlusPlus(ModelConfig(encoder="resnet34", decoder_channels=SMALL, context=0, transformer=None))
    with pytest.raises(CheckpointError, match="does not fit"):
        load_encoder_weights(bad, tmp_path / "r18.safetensors")


def _with_large_variance(model: HybridUNetPlusPlus, value: float) -> HybridUNetPlusPlus:
    """A copy whose first decoder BatchNorm has a variance float16 cannot hold (as training produced)."""
    import copy

    big = copy.deepcopy(model)
    bn = big.net.decoder.blocks["x_0_0"].conv1[1]
    bn.running_var.fill_(value)
    bn.running_mean.fill_(30.0)
    return big


def test_fp16_export_keeps_norm_statistics_in_float32(hybrid, tmp_path):
    big = _with_large_variance(hybrid, 2.0e6)  # > 65,504: inf in float16, which zeroes that layer's signal
    path = save_checkpoint(big, tmp_path / "half", dtype=torch.float16)
    stored = __import__("safetensors.torch", fromlist=["load_file"]).load_file(str(path))
    key = "net.decoder.blocks.x_0_0.conv1.1.running_var"
    assert stored[key].dtype == torch.float32 and torch.isfinite(stored[key]).all()
    assert stored["net.decoder.blocks.x_0_0.conv1.0.weight"].dtype == torch.float16  # weights still halved
    doc = json.loads(path.with_suffix(".json").read_text())
    assert key in doc["float32_tensors"] and all(k.endswith(("running_mean", "running_var")) for k in doc["float32_tensors"])
    loaded = load_checkpoint(path)
    x = torch.randn(1, 4, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(loaded.model(x), big(x), rtol=1e-2, atol=1e-2)


def test_non_finite_weights_are_refused_on_save_and_on_load(hybrid, tmp_path):
    broken = _with_large_variance(hybrid, float("inf"))
    with pytest.raises(CheckpointError, match="running_var holds NaN or inf"):
        save_checkpoint(broken, tmp_path / "b")
    path = save_checkpoint(hybrid, tmp_path / "ok")  # then break the file the way a float16 cast did
    from safetensors.torch import load_file, save_file

    tensors = load_file(str(path))
    tensors["net.decoder.blocks.x_0_0.conv1.1.running_var"] = torch.full((16,), float("inf"))
    save_file(tensors, str(path), metadata={"format": "medbrain-checkpoint/1"})
    with pytest.raises(CheckpointError, match=r"x_0_0\.conv1\.1\.running_var holds NaN or inf values \(16 of 16\)"):
        load_checkpoint(path, verify_hash=False)
