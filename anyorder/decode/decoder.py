"""Adaptive-order MDM decoding: unmask-and-keep (paper Sec. 2.5-2.6, Algorithm 1 and its adaptive variant).

``decode(model, tokens, is_fixed, plan, mask_id, seeds)`` fills every non-fixed [MASK] of a batch. Each step:

1. one model call for the whole batch -> log-probs (B, L, V) with the [MASK] logit at -inf;
2. candidates (B, L): masked, not fixed, inside the current block (semi-AR, ``plan.block_length``);
3. score (B, L) + noise; non-candidates -inf; rank positions per row (descending, ties by position);
4. budget -> k (B,) per row, clamped to [0, #candidates]; the last step (of a block) reveals all left;
5. reveal ranks < k with values from the value rule; revealed tokens are never changed again.

Unconditional generation is ``is_fixed`` all False; infilling / puzzles fix the context (clues, prompt).
Non-fixed positions that are not [MASK] count as given: kept, never re-predicted, order -1. Fixed positions
are never changed, even if they hold [MASK].

Randomness comes from ``rng`` (counter-based, keyed by each row's seed), so a row's result depends only on its
own tokens and seed, not on the batch (up to the model's own batch invariance). No Python loop over rows.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch

from anyorder.decode import rng
from anyorder.decode.budget import BUDGETS, BudgetContext
from anyorder.decode.noise import NOISES, noise_scale
from anyorder.decode.plan import Plan
from anyorder.decode.score import SCORES
from anyorder.decode.value import VALUES
from anyorder.errors import ConfigError, InputError

Model = Callable[[torch.Tensor], torch.Tensor]


@dataclass(frozen=True)
class TraceStep:
    """What one step did. Shapes (B, L) unless noted; rows that did nothing have k = 0."""

    step: int  # 0-based step index
    k: torch.Tensor  # (B,) int64 positions revealed (unmask) / kept unmasked (remask) this step
    revealed: torch.Tensor  # bool: positions revealed this step (remask: unmasked after this step)
    values: torch.Tensor  # int64: tokens written at ``revealed`` positions, -1 elsewhere
    scores: torch.Tensor  # float32: the (noised) scores used for ranking, -inf for non-candidates


@dataclass(frozen=True)
class DecodeResult:
    """Output of ``decode``.

    tokens: (B, L) int64 final tokens. order: (B, L) int64 step at which each position was revealed
    (-1 = fixed or given; remask mode: the last step at which it became unmasked). nfe: (B,) int64 model
    evaluations during which the sample still had work to do. n_model_calls: total model calls (each on the
    whole batch). trace: one ``TraceStep`` per step when requested, else None.
    """

    tokens: torch.Tensor
    order: torch.Tensor
    nfe: torch.Tensor
    n_model_calls: int
    trace: list[TraceStep] | None = None


def decode(model: Model, tokens: torch.Tensor, is_fixed: torch.Tensor | None, plan: Plan, mask_id: int,
           seeds: torch.Tensor | int = 0, trace: bool = False) -> DecodeResult:
    """Decode a batch. tokens: (B, L) int64 with [MASK] = ``mask_id`` at positions to fill; is_fixed: (B, L)
    bool (None = nothing fixed); seeds: (B,) int64 per-row seeds, or an int expanded by ``rng.row_seeds``."""
    tokens, is_fixed, seeds = _prepare(tokens, is_fixed, plan, mask_id, seeds)
    if plan.mode == "remask":
        from anyorder.decode.remask import remask_decode

        return remask_decode(model, tokens, is_fixed, plan, mask_id, seeds, trace)
    x, order = tokens.clone(), torch.full_like(tokens, -1)
    nfe = torch.zeros(tokens.shape[0], dtype=torch.int64, device=tokens.device)
    steps: list[TraceStep] | None = [] if trace else None
    n_calls = 0
    for step in range(plan.steps):
        is_masked = (x == mask_id) & ~is_fixed
        active = is_masked.any(dim=1)
        if plan.stop_early and not bool(active.any()):
            break
        log_probs = model_log_probs(model, x, mask_id)
        n_calls += 1
        nfe += active
        x, order, record = unmask_step(log_probs, x, is_masked, order, step, plan, seeds)
        if steps is not None:
            steps.append(record)
    return DecodeResult(x, order, nfe, n_calls, steps)


def unmask_step(log_probs: torch.Tensor, x: torch.Tensor, is_masked: torch.Tensor, order: torch.Tensor,
                step: int, plan: Plan, seeds: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, TraceStep]:
    """One reveal step. Returns the new tokens, order and the step's trace record."""
    cand, local_step, local_n = candidates(is_masked, step, plan)
    u = rng.uniform(seeds, step, rng.VANILLA, x.shape[1]) if needs_reveal_uniforms(plan) else None
    scores = noisy_scores(log_probs, u, cand, step, plan, seeds)
    sorted_scores, rank = rank_descending(scores)
    n_cand = cand.sum(dim=1)
    k = BUDGETS[plan.budget](n_cand, local_step, local_n, BudgetContext(plan, sorted_scores, u, cand))
    k = n_cand if local_step == local_n - 1 else torch.minimum(k.clamp(min=0), n_cand)
    sel = cand & (rank < k[:, None])
    u_value = rng.uniform(seeds, step, rng.VALUE, x.shape[1])[sel] if plan.value != "argmax" else None
    values = VALUES[plan.value](log_probs[sel], u_value, plan)
    x = x.masked_scatter(sel, values)
    order = torch.where(sel, step, order)
    return x, order, TraceStep(step, k, sel, torch.where(sel, x, -1), scores)


