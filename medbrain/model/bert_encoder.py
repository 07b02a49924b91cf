"""A plain-PyTorch BERT encoder for the frozen bottleneck transformer, loaded straight from safetensors.

The bottleneck feeds token embeddings (``inputs_embeds``) to a frozen BERT-family encoder
and reads its last hidden state and, for the attention explanation, its attention maps.
Building that through ``transformers.AutoModel`` costs about two seconds of imports and
model-class discovery per process — more than a third of a case's inference on two CPU
cores. This module is the same arithmetic as Hugging Face's eager ``BertModel`` (absolute
position and token-type embeddings, post-LayerNorm layers, exact-erf GELU), with the same
parameter names, so the same safetensors file loads unchanged; the word-embedding table is
never used with ``inputs_embeds`` and is not loaded. ``tests/model/test_bert_encoder.py``
checks it against ``transformers.BertModel`` on random inputs. Other architectures still go
through ``transformers`` (see :func:`medbrain.model.transformer.load_frozen_transformer`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
import torch.nn as nn
import torch.nn.functional as F

SUPPORTED_ACTIVATIONS = {"gelu": F.gelu, "relu": F.relu, "gelu_new": lambda x: F.gelu(x, approximate="tanh")}


@dataclass
class BertConfigLite:
    """The fields of a Hugging Face BERT ``config.json`` the encoder needs."""

    hidden_size: int
    num_hidden_layers: int
    num_attention_heads: int
    intermediate_size: int
    hidden_act: str = "gelu"
    layer_norm_eps: float = 1e-12
    max_position_embeddings: int = 512
    type_vocab_size: int = 2

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> "BertConfigLite":
        return cls(**{k: doc[k] for k in cls.__dataclass_fields__ if k in doc})


@dataclass
class EncoderOutput:
    """What the bottleneck reads: ``last_hidden_state`` and, on request, per-layer ``attentions``."""

    last_hidden_state: torch.Tensor
    attentions: tuple[torch.Tensor, ...] | None = None


class _Embeddings(nn.Module):
    def __init__(self, c: BertConfigLite):
        super().__init__()
        self.position_embeddings = nn.Embedding(c.max_position_embeddings, c.hidden_size)
        self.token_type_embeddings = nn.Embedding(c.type_vocab_size, c.hidden_size)
        self.LayerNorm = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)

    def forward(self, inputs_embeds: torch.Tensor) -> torch.Tensor:
        n = inputs_embeds.shape[1]  # token type 0 everywhere, positions 0..n-1 (Hugging Face's order of sums)
        h = inputs_embeds + self.token_type_embeddings.weight[0]
        return self.LayerNorm(h + self.position_embeddings.weight[:n])


class _SelfAttention(nn.Module):
    def __init__(self, c: BertConfigLite):
        super().__init__()
        self.heads = c.num_attention_heads
        self.query = nn.Linear(c.hidden_size, c.hidden_size)
        self.key = nn.Linear(c.hidden_size, c.hidden_size)
        self.value = nn.Linear(c.hidden_size, c.hidden_size)

    def forward(self, x: torch.Tensor, additive_mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        b, n, w = x.shape
        q, k, v = (t.view(b, n, self.heads, w // self.heads).transpose(1, 2)
                   for t in (self.query(x), self.key(x), self.value(x)))
        scores = (q @ k.transpose(-1, -2)) * (w // self.heads) ** -0.5 + additive_mask
        probs = scores.softmax(dim=-1)
        return (probs @ v).transpose(1, 2).reshape(b, n, w), probs


class _DenseNorm(nn.Module):
    """``LayerNorm(dense(x) + residual)``: BERT's attention output and layer output."""

    def __init__(self, d_in: int, d_out: int, eps: float):
        super().__init__()
        self.dense = nn.Linear(d_in, d_out)
        self.LayerNorm = nn.LayerNorm(d_out, eps=eps)

    def forward(self, x: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        return self.LayerNorm(self.dense(x) + residual)


class _Attention(nn.Module):
    def __init__(self, c: BertConfigLite):
        super().__init__()
        self.self = _SelfAttention(c)
        self.output = _DenseNorm(c.hidden_size, c.hidden_size, c.layer_norm_eps)


class _Intermediate(nn.Module):
    def __init__(self, c: BertConfigLite):
        super().__init__()
        self.dense = nn.Linear(c.hidden_size, c.intermediate_size)
        self.act = SUPPORTED_ACTIVATIONS[c.hidden_act]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.dense(x))


class _Layer(nn.Module):
    def __init__(self, c: BertConfigLite):
        super().__init__()
        self.attention = _Attention(c)
        self.intermediate = _Intermediate(c)
        self.output = _DenseNorm(c.intermediate_size, c.hidden_size, c.layer_norm_eps)

    def forward(self, x: torch.Tensor, additive_mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        context, probs = self.attention.self(x, additive_mask)
        h = self.attention.output(context, x)
        return self.output(self.intermediate(h), h), probs


class _Encoder(nn.Module):
    def __init__(self, c: BertConfigLite):
        super().__init__()
        self.layer = nn.ModuleList(_Layer(c) for _ in range(c.num_hidden_layers))


class BertEncoder(nn.Module):
    """Embeddings (without the word table) and the encoder layers of a BERT model, eager attention."""

    def __init__(self, config: BertConfigLite):
        super().__init__()
        self.config = config
        self.embeddings = _Embeddings(config)
        self.encoder = _Encoder(config)

    def forward(self, inputs_embeds: torch.Tensor, attention_mask: torch.Tensor | None = None,
                output_attentions: bool = False) -> EncoderOutput:
        h = self.embeddings(inputs_embeds)
        if attention_mask is None:
            additive = torch.zeros((), dtype=h.dtype, device=h.device)
        else:
            additive = (1.0 - attention_mask[:, None, None, :].to(h.dtype)) * torch.finfo(h.dtype).min
        attentions = []
        for layer in self.encoder.layer:
            h, probs = layer(h, additive)
            if output_attentions:
                attentions.append(probs)
        return EncoderOutput(h, tuple(attentions) if output_attentions else None)


def load_bert_encoder(config: dict[str, Any], tensors: dict[str, torch.Tensor]) -> BertEncoder:
    """A :class:`BertEncoder` from a ``config.json`` dict and its safetensors (``bert.`` prefix allowed)."""
    model = BertEncoder(BertConfigLite.from_dict(config))
    wanted = model.state_dict()
    state = {}
    for key, value in tensors.items():
        name = key.removeprefix("bert.")
        if name in wanted:
            state[name] = value
    missing = sorted(set(wanted) - set(state))
    if missing:
        raise KeyError(f"transformer weights lack {missing[:3]}")
    model.load_state_dict(state, strict=True)
    return model
