"""Exponential moving average of model weights.

shadow <- decay * shadow + (1 - decay) * param after every optimizer step. Shadows are float32 copies keyed by
the parameter names of the (unwrapped) model, so they can be saved as ``model.safetensors`` directly.
"""
from __future__ import annotations

import contextlib
from typing import Iterator

import torch
from torch import nn


class EMA:
    """EMA of the trainable parameters of ``model`` (buffers are taken from the live model when saving)."""

    def __init__(self, model: nn.Module, decay: float) -> None:
        if not 0.0 < decay < 1.0:
            raise ValueError(f"EMA decay must be in (0, 1), got {decay}")
        self.decay = decay
        self.shadow: dict[str, torch.Tensor] = {
            name: p.detach().float().clone() for name, p in model.named_parameters() if p.requires_grad
        }

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        """Move every shadow a (1 - decay) fraction of the way towards the current parameter."""
        for name, p in model.named_parameters():
            if name in self.shadow:
                self.shadow[name].lerp_(p.detach().float(), 1.0 - self.decay)

    def state_dict(self, model: nn.Module) -> dict[str, torch.Tensor]:
        """A full model state dict (parameters from the shadows, buffers from ``model``), in model dtypes."""
        out = {}
        for name, t in model.state_dict().items():
            out[name] = self.shadow[name].to(t.dtype) if name in self.shadow else t.detach()
        return out

    def load_shadow(self, state: dict[str, torch.Tensor]) -> None:
        """Restore shadows from a state dict written by ``state_dict``; missing names raise KeyError."""
        for name in self.shadow:
            self.shadow[name] = state[name].detach().float().clone().to(self.shadow[name].device)

    @contextlib.contextmanager
    def applied(self, model: nn.Module) -> Iterator[nn.Module]:
        """Temporarily swap the EMA weights into ``model`` (e.g. for evaluation), restoring them afterwards."""
        backup = {name: p.detach().clone() for name, p in model.named_parameters() if name in self.shadow}
        with torch.no_grad():
            for name, p in model.named_parameters():
                if name in self.shadow:
                    p.copy_(self.shadow[name])
        try:
            yield model
        finally:
            with torch.no_grad():
                for name, p in model.named_parameters():
                    if name in backup:
                        p.copy_(backup[name])
