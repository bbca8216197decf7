"""Held-out likelihoods that put MDMs, ARMs and pi-learners on one axis (paper Sec. 2.4, 3.2, 3.3; Fig. 2).

All results are in nats, summed per sequence (``LikelihoodResult.nll``, shape (B,)) with the number of scored
tokens beside them, so ``per_token`` is the paper's per-token validation loss.

- ``chain_rule_nll``: the NLL an MDM assigns along one order pi (eq. 3 applied to an MDM; Fig. 2 table):
      NLL_pi(x0) = sum_i -log p_theta(x0^{pi(i)} | x0[pi{i..L-1}])
  where x0[pi{i..L-1}] is x0 with positions pi(i), ..., pi(L-1) replaced by [MASK] (fixed positions are always
  visible and are not scored). Each (sequence, step) pair is one masked copy of the sequence; all copies are
  evaluated in chunks of ``batch_size``, so ``n_model_calls = ceil(n_scored_tokens / batch_size)`` where
  n_scored_tokens = sum over rows of the non-fixed positions (B * L without ``is_fixed``); with
  ``positions_per_call = k`` (an approximation, see the function) ``ceil(sum_b ceil(n_b / k) / batch_size)``.
- ``mdm_elbo``: unbiased Monte-Carlo estimate of the MDM's negative ELBO (Prop. 2.1, eq. 1):
      L(x0) = E_{n ~ U{1..L'}} E_{M subset, |M| = n} (L'/n) sum_{i in M} -log p_theta(x0^i | x0[M])
  with L' the number of non-fixed positions. Equals E_{pi ~ Unif(S_L)} NLL_pi(x0) >= -log p_theta(x0).
  One masked copy per (sequence, sample): ``n_model_calls = ceil(B * n_samples / batch_size)``.
- ``ar_nll``: the NLL of a causal model (ARM or pi-learner) on an ARM batch (tokens, loss_mask), one call per
  ``batch_size`` rows. For a pi-learner trained on ``permute_batch`` data this is -log q(x0) of the same x0.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from tqdm.auto import tqdm

from anyorder.errors import InputError
from anyorder.objectives.permutations import inverse_permutation


@dataclass(frozen=True)
class LikelihoodResult:
    """nll: (B,) float64 nats per sequence; n_tokens: (B,) int64 scored tokens; n_model_calls: int."""

    nll: torch.Tensor
    n_tokens: torch.Tensor
    n_model_calls: int

    @property
    def per_token(self) -> float:
        """Total NLL divided by the total number of scored tokens (nats / token)."""
        return float(self.nll.sum() / self.n_tokens.sum().clamp(min=1))


def _prepare(x0: torch.Tensor, is_fixed: torch.Tensor | None) -> torch.Tensor:
    if x0.ndim != 2 or x0.dtype != torch.long:
        raise InputError(f"x0 must be a (B, L) int64 tensor, got {x0.dtype} {tuple(x0.shape)}")
    if is_fixed is None:
        return torch.zeros_like(x0, dtype=torch.bool)
    if is_fixed.shape != x0.shape:
        raise InputError(f"is_fixed shape {tuple(is_fixed.shape)} != x0 shape {tuple(x0.shape)}")
    return is_fixed.bool()


def _check_order(order: torch.Tensor, x0: torch.Tensor) -> torch.Tensor:
    order = torch.as_tensor(order, dtype=torch.long, device=x0.device).expand_as(x0)
    if not torch.equal(order.sort(dim=1).values, torch.arange(x0.shape[1], device=x0.device).expand_as(x0)):
        raise InputError("order must be a permutation of range(L) (shape (L,) or (B, L))")
    return order


@torch.no_grad()
def chain_rule_nll(model, x0: torch.Tensor, order: torch.Tensor, mask_id: int,
                   is_fixed: torch.Tensor | None = None, batch_size: int = 256, positions_per_call: int = 1,
                   progress: bool = False) -> LikelihoodResult:
    """NLL of ``x0`` (B, L) under an MDM decoded along ``order`` ((L,) or (B, L); order[b, i] = position
    revealed at step i). See the module docstring for the formula and the number of model calls.

    For an MDM each step conditions on a different visible set, so the exact chain rule needs one masked copy
    per scored (row, step); these copies are batched ``batch_size`` per model call (``progress`` shows a tqdm
    bar over calls). ``positions_per_call = k > 1`` reads k consecutive steps of a row from one copy (the state
    before the first of them): the NLL of revealing k tokens at once from their marginals (a k-token-per-step
    decoder), k times fewer copies; an approximation of the chain rule (exact for k = 1 or a model whose
    predictions do not depend on the other masked tokens' values, since masked tokens are never visible).
    """
    if positions_per_call < 1:
        raise InputError(f"positions_per_call must be >= 1, got {positions_per_call}")
    fixed = _prepare(x0, is_fixed)
    order = _check_order(order, x0)
    step_of = inverse_permutation(order)  # (B, L): step at which each position is revealed
    rows, steps = (~fixed.gather(1, order)).nonzero(as_tuple=True)  # scored (row, step) pairs, row-major
    n_scored = (~fixed).sum(1)
    first = torch.cumsum(n_scored, 0) - n_scored  # index of each row's first scored pair
    rank = torch.arange(rows.numel(), device=x0.device) - first[rows]  # k-th scored step of its row
    leader = rank % positions_per_call == 0  # the first pair of each group gives the group's state
    group = torch.cumsum(leader.long(), 0) - 1  # group id of every pair
    g_rows, g_steps = rows[leader], steps[leader]
    nll = torch.zeros(x0.shape[0], dtype=torch.float64, device=x0.device)
    n_calls = math.ceil(g_rows.numel() / batch_size)
    for lo in tqdm(range(0, g_rows.numel(), batch_size), total=n_calls, desc="chain-rule NLL", unit="call",
                   disable=not progress):
        b, i = g_rows[lo:lo + batch_size], g_steps[lo:lo + batch_size]
        revealed = (step_of[b] < i[:, None]) | fixed[b]
        logits = model(torch.where(revealed, x0[b], mask_id))  # (n, L, V)
        members = ((group >= lo) & (group < lo + b.numel())).nonzero(as_tuple=True)[0]
        local, pos = group[members] - lo, order[rows[members], steps[members]]
        picked = logits[local, pos].double()
        picked[:, mask_id] = float("-inf")
        logp = torch.log_softmax(picked, dim=-1).gather(1, x0[rows[members], pos][:, None]).squeeze(1)
        nll.index_add_(0, rows[members], -logp)
    return LikelihoodResult(nll, n_scored, n_calls)


@torch.no_grad()
def mdm_elbo(model, x0: torch.Tensor, mask_id: int, generator: torch.Generator,
             is_fixed: torch.Tensor | None = None, n_samples: int = 16, batch_size: int = 256) -> LikelihoodResult:
    """Monte-Carlo negative ELBO (Prop. 2.1) per sequence, averaged over ``n_samples`` masks per sequence.

    For each sample: n ~ U{1..L'}, M = a uniform n-subset of the non-fixed positions, estimate
    (L'/n) * sum_{i in M} -log p(x0^i | x0[M]). Randomness comes only from ``generator`` (CPU).
    """
    fixed = _prepare(x0, is_fixed)
    batch, length = x0.shape
    n_free = (~fixed).sum(1)
    rows = torch.arange(batch, device=x0.device).repeat_interleave(n_samples)
    u = torch.rand(rows.numel(), generator=generator).to(x0.device)
    n_mask = (u * n_free[rows]).floor().long().clamp(max=(n_free[rows] - 1).clamp(min=0)) + 1
    keys = torch.rand(rows.numel(), length, generator=generator).to(x0.device).masked_fill(fixed[rows], 2.0)
    masked = inverse_permutation(keys.argsort(dim=1)) < n_mask[:, None]  # rank among keys < n
    masked &= ~fixed[rows]
    total = torch.zeros(batch, dtype=torch.float64, device=x0.device)
    for lo in range(0, rows.numel(), batch_size):
        b, m = rows[lo:lo + batch_size], masked[lo:lo + batch_size]
        states = torch.where(m, mask_id, x0[b])
        logits = model(states).double()
        logits[..., mask_id] = float("-inf")
        nll = -torch.log_softmax(logits, dim=-1).gather(2, x0[b][..., None]).squeeze(2)
        weight = n_free[b].double() / n_mask[lo:lo + batch_size].double()
        total.index_add_(0, b, weight * torch.where(m, nll, 0.0).sum(1))
    return LikelihoodResult(total / n_samples, n_free, math.ceil(rows.numel() / batch_size))


@torch.no_grad()
def ar_nll(model, tokens: torch.Tensor, loss_mask: torch.Tensor, batch_size: int = 256) -> LikelihoodResult:
    """NLL of a causal model on an ARM batch: sum over loss_mask[:, t] of -log p(tokens[:, t] | tokens[:, :t]).

    tokens, loss_mask: (B, L) (docs/DESIGN.md ARM contract). ``n_model_calls = ceil(B / batch_size)``.
    """
    if tokens.shape != loss_mask.shape or tokens.ndim != 2:
        raise InputError(f"tokens {tuple(tokens.shape)} and loss_mask {tuple(loss_mask.shape)} must be equal (B, L)")
    nll = torch.zeros(tokens.shape[0], dtype=torch.float64, device=tokens.device)
    for lo in range(0, tokens.shape[0], batch_size):
        tok, lm = tokens[lo:lo + batch_size], loss_mask[lo:lo + batch_size, 1:]
        logp = torch.log_softmax(model(tok[:, :-1]).double(), dim=-1)
        token_nll = -logp.gather(2, tok[:, 1:, None]).squeeze(2)
        nll[lo:lo + batch_size] = torch.where(lm, token_nll, 0.0).sum(1)
    return LikelihoodResult(nll, loss_mask[:, 1:].sum(1), math.ceil(tokens.shape[0] / batch_size))
