"""Adaptive-order MDM decoding: unmask-and-keep (paper Sec. 2.5-2.6, Algorithm 1 and its adaptive variant).

``DECODERS["unmask"]``, the default ``Plan(mode="unmask")``. Fills every non-fixed [MASK] of a batch. Each step:

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

import torch

from anyorder.decode import rng
from anyorder.decode.budget import BUDGETS, BudgetContext
from anyorder.decode.logprobs import Model, model_log_probs
from anyorder.decode.noise import add_noise, noise_scale
from anyorder.decode.rank import finite_scores, rank_descending
from anyorder.decode.result import DecodeResult, TraceStep
from anyorder.decode.score import needs_uniforms, score_function
from anyorder.decode.value import VALUES
from anyorder.errors import ConfigError

# the Plan fields this decoder reads; every other field must keep its default (decoders.check_plan)
READS = frozenset({"steps", "budget", "score", "value", "temperature", "top_k", "top_p", "noise", "noise_scale",
                   "noise_anneal", "schedule", "k", "threshold", "factor", "block_length", "stop_early"})


def unmask_decode(model: Model, tokens: torch.Tensor, is_fixed: torch.Tensor, plan, mask_id: int,
                  seeds: torch.Tensor, trace: bool = False) -> DecodeResult:
    """Unmask-and-keep decoding of validated inputs (``decoder.decode`` checks them): tokens (B, L) int64,
    is_fixed (B, L) bool, seeds (B,) int64."""
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
                step: int, plan, seeds: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, TraceStep]:
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


def needs_reveal_uniforms(plan) -> bool:
    """Whether the VANILLA-stream uniforms are used (vanilla or custom score, binomial budget)."""
    return needs_uniforms(plan.score) or plan.budget == "binomial"


def candidates(is_masked: torch.Tensor, step: int, plan) -> tuple[torch.Tensor, int, int]:
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


def noisy_scores(log_probs: torch.Tensor, u: torch.Tensor, cand: torch.Tensor, step: int, plan,
                 seeds: torch.Tensor) -> torch.Tensor:
    """score + scale * noise at candidates (float32, finite), -inf elsewhere. Shapes (B, L)."""
    scores = score_function(plan.score)(log_probs, u).to(torch.float32)
    scale = noise_scale(plan.noise_scale, plan.noise_anneal, step, plan.steps)
    scores = add_noise(scores, plan.noise, scale, seeds, step)
    return torch.where(cand, finite_scores(scores), float("-inf"))
