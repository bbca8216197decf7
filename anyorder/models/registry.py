"""Model kinds: the checkpoint's ``"model_kind"`` names how to rebuild the model from ``config["model"]``.

``MODEL_KINDS[kind] = ModelKind(config_class, build)``: ``build(config) -> nn.Module`` mapping (B, L) int64 tokens
to (B, L, V) logits. ``transformer`` is anyorder's own ``Transformer``; ``hf`` wraps a pretrained Hugging Face diffusion LM
(LLaDA, Dream, any masked LM; ``models.hf``).
Checkpoints written before issue 10 have no "model_kind": they are transformers.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from torch import nn

from anyorder.errors import ConfigError
from anyorder.models import hf
from anyorder.models.transformer import ModelConfig, Transformer


@dataclass(frozen=True)
class ModelKind:
    config_class: type  # frozen config dataclass with from_dict / to_dict
    build: Callable[[Any], nn.Module]  # config -> model(tokens) -> logits


MODEL_KINDS: dict[str, ModelKind] = {
    "transformer": ModelKind(ModelConfig, Transformer),
    "hf": ModelKind(hf.HFConfig, hf.build),  # LLaDA / Dream / masked LMs from a local transformers directory
}


def model_kind(name: str) -> ModelKind:
    if name not in MODEL_KINDS:
        raise ConfigError(f"unknown model kind {name!r}; valid: {sorted(MODEL_KINDS)}")
    return MODEL_KINDS[name]


def build_model(kind: str, config: Any) -> nn.Module:
    """A fresh model of ``kind`` from its config object."""
    return model_kind(kind).build(config)
