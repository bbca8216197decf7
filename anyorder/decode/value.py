"""Which token to write at a revealed position (paper Sec. 2.5 step (b)).

Every value rule is ``fn(log_probs, u, plan) -> (N,)`` int64 with ``log_probs``: (N, V) log-probabilities of
the N positions being revealed (the [MASK] entry is -inf, so [MASK] is never produced), ``u``: (N,) float32
uniforms of the VALUE stream (None for ``argmax``), and ``plan`` for temperature / top_k / top_p. Rows are independent, so a
sample's values never depend on the other samples in the batch.

Note the paper's caution: the ordering oracles choose *positions*; top-k / top-p here choose *values*.
"""
from __future__ import annotations

import torch


def argmax(log_probs: torch.Tensor, u: torch.Tensor, plan) -> torch.Tensor:
    """Greedy value (the Ye et al. codebase decodes Sudoku this way); ties go to the lowest token id."""
    return log_probs.argmax(dim=-1)


def sample(log_probs: torch.Tensor, u: torch.Tensor, plan) -> torch.Tensor:
    """Sample from softmax(log_probs / temperature) restricted to the top_k / top_p set, by inverse CDF.

    Tokens are sorted by probability (descending; ties by token id), filtered, and the token whose cumulative
    mass first reaches ``u * total`` is returned. Zero-probability tokens are never drawn since u > 0.
    """
    logits = log_probs.to(torch.float64) / plan.temperature
    sorted_logits, token = logits.sort(dim=-1, descending=True, stable=True)
    probs = torch.softmax(sorted_logits, dim=-1)
    keep = torch.ones_like(probs, dtype=torch.bool)
    if plan.top_k is not None:
        keep &= torch.arange(probs.shape[-1], device=probs.device) < plan.top_k
    if plan.top_p is not None:
        keep &= (probs.cumsum(dim=-1) - probs) < plan.top_p
    cdf = torch.where(keep, probs, 0.0).cumsum(dim=-1)
    target = (u.to(torch.float64) * cdf[:, -1]).unsqueeze(-1)
    rank = torch.searchsorted(cdf, target).clamp_(max=probs.shape[-1] - 1)
    return token.gather(-1, rank).squeeze(-1)


VALUES = {
    "argmax": argmax,
    "sample": sample,
}
