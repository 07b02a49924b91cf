"""The shipped weights: finite, and every level of the network (the transformer block included) reaches the output."""

from __future__ import annotations

import torch
from safetensors.torch import load_file

from medbrain.model.checkpoint import load_checkpoint
from medbrain.model.default import default_checkpoint_path


def test_shipped_tensors_are_finite():
    for key, value in load_file(str(default_checkpoint_path())).items():
        assert not value.is_floating_point() or torch.isfinite(value.float()).all(), key


def test_the_bottleneck_and_its_transformer_change_the_shipped_models_output():
    """A float16 export once turned a decoder variance into inf, and the output ignored the
    whole bottleneck: attention maps were empty and 'passed' the randomisation check."""
    torch.manual_seed(0)
    model = load_checkpoint(default_checkpoint_path()).model.eval()
    x = torch.randn(1, model.config.in_channels, 160, 192)  # z-scored inputs, as preprocessing gives
    with torch.no_grad():
        features = model.net.encoder(x)
        out = model.net.segmentation_head(model.net.decoder([*features[:-1], model.bottleneck(features[-1])]))
        no_block = model.net.segmentation_head(model.net.decoder(features))  # the transformer block skipped
        no_level = model.net.segmentation_head(model.net.decoder([*features[:-1], torch.zeros_like(features[-1])]))
    torch.testing.assert_close(out, model(x))
    assert (out - no_level).abs().max() > 0.1, "the deepest level does not reach the output"
    assert (out - no_block).abs().max() > 0.01, "the transformer block does not reach the output"
