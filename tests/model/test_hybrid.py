"""The hybrid network: encoders, frozen transformer, attention, ablation switch."""

from __future__ import annotations

import pytest
import torch

from medbrain.errors import ConfigError
from medbrain.model.config import ModelConfig
from medbrain.model.hybrid import HybridUNetPlusPlus
from medbrain.model.transformer import load_frozen_transformer

SMALL = (16, 16, 16, 16, 16)


@pytest.fixture(scope="module")
def bert():
    return load_frozen_transformer("all-MiniLM-L6-v2", layers=2)


def tiny(bert, **kw) -> HybridUNetPlusPlus:
    cfg = ModelConfig(decoder_channels=SMALL, context=0, transformer="all-MiniLM-L6-v2", transformer_layers=2, **kw)
    return HybridUNetPlusPlus(cfg, transformer=bert)


@pytest.mark.parametrize("encoder", ["resnet18", "resnet34", "resnet50"])
def test_forward_backward_each_encoder(bert, encoder):
    torch.manual_seed(0)
    model = tiny(bert, encoder=encoder)
    x = torch.randn(2, 4, 64, 64)
    y = model(x)
    assert y.shape == (2, 3, 64, 64)
    y.square().mean().backward()
    grads = [p.grad for p in model.net.parameters() if p.requires_grad]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)
    assert any(g.abs().sum() > 0 for g in grads)


def test_transformer_is_frozen_and_gets_no_gradients(bert):
    model = tiny(bert)
    model.train()
    out = model(torch.randn(2, 4, 64, 64))
    out.mean().backward()
    for name, p in model.bottleneck.transformer.named_parameters():
        assert not p.requires_grad, name
        assert p.grad is None, name
    assert not model.bottleneck.transformer.training, "frozen transformer must stay in eval mode"
    counts = model.parameter_counts()
    assert counts["frozen"] == sum(p.numel() for p in bert.parameters())
    assert counts["trainable"] + counts["frozen"] == counts["total"]


def test_trainable_block_parameters_receive_gradients_after_first_step(bert):
    torch.manual_seed(0)
    model = tiny(bert)
    opt = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.1)
    x = torch.randn(2, 4, 64, 64)
    for _ in range(2):
        opt.zero_grad()
        model(x).square().mean().backward()
        opt.step()
    assert model.bottleneck.dense_1.weight.grad.abs().sum() > 0
    assert model.bottleneck.pos_embedding.grad.abs().sum() > 0


def test_attention_shapes_and_rows(bert):
    model = tiny(bert).eval()
    x = torch.randn(1, 4, 96, 128)
    with torch.no_grad(), model.capturing_attention():
        model(x)
    maps = model.attention_maps()
    assert model.attention_grid() == (3, 4)
    assert len(maps) == 2
    for a in maps:
        assert a.shape == (1, 12, 12, 12)
        torch.testing.assert_close(a.sum(-1), torch.ones(1, 12, 12))
    with torch.no_grad():
        model(x)  # outside the context nothing is captured
    with pytest.raises(ValueError, match="No attention captured"):
        model.attention_maps()


def test_zero_initialised_fusion_equals_plain_network(bert):
    torch.manual_seed(0)
    hybrid = tiny(bert).eval()
    plain = HybridUNetPlusPlus(ModelConfig(decoder_channels=SMALL, context=0, transformer=None)).eval()
    plain.net.load_state_dict(hybrid.net.state_dict())
    x = torch.randn(1, 4, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(hybrid(x), plain(x))


def test_ablation_switch_has_no_block():
    model = HybridUNetPlusPlus(ModelConfig(decoder_channels=SMALL, context=1, transformer=None))
    assert model.bottleneck is None
    assert model.parameter_counts()["frozen"] == 0
    assert model(torch.randn(1, 12, 64, 64)).shape == (1, 3, 64, 64)
    with pytest.raises(ValueError, match="no transformer block"):
        with model.capturing_attention():
            pass


def test_softmax_head_and_context_channels(bert):
    model = tiny(bert, head="softmax")
    assert model(torch.randn(1, 4, 64, 64)).shape == (1, 4, 64, 64)
    cfg = ModelConfig(context=2, transformer=None, decoder_channels=SMALL)
    assert cfg.in_channels == 20


@pytest.mark.parametrize("bad", [{"encoder": "vgg16"}, {"head": "crf"}, {"context": 9}, {"decoder_channels": (1, 2)}])
def test_bad_config_is_refused(bad):
    with pytest.raises(ConfigError):
        ModelConfig(**bad)


def test_input_not_divisible_by_32_is_rejected(bert):
    with pytest.raises(RuntimeError, match="divisible by 32"):
        tiny(bert)(torch.randn(1, 4, 60, 64))
