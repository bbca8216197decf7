"""Adaptive-order MDM decoding: unmask-and-keep (paper Sec. 2.5-2.6, Algorithm 1 and its adaptive variant).

``DECODERS["unmask"]``, the default ``Plan(mode="unmask")``. Fills every non-fixed [MASK] of a batch. Each step:

1. one model call for the whole batch -> log-probs (B, W, V) with the [MASK] logit at -inf, for the window of
   columns W that can hold a candidate this step (the current block's columns that are not fixed in every row;
   ``step_columns``): the head (when the model ``takes_columns``), softmax, scores and values never touch the
   prompt or later blocks. Custom score functions get the whole canvas (W = L);
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
from anyorder.decode.logprobs import VALUE_MAJOR_MAX_VOCAB, Model, window_log_probs
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
    free = free_columns(is_fixed)  # one host sync per decode call
    for step in range(plan.steps):
        is_masked = (x == mask_id) & ~is_fixed
        active = is_masked.any(dim=1)
        if plan.stop_early and not bool(active.any()):
            break
        lo, hi = step_columns(free, x.shape[1], step, plan)
        log_probs = window_log_probs(model, x, mask_id, lo, hi)
        n_calls += 1
        nfe += active
        x, order, record = unmask_step(log_probs, x, is_masked, order, step, plan, seeds, offset=lo)
        if steps is not None:
            steps.append(record)
    return DecodeResult(x, order, nfe, n_calls, steps)


def free_columns(is_fixed: torch.Tensor) -> tuple[int, int]:
    """(first, last + 1) of the columns that are not fixed in every row; (0, 0) when all are fixed."""
    free = (~is_fixed).any(dim=0).nonzero().flatten()
    return (int(free[0]), int(free[-1]) + 1) if free.numel() else (0, 0)


def step_columns(free: tuple[int, int], length: int, step: int, plan) -> tuple[int, int]:
    """The window [lo, hi) of columns that may hold a candidate at ``step``: the free columns, inside the current
    semi-AR block when ``plan.block_length`` is set; the whole canvas for custom score functions (their contract
    is (B, L, V)); never empty (one column when nothing can be revealed, so every step still costs one call)."""
    if callable(plan.score):
        return 0, length
    lo, hi = free
    if plan.block_length is not None:
        per_block = plan.steps // -(-length // plan.block_length)
        block = step // per_block if per_block else 0
        lo, hi = max(lo, block * plan.block_length), min(hi, (block + 1) * plan.block_length)
    if hi <= lo:
        lo = min(max(lo, 0), length - 1)
        hi = lo + 1
    return lo, hi


def unmask_step(log_probs: torch.Tensor, x: torch.Tensor, is_masked: torch.Tensor, order: torch.Tensor,
                step: int, plan, seeds: torch.Tensor, offset: int = 0) -> tuple[torch.Tensor, torch.Tensor, TraceStep]:
    """One reveal step on log-probs (B, W, V) of columns ``offset:offset + W``, which must contain every candidate
    (W = L, offset 0: the whole canvas). Returns the new tokens, order and the step's trace record."""
    cand, local_step, local_n = candidates(is_masked, step, plan)
    u = rng.uniform(seeds, step, rng.VANILLA, x.shape[1]) if needs_reveal_uniforms(plan) else None
    scores = noisy_scores(log_probs, u, cand, step, plan, seeds, offset)
    sorted_scores, rank = rank_descending(scores)
    n_cand = cand.sum(dim=1)
    k = BUDGETS[plan.budget](n_cand, local_step, local_n, BudgetContext(plan, sorted_scores, u, cand))
    k = n_cand if local_step == local_n - 1 else torch.minimum(k.clamp(min=0), n_cand)
    sel = cand & (rank < k[:, None])
    x = write_values(x, log_probs, sel, offset, step, plan, seeds)
    order = torch.where(sel, step, order)
    return x, order, TraceStep(step, k, sel, torch.where(sel, x, -1), scores)


def write_values(x: torch.Tensor, log_probs: torch.Tensor, sel: torch.Tensor, offset: int, step: int, plan,
                 seeds: torch.Tensor, dense: bool | None = None) -> torch.Tensor:
    """x with the value rule's tokens at ``sel`` (B, L); log_probs (B, W, V) cover columns offset:offset + W.
    ``dense`` (default: argmax values of a large vocabulary on an accelerator) takes the argmax of every window
    column and keeps the selected ones, which needs no host sync; otherwise only the selected rows are gathered
    (a sync for their count, free on CPU, where the gather of the k revealed rows is far cheaper than an argmax
    over all of W)."""
    window = slice(offset, offset + log_probs.shape[1])
    if dense is None:
        dense = log_probs.shape[2] > VALUE_MAJOR_MAX_VOCAB and log_probs.device.type != "cpu"
    if dense and plan.value == "argmax":
        x = x.clone()
        x[:, window] = torch.where(sel[:, window], VALUES["argmax"](log_probs, None, plan), x[:, window])
        return x
    u_value = rng.uniform(seeds, step, rng.VALUE, x.shape[1])[sel] if plan.value != "argmax" else None
    return x.masked_scatter(sel, VALUES[plan.value](log_probs[sel[:, window]], u_value, plan))


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
                 seeds: torch.Tensor, offset: int = 0) -> torch.Tensor:
    """score + scale * noise at candidates (float32, finite), -inf elsewhere. Shapes (B, L); ``log_probs``
    (B, W, V) covers columns ``offset:offset + W`` (all candidates among them)."""
    width, length = log_probs.shape[1], cand.shape[1]
    u_w = None if u is None else u[:, offset:offset + width]
    scores = score_function(plan.score)(log_probs, u_w).to(torch.float32)
    if width != length:  # back onto the canvas (noise is keyed by column)
        scores = torch.nn.functional.pad(scores, (offset, length - offset - width))
    scale = noise_scale(plan.noise_scale, plan.noise_anneal, step, plan.steps)
    scores = add_noise(scores, plan.noise, scale, seeds, step)
    return torch.where(cand, finite_scores(scores), float("-inf"))
