"""What every decoder returns: ``DecodeResult`` (one per batch) and, on request, one ``TraceStep`` per step."""
from __future__ import annotations

from dataclasses import dataclass

import torch


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
    status: torch.Tensor | None = None  # (B,) int64 from decoders that can tell: OK, DEAD_END or BUDGET_EXHAUSTED


# DecodeResult.status codes (self-correcting / verifier-aware decoders)
OK = 0  # finished inside its budget (verified, when the decoder had a checker)
DEAD_END = 1  # stopped on a contradiction it could not back out of (no reveal left to undo)
BUDGET_EXHAUSTED = 2  # hit its NFE cap with work left (masked cells filled at once, checks or samples pending)


def reveal_scores(result: DecodeResult) -> torch.Tensor:
    """(B, L) float32: the (noised) score each position had at the step that revealed it (``result.order``;
    remask mode: the last step it became unmasked); NaN for fixed / given positions. Needs ``trace=True``."""
    if result.trace is None:
        raise ValueError("reveal_scores needs a DecodeResult decoded with trace=True")
    out = torch.full(result.order.shape, float("nan"), dtype=torch.float32, device=result.order.device)
    for t in result.trace:
        out = torch.where(result.order == t.step, t.scores.to(torch.float32), out)
    return out
