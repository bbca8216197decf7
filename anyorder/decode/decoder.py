"""``decode(model, tokens, is_fixed, plan, mask_id, seeds)``: validate the inputs, run ``DECODERS[plan.mode]``.

The decoders themselves live in ``unmask`` (the paper's adaptive unmask-and-keep), ``remask`` (Ye et al.) and
``autoregressive`` (greedy / beam for causal models); ``decoders.DECODERS`` lists them and the Plan fields each
one reads. ``model`` is any callable ``(B, L) int64 -> (B, L, V)`` logits.
"""
from __future__ import annotations

import torch

from anyorder.decode import rng
from anyorder.decode.decoders import DECODERS
from anyorder.decode.logprobs import Model
from anyorder.decode.plan import Plan
from anyorder.decode.result import DecodeResult
from anyorder.errors import ConfigError, InputError


def decode(model: Model, tokens: torch.Tensor, is_fixed: torch.Tensor | None, plan: Plan, mask_id: int,
           seeds: torch.Tensor | int = 0, trace: bool = False, checker=None) -> DecodeResult:
    """Decode a batch. tokens: (B, L) int64 with [MASK] = ``mask_id`` at positions to fill; is_fixed: (B, L)
    bool (None = nothing fixed); seeds: (B,) int64 per-row seeds, or an int expanded by ``rng.row_seeds``.
    ``checker``: the task's rule hooks (``checker.Checker``), passed to the decoders that use one (others
    ignore it); ``bestofn`` and ``backtrack`` need one."""
    tokens, is_fixed, seeds = _prepare(tokens, is_fixed, plan, seeds)
    dec = DECODERS[plan.mode]
    with torch.no_grad():  # decoding never needs gradients (and the in-place log-softmax forbids them)
        if dec.checker == "no":
            return dec.run(model, tokens, is_fixed, plan, mask_id, seeds, trace)
        return dec.run(model, tokens, is_fixed, plan, mask_id, seeds, trace, checker=checker)


def _prepare(tokens, is_fixed, plan, seeds) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Validate inputs; returns (tokens int64, is_fixed bool, seeds (B,) int64)."""
    if not isinstance(plan, Plan):
        raise ConfigError(f"plan must be an anyorder.decode.Plan, got {type(plan).__name__}")
    tokens = torch.as_tensor(tokens)
    if tokens.dim() != 2 or tokens.dtype not in (torch.int64, torch.int32):
        raise InputError(f"tokens must be a (B, L) integer tensor, got {tuple(tokens.shape)} {tokens.dtype}")
    tokens = tokens.long()
    is_fixed = torch.zeros_like(tokens, dtype=torch.bool) if is_fixed is None else torch.as_tensor(is_fixed)
    if is_fixed.shape != tokens.shape:
        raise InputError(f"is_fixed shape {tuple(is_fixed.shape)} != tokens shape {tuple(tokens.shape)}")
    if isinstance(seeds, int):
        seeds = rng.row_seeds(seeds, tokens.shape[0], tokens.device)
    seeds = torch.as_tensor(seeds, dtype=torch.int64, device=tokens.device)
    if seeds.shape != (tokens.shape[0],):
        raise InputError(f"seeds must be an int or a (B,) tensor with B={tokens.shape[0]}, got {tuple(seeds.shape)}")
    return tokens, is_fixed.to(device=tokens.device, dtype=torch.bool), seeds
