"""What verifier-aware decoders may ask a task: the ``Checker`` protocol, and shared pieces of the correcting
decoders (``selfcorrect``, ``bestofn``, ``backtrack``, ``orderbeam``; issue 17).

A checker is any object with ``consistent(tokens (B, L)) -> (B,) bool`` (no rule broken among revealed tokens;
[MASK] positions ignored) and ``verify(tokens) -> (B,) bool`` (a complete, correct answer), and optionally
``allowed(tokens) -> (B, L, V) bool`` (values each position may take given the revealed ones) and
``implied(tokens) -> (B, L, V) bool`` (``allowed`` narrowed by the task's sound deductions; used by decoders
with ``Plan.propagate``). Tasks provide it
(``tasks.base.checker_of``: Sudoku's ``MDMEvaluation``); the decode layer never imports a task. Without
``allowed``, ``allowed_values`` derives it from ``consistent`` by trying every value at every masked position
(correct for any task, B * L * V checks per call).
"""
from __future__ import annotations

from typing import Protocol

import torch

from anyorder.decode import rng
from anyorder.decode.budget import BUDGETS, BudgetContext
from anyorder.decode.rank import rank_descending
from anyorder.decode.unmask import needs_reveal_uniforms, noisy_scores
from anyorder.decode.value import VALUES
from anyorder.errors import ConfigError


class Checker(Protocol):
    def consistent(self, tokens: torch.Tensor) -> torch.Tensor: ...

    def verify(self, tokens: torch.Tensor) -> torch.Tensor: ...


def require_checker(checker, mode: str) -> None:
    if checker is None or not callable(getattr(checker, "verify", None)) \
            or not callable(getattr(checker, "consistent", None)):
        raise ConfigError(f"mode={mode} needs a checker (the task's consistent/verify hooks); this caller gave none")


def allowed_values(checker, tokens: torch.Tensor, maskable: torch.Tensor, mask_id: int,
                   vocab_size: int, implied: bool = False) -> torch.Tensor:
    """(B, L, V) bool: values allowed at each position given the revealed tokens; [MASK] is never allowed.
    With ``implied``, ``checker.implied`` when it has one (the rules' further deductions, a sound subset);
    else ``checker.allowed`` when it has one; else trial: value v is allowed at masked position i iff writing it
    keeps ``consistent`` true."""
    hook = getattr(checker, "implied", None) if implied else None
    if not callable(hook):
        hook = getattr(checker, "allowed", None)
    if callable(hook):
        out = hook(tokens).to(torch.bool)
    else:
        b, length = tokens.shape
        out = torch.ones(b, length, vocab_size, dtype=torch.bool, device=tokens.device)
        where = ((tokens == mask_id) & maskable).nonzero()  # (N, 2)
        if len(where):
            trial = tokens[where[:, 0]].repeat_interleave(vocab_size, dim=0)  # (N * V, L)
            values = torch.arange(vocab_size, device=tokens.device).repeat(len(where))
            trial[torch.arange(len(trial), device=tokens.device), where[:, 1].repeat_interleave(vocab_size)] = values
            ok = checker.consistent(trial).view(len(where), vocab_size)
            out[where[:, 0], where[:, 1]] = ok
    out = out.clone()
    out[..., mask_id] = False
    return out


def restrict(log_probs: torch.Tensor, allowed: torch.Tensor) -> torch.Tensor:
    """log-probs renormalised over the allowed values (B, L, V); positions with none allowed stay unrestricted.
    An ``allowed`` with fewer values than the model's vocabulary is padded with False (extra ids not allowed)."""
    v = log_probs.shape[-1]
    if allowed.shape[-1] != v:
        pad = torch.zeros(*allowed.shape[:-1], max(v - allowed.shape[-1], 0), dtype=torch.bool,
                          device=allowed.device)
        allowed = torch.cat([allowed, pad], dim=-1)[..., :v]
    none = ~allowed.any(dim=-1, keepdim=True)
    lp = log_probs.masked_fill(~(allowed | none), float("-inf"))
    return lp - torch.logsumexp(lp, dim=-1, keepdim=True)


def reveal(log_probs: torch.Tensor, x: torch.Tensor, cand: torch.Tensor, step: int, plan, seeds: torch.Tensor,
           calls_left: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """One reveal of the correcting decoders on the rows given (shapes (R, L), calls_left (R,) including this
    call). How many: ``plan.budget`` while ``step < plan.steps``, then ceil(#candidates / calls left); at least
    one per row with candidates, all of them on the row's last allowed call. Which / what: ``plan.score`` +
    noise, ``plan.value``. Returns (tokens, revealed (R, L) bool, rank (R, L), forced (R,) bool: the last call
    revealed more than the budget asked)."""
    u = rng.uniform(seeds, step, rng.VANILLA, x.shape[1]) if needs_reveal_uniforms(plan) else None
    scores = noisy_scores(log_probs, u, cand, step, plan, seeds)
    sorted_scores, rank = rank_descending(scores)
    n_cand = cand.sum(dim=1)
    if step < plan.steps:
        k = BUDGETS[plan.budget](n_cand, step, plan.steps, BudgetContext(plan, sorted_scores, u, cand))
    else:
        k = -torch.div(-n_cand, calls_left.clamp(min=1), rounding_mode="floor")
    k = torch.minimum(k.clamp(min=1), n_cand)
    last = calls_left <= 1
    forced = last & (n_cand > k)
    k = torch.where(last, n_cand, k)
    sel = cand & (rank < k[:, None])
    u_value = rng.uniform(seeds, step, rng.VALUE, x.shape[1])[sel] if plan.value != "argmax" else None
    x = x.masked_scatter(sel, VALUES[plan.value](log_probs[sel], u_value, plan))
    return x, sel, rank, forced


def scatter_rows(full: torch.Tensor, rows: torch.Tensor, part: torch.Tensor) -> torch.Tensor:
    """``full`` with ``full[rows] = part`` (out of place)."""
    out = full.clone()
    out[rows] = part
    return out
