"""Model kinds: the checkpoint's ``"model_kind"`` names how to rebuild the model from ``config["model"]``.

``MODEL_KINDS[kind] = ModelKind(config_class, build)``: ``build(config) -> nn.Module`` mapping (B, L) int64 tokens
to (B, L, V) logits. ``transformer`` is anyorder's own ``Transformer``; ``hf`` wraps a pretrained Hugging Face diffusion LM
(LLaDA, Dream, any masked LM; ``models.hf``).
Checkpoints written before issue 10 have no "model_kind": they are transformers.

``ModelKind.layers(config, raw_config=None) -> (field, count) | None``: the number of layers the config implies and
the config field it comes from, read from the config alone (no allocation, no weights; ``raw_config`` = the
config.json a kind such as ``hf`` points at, when the caller already read it). Every layer holds at least one
tensor, so the checkpoint loader (``train.checkpoint.check_layers``) refuses a config whose count exceeds the
tensors in the weights file before building anything, for every kind.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from torch import nn

from anyorder.errors import ConfigError
from anyorder.models import hf
from anyorder.models.transformer import ModelConfig, Transformer, transformer_layers


@dataclass(frozen=True)
class ModelKind:
    config_class: type  # frozen config dataclass with from_dict / to_dict
    build: Callable[[Any], nn.Module]  # config -> model(tokens) -> logits
    layers: Callable[..., tuple[str, int] | None]  # (config, raw_config=None) -> (field, layer count) | None


MODEL_KINDS: dict[str, ModelKind] = {
    "transformer": ModelKind(ModelConfig, Transformer, transformer_layers),
    # LLaDA / Dream / masked LMs from a local transformers directory
    "hf": ModelKind(hf.HFConfig, hf.build, hf.config_layers),
}


def model_kind(name: str) -> ModelKind:
    if name not in MODEL_KINDS:
        raise ConfigError(f"unknown model kind {name!r}; valid: {sorted(MODEL_KINDS)}")
    return MODEL_KINDS[name]


def build_model(kind: str, config: Any) -> nn.Module:
    """A fresh model of ``kind`` from its config object."""
    return model_kind(kind).build(config)