def needs_reveal_uniforms(plan: Plan) -> bool:
    """Whether the VANILLA-stream uniforms are used (vanilla or custom score, binomial budget)."""
    return plan.score == "vanilla" or callable(plan.score) or plan.budget == "binomial"


def model_log_probs(model: Model, x: torch.Tensor, mask_id: int) -> torch.Tensor:
    """log_softmax of ``model(x)`` (B, L, V) in float32 with the [MASK] logit set to -inf."""
    logits = model(x)
    if logits.dim() != 3 or logits.shape[:2] != x.shape or not 0 <= mask_id < logits.shape[2]:
        raise InputError(f"model returned logits of shape {tuple(logits.shape)} for tokens {tuple(x.shape)}; "
                         f"expected (B, L, V) with V > mask_id={mask_id}")
    # value-major layout (V, B, L): reductions over a small vocabulary are ~5x faster on CPU this way; the
    # returned tensor is a (B, L, V) view of it
    logits = logits.float().permute(2, 0, 1).index_fill(0, torch.tensor([mask_id], device=logits.device),
                                                        float("-inf"))
    return torch.log_softmax(logits, dim=0).permute(1, 2, 0)


def candidates(is_masked: torch.Tensor, step: int, plan: Plan) -> tuple[torch.Tensor, int, int]:
    """(candidates (B, L) bool, step within the block, steps per block). Blocks: LLaDA semi-AR, left to
    right, ``plan.steps`` split evenly; block ``step // steps_per_block`` is the current one for every row."""
    if plan.block_length is None:
        return is_masked, step, plan.steps
    length = is_masked.shape[1]
    n_blocks = -(-length // plan.block_length)
    if plan.steps % n_blocks:
        raise ConfigError(f"steps={plan.steps} must be a multiple of the number of blocks {n_blocks} "
                          f"(length {length}, block_length {plan.block_length})")
    per_block = plan.steps // n_blocks
    block = torch.arange(length, device=is_masked.device) // plan.block_length
    return is_masked & (block == step // per_block), step % per_block, per_block


def noisy_scores(log_probs: torch.Tensor, u: torch.Tensor, cand: torch.Tensor, step: int, plan: Plan,
                 seeds: torch.Tensor) -> torch.Tensor:
    """score + scale * noise at candidates (float32, finite), -inf elsewhere. Shapes (B, L)."""
    score_fn = plan.score if callable(plan.score) else SCORES[plan.score]
    scores = score_fn(log_probs, u).to(torch.float32)
    scale = noise_scale(plan.noise_scale, plan.noise_anneal, step, plan.steps)
    if plan.noise != "none" and scale > 0:
        noise = NOISES[plan.noise](rng.uniform(seeds, step, rng.NOISE, scores.shape[1]))
        scores = scores + (scale * noise).to(torch.float32)
    big = torch.finfo(torch.float32).max
    scores = scores.nan_to_num(nan=-big, posinf=big, neginf=-big)
    return torch.where(cand, scores, float("-inf"))


def rank_descending(scores: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(scores sorted descending per row, rank (B, L) int64 of each position; ties -> lower position first)."""
    sorted_scores, index = scores.sort(dim=1, descending=True, stable=True)
    positions = torch.arange(scores.shape[1], device=scores.device).expand_as(index)
    return sorted_scores, torch.empty_like(index).scatter_(1, index, positions)


def _prepare(tokens, is_fixed, plan, mask_id, seeds) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
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
