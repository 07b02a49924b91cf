"""The plain-PyTorch BERT encoder computes what Hugging Face's eager BertModel computes."""

from __future__ import annotations

import pytest
import torch

from medbrain.model.bert_encoder import BertEncoder
from medbrain.model.transformer import _load_with_transformers, load_frozen_transformer, transformer_path


@pytest.fixture(scope="module")
def pair() -> tuple[torch.nn.Module, torch.nn.Module]:
    ours = load_frozen_transformer("all-MiniLM-L6-v2")
    theirs = _load_with_transformers(transformer_path("all-MiniLM-L6-v2")).eval()
    return ours, theirs


def test_default_transformer_loads_without_transformers_package_code(pair):
    ours, _ = pair
    assert isinstance(ours, BertEncoder) and not any(p.requires_grad for p in ours.parameters())
    assert len(ours.encoder.layer) == 6 and ours.config.hidden_size == 384


@pytest.mark.parametrize("bf16", [False, True])
def test_hidden_states_and_attentions_match_hugging_face(pair, bf16):
    ours, theirs = pair
    x = torch.randn(3, 30, 384, generator=torch.Generator().manual_seed(0))
    mask = torch.ones(3, 30, dtype=torch.long)
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        a = ours(inputs_embeds=x, attention_mask=mask, output_attentions=True)
        b = theirs(inputs_embeds=x, attention_mask=mask, output_attentions=True)
    tol = 3e-2 if bf16 else 1e-5
    torch.testing.assert_close(a.last_hidden_state.float(), b.last_hidden_state.float(), atol=tol, rtol=tol)
    assert len(a.attentions) == len(b.attentions) == 6
    for pa, pb in zip(a.attentions, b.attentions):
        torch.testing.assert_close(pa.float(), pb.float(), atol=tol, rtol=tol)


def test_a_padded_token_is_masked_like_hugging_face(pair):
    ours, theirs = pair
    x = torch.randn(2, 12, 384, generator=torch.Generator().manual_seed(1))
    mask = torch.ones(2, 12, dtype=torch.long)
    mask[1, -3:] = 0
    with torch.no_grad():
        a = ours(inputs_embeds=x, attention_mask=mask, output_attentions=True)
        b = theirs(inputs_embeds=x, attention_mask=mask, output_attentions=True)
    torch.testing.assert_close(a.last_hidden_state, b.last_hidden_state, atol=1e-5, rtol=1e-5)
    assert float(a.attentions[0][1, :, :, -3:].abs().max()) < 1e-6  # no attention to padding


def test_layer_truncation_keeps_the_first_layers():
    short = load_frozen_transformer("all-MiniLM-L6-v2", layers=2)
    full = load_frozen_transformer("all-MiniLM-L6-v2")
    assert len(short.encoder.layer) == 2 and short.config.num_hidden_layers == 2
    torch.testing.assert_close(short.encoder.layer[1].output.dense.weight, full.encoder.layer[1].output.dense.weight)
