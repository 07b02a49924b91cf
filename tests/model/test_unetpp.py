"""The torch-only UNet++ matches smp.UnetPlusPlus (keys, shapes, outputs) and imports no smp."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

from medbrain.model.unetpp import UnetPlusPlus

SMALL = (16, 16, 16, 16, 16)
CASES = [("resnet18", SMALL), ("resnet50", SMALL)]


def _smp_model(encoder: str, decoder_channels: tuple[int, ...], in_channels: int = 12, classes: int = 3):
    import segmentation_models_pytorch as smp  # the reference; a project dependency, so never skipped

    return smp.UnetPlusPlus(
        encoder_name=encoder,
        encoder_weights=None,
        in_channels=in_channels,
        classes=classes,
        decoder_channels=decoder_channels,
    )


def _randomise_norm_stats(model: torch.nn.Module) -> None:
    """Give every BatchNorm non-trivial affine params and running stats, so eval mode is a real test."""
    g = torch.Generator().manual_seed(1)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            n = m.num_features
            with torch.no_grad():
                m.weight.copy_(1 + 0.2 * torch.randn(n, generator=g))
                m.bias.copy_(0.1 * torch.randn(n, generator=g))
                m.running_mean.copy_(0.1 * torch.randn(n, generator=g))
                m.running_var.copy_(0.5 + torch.rand(n, generator=g))


@pytest.mark.parametrize("encoder,decoder_channels", CASES)
def test_state_dict_keys_and_shapes_match_smp(encoder, decoder_channels):
    ref = _smp_model(encoder, decoder_channels).state_dict()
    ours = UnetPlusPlus(encoder, in_channels=12, classes=3, decoder_channels=decoder_channels).state_dict()
    assert list(ours) == list(ref)
    assert {k: tuple(v.shape) for k, v in ours.items()} == {k: tuple(v.shape) for k, v in ref.items()}


@pytest.mark.parametrize("encoder,decoder_channels", CASES)
def test_outputs_match_smp_after_loading_its_state(encoder, decoder_channels):
    torch.manual_seed(0)
    ref = _smp_model(encoder, decoder_channels)
    _randomise_norm_stats(ref)
    ours = UnetPlusPlus(encoder, in_channels=12, classes=3, decoder_channels=decoder_channels)
    ours.load_state_dict(ref.state_dict(), strict=True)
    ref.eval()
    ours.eval()
    x = torch.randn(2, 12, 64, 64)
    with torch.no_grad():
        want = ref(x)
        got = ours(x)
        feats_ref = ref.encoder(x)
        feats = ours.encoder(x)
        dec = ours.decoder(feats)
    assert tuple(ours.encoder.out_channels) == tuple(ref.encoder.out_channels)
    assert len(feats) == len(feats_ref) == 6
    assert feats[0] is x  # identity first feature, as in smp
    for a, b in zip(feats, feats_ref):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(dec, ref.decoder(feats_ref), atol=1e-5, rtol=1e-5)
    assert got.shape == (2, 3, 64, 64)
    torch.testing.assert_close(got, want, atol=1e-5, rtol=1e-5)


def test_check_input_shape_rejects_non_multiple_of_32():
    model = UnetPlusPlus("resnet18", in_channels=12, classes=3, decoder_channels=SMALL)
    model.check_input_shape(torch.zeros(1, 12, 64, 96))  # fine
    with pytest.raises(RuntimeError, match=r"height=65, width=64.*divisible by 32.*\(96, 64\)"):
        model.check_input_shape(torch.zeros(1, 12, 65, 64))
    with pytest.raises(RuntimeError, match="divisible by 32"):
        model(torch.zeros(1, 12, 65, 64))


def test_unknown_encoder_and_wrong_decoder_depth_are_rejected():
    with pytest.raises(KeyError, match="resnet18"):
        UnetPlusPlus("vgg11", in_channels=3, classes=1, decoder_channels=SMALL)
    with pytest.raises(ValueError, match="decoder_channels"):
        UnetPlusPlus("resnet18", in_channels=3, classes=1, decoder_channels=(16, 16, 16))


def test_import_pulls_in_no_smp_timm_or_torchvision():
    code = (
        "import sys, medbrain.model.unetpp\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'segmentation_models_pytorch', 'timm', 'torchvision'})\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"heavy modules imported: {out.stdout.strip()}"
