"""Verifier best-of-n, ``Plan(mode="bestofn")`` (issue 17): decode, verify, decode again with noise if rejected.

Needs a checker (``checker.Checker``). Attempt 0 is the plain ``unmask`` decode of the plan (its own noise);
attempts 1 .. ``plan.samples - 1`` decode the rows still unverified again from the start with Gumbel noise of
scale ``plan.retry_noise`` on the score (the plan's own noise when it has one), each attempt with a fresh
per-row seed (``rng.keys`` of the row seed and the attempt). A row stops at its first verified answer; otherwise
the attempt with the highest mean log-probability of its revealed tokens is returned. Each attempt is a batched
``unmask`` decode of the remaining rows (one model call per step for all of them); nfe sums a row's calls over
its attempts exactly; an attempt starts only if it fits in the row's cap (``plan.max_nfe``, default
``plan.samples * plan.steps``). ``DecodeResult.status``: OK when verified,
else BUDGET_EXHAUSTED.

``Plan(mode="restart")`` (``restart_decode``): the same with every attempt constrained by the checker's
``allowed`` values (log-probs renormalised over them, so forced cells come first), and an attempt stops at its
first dead end (a masked position with no allowed value) instead of spending calls on a doomed answer: random
restarts of a rule-guided decode.
"""
from __future__ import annotations

import dataclasses

import torch

from anyorder.decode import rng
from anyorder.decode.checker import allowed_values, require_checker, restrict
from anyorder.decode.logprobs import Model, model_log_probs
from anyorder.decode.result import BUDGET_EXHAUSTED, DecodeResult
from anyorder.decode.unmask import unmask_step
from anyorder.errors import ConfigError

READS = frozenset({"steps", "budget", "score", "value", "temperature", "top_k", "top_p", "noise", "noise_scale",
                   "noise_anneal", "schedule", "k", "threshold", "factor", "samples", "retry_noise", "max_nfe"})


def restart_decode(model: Model, tokens: torch.Tensor, is_fixed: torch.Tensor, plan, mask_id: int,
                   seeds: torch.Tensor, trace: bool = False, checker=None) -> DecodeResult:
    """Best-of-n whose attempts reveal only allowed values and stop at a dead end (see the module doc)."""
    require_checker(checker, "restart")
    if not callable(getattr(checker, "allowed", None)):
        raise ConfigError("mode=restart needs a checker with an allowed(tokens) hook")
    return bestofn_decode(model, tokens, is_fixed, plan, mask_id, seeds, trace, checker, constrained=True)


def bestofn_decode(model: Model, tokens: torch.Tensor, is_fixed: torch.Tensor, plan, mask_id: int,
                   seeds: torch.Tensor, trace: bool = False, checker=None, constrained: bool = False) -> DecodeResult:
    """Best-of-n with a verifier of validated inputs (shapes as in ``decoder.decode``)."""
    require_checker(checker, "bestofn")
    b = tokens.shape[0]
    best, best_order = tokens.clone(), torch.full_like(tokens, -1)
    best_score = torch.full((b,), float("-inf"), device=tokens.device)
    nfe = torch.zeros(b, dtype=torch.int64, device=tokens.device)
    ok = torch.zeros(b, dtype=torch.bool, device=tokens.device)
    n_calls, cap = 0, plan.max_nfe or plan.samples * plan.steps
    retry = plan if plan.noise != "none" else dataclasses.replace(plan, noise="gumbel", noise_scale=plan.retry_noise)
    for attempt in range(plan.samples):
        rows = (~ok & (nfe + plan.steps <= cap)).nonzero()[:, 0]
        if len(rows) == 0:
            break
        p = plan if attempt == 0 else retry
        s = seeds[rows] if attempt == 0 else rng.keys(seeds[rows], attempt, rng.SEED)
        x, order, used, calls, score = _attempt(model, tokens[rows], is_fixed[rows], p, mask_id, s,
                                                checker if constrained else None)
        n_calls += calls
        nfe[rows] += used
        good = checker.verify(x)
        better = good | (score > best_score[rows])
        best[rows] = torch.where(better[:, None], x, best[rows])
        best_order[rows] = torch.where(better[:, None], order, best_order[rows])
        best_score[rows] = torch.where(better, score, best_score[rows])
        ok[rows] = good
    status = torch.where(ok, 0, BUDGET_EXHAUSTED).to(torch.int64)
    return DecodeResult(best, best_order, nfe, n_calls, None, status)


def _attempt(model, tokens, is_fixed, plan, mask_id, seeds, checker=None):
    """One ``unmask`` decode that also sums the log-probability of each revealed token; with a ``checker``, values
    restricted to the allowed ones and a row stops at its first dead end.
    Returns (tokens, order, nfe (R,), model calls, mean log-prob of the reveals (R,))."""
    x, order = tokens.clone(), torch.full_like(tokens, -1)
    nfe = torch.zeros(tokens.shape[0], dtype=torch.int64, device=tokens.device)
    total = torch.zeros(tokens.shape[0], device=tokens.device)
    alive = torch.ones(tokens.shape[0], dtype=torch.bool, device=tokens.device)
    calls = 0
    for step in range(plan.steps):
        is_masked = (x == mask_id) & ~is_fixed
        if checker is not None:
            allowed = allowed_values(checker, x, ~is_fixed, mask_id, 0)
            alive &= ~(is_masked & ~allowed.any(dim=2)).any(dim=1)
        rows = (is_masked.any(dim=1) & alive).nonzero()[:, 0]  # only rows with work are evaluated (and counted)
        if len(rows) == 0:
            break
        log_probs = model_log_probs(model, x[rows], mask_id)
        calls += 1
        nfe[rows] += 1
        if checker is not None:
            log_probs = restrict(log_probs, allowed[rows])
        xr, orr, record = unmask_step(log_probs, x[rows], is_masked[rows], order[rows], step, plan, seeds[rows])
        lp = log_probs.gather(2, xr[..., None]).squeeze(2)
        total[rows] += torch.where(record.revealed, lp, 0.0).sum(dim=1)
        x[rows], order[rows] = xr, orr
    n = (order >= 0).sum(dim=1).clamp(min=1)
    return x, order, nfe, calls, total / n
