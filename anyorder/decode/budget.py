"""How many positions to reveal per step, per sample (paper Sec. 2.5-2.6, App. D.1.2).

Every budget is ``fn(n_masked, step, n_steps, ctx) -> (B,)`` int64 with ``n_masked``: (B,) int64 number of
candidate positions of each sample (masked, inside the current block), ``step`` in [0, n_steps) and
``ctx``: a ``BudgetContext``. The decoder clamps k to [0, n_masked] and reveals everything left on the last
step (of each block), so a budget may return any non-negative count; k = 0 reveals nothing that step.
Budgets are computed per sample, never averaged over or flattened across the batch (unlike Dream/SMDM).

Grid: t_j = 1 - j/T, s = t_{j+1}; a masked position is revealed at step j with probability
p_j = (alpha_s - alpha_t) / (1 - alpha_t)  (= 1/(T - j) for the linear schedule).
"""
from __future__ import annotations

from typing import NamedTuple

import torch

from anyorder.objectives.schedule import SCHEDULES


class BudgetContext(NamedTuple):
    """What adaptive budgets may look at. Shapes: (B, L)."""

    plan: object  # the Plan (k, threshold, factor, schedule)
    sorted_scores: torch.Tensor  # float32, each row sorted descending; non-candidates are -inf (at the end)
    reveal_u: torch.Tensor | None  # float32 uniforms of the VANILLA stream (None unless needed)
    is_candidate: torch.Tensor  # bool: masked and inside the current block


def reveal_prob(step: int, n_steps: int, schedule: str) -> float:
    """p_j = (alpha_s - alpha_t) / (1 - alpha_t) on the uniform T-step grid; 1 on the last step."""
    alpha = SCHEDULES[schedule].alpha
    t = torch.tensor([1.0 - step / n_steps, 1.0 - (step + 1) / n_steps], dtype=torch.float64)
    a_t, a_s = alpha(t).tolist()
    if step == n_steps - 1 or a_t >= 1.0:
        return 1.0
    return min(max((a_s - a_t) / (1.0 - a_t), 0.0), 1.0)


def schedule(n_masked: torch.Tensor, step: int, n_steps: int, ctx: BudgetContext) -> torch.Tensor:
    """K = round(n_masked * p_j) (half up): the expected count of vanilla inference, made deterministic."""
    p = reveal_prob(step, n_steps, ctx.plan.schedule)
    return torch.floor(n_masked.to(torch.float64) * p + 0.5).to(torch.int64)


def binomial(n_masked: torch.Tensor, step: int, n_steps: int, ctx: BudgetContext) -> torch.Tensor:
    """K ~ Binomial(n_masked, p_j), as the count of candidates whose VANILLA uniform is >= 1 - p_j.

    With ``score="vanilla"`` (score = the same uniform) the top-K positions are exactly those candidates,
    so each masked position is revealed independently with probability p_j: the paper's Algorithm 1.
    """
    p = reveal_prob(step, n_steps, ctx.plan.schedule)
    hit = ctx.is_candidate & (ctx.reveal_u >= 1.0 - p)
    return hit.sum(dim=1)


def even(n_masked: torch.Tensor, step: int, n_steps: int, ctx: BudgetContext) -> torch.Tensor:
    """LLaDA's split: the block's masks spread as evenly as possible over its steps, the remainder going to the
    first steps (``get_num_transfer_tokens``). Stateless form: K = ceil(n_masked / steps left), which gives
    exactly LLaDA's counts N // T + (j < N % T) when every earlier step revealed its K."""
    left = n_steps - step
    return torch.div(n_masked + left - 1, left, rounding_mode="floor")


def fixed(n_masked: torch.Tensor, step: int, n_steps: int, ctx: BudgetContext) -> torch.Tensor:
    """K = plan.k every step (PUMA-style; k = 0 allowed)."""
    return torch.full_like(n_masked, ctx.plan.k)


def threshold(n_masked: torch.Tensor, step: int, n_steps: int, ctx: BudgetContext) -> torch.Tensor:
    """Fast-dLLM parallel decoding: every candidate with score >= plan.threshold, at least one.

    The score is the plan's (noised) score; with ``score="top_prob"`` this is Fast-dLLM's confidence.
    """
    above = (ctx.sorted_scores >= ctx.plan.threshold).sum(dim=1)
    return above.clamp(min=1)


def factor(n_masked: torch.Tensor, step: int, n_steps: int, ctx: BudgetContext) -> torch.Tensor:
    """Fast-dLLM "factor" rule: accept rank r (0-based) while c_(r) >= 1 - factor / (r + 2); rank 0 always."""
    rank = torch.arange(ctx.sorted_scores.shape[1], device=n_masked.device, dtype=torch.float32)
    ok = ctx.sorted_scores >= 1.0 - ctx.plan.factor / (rank + 2.0)
    return ok.to(torch.int64).cumprod(dim=1).sum(dim=1).clamp(min=1)


BUDGETS = {
    "schedule": schedule,
    "binomial": binomial,
    "even": even,
    "fixed": fixed,
    "threshold": threshold,
    "factor": factor,
}
