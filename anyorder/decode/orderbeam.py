"""Beam search over decoding *orders*, ``Plan(mode="orderbeam")`` (issue 17).

Keeps up to ``plan.beam_width`` partial decodes per row, ranked by the accumulated log-probability of their
reveals. Each step, one model call on every live partial decode of every unfinished row (a (R, L) batch);
each partial decode has up to ``plan.expand`` children: one per position among its ``expand`` best by
``plan.score``, revealing that position's argmax value, plus every other masked position whose score is
>= ``plan.threshold`` (free reveals: near-certain cells do not branch). Children, and the finished decodes
of the row, compete for the ``beam_width`` slots; identical partial decodes reached in different orders are
merged (the higher log-probability one is kept).

With a checker (optional; ``checker.Checker``) values are restricted to the allowed ones (renormalised), a
decode with a masked position that allows nothing, or a child whose reveals break a rule, is dropped, and a row
stops at its first full decode that ``verify`` accepts. Without one a row stops when its best decode is full.

nfe counts sequence evaluations: a call on k partial decodes of a row adds k to that row (so beam_width W
costs about W times the NFE of one decode). When the next expansion would leave no room under ``plan.nfe_cap``
for one more call, the row's best partial decode is completed in one last call (status BUDGET_EXHAUSTED), so a
row never uses more than the cap; a row whose decodes all die is
DEAD_END (its output is the last surviving partial decode, masks left in).
"""
from __future__ import annotations

import torch

from anyorder.decode import rng
from anyorder.decode.checker import allowed_values, restrict
from anyorder.decode.logprobs import Model, model_log_probs
from anyorder.decode.rank import rank_descending
from anyorder.decode.result import BUDGET_EXHAUSTED, DEAD_END, DecodeResult
from anyorder.decode.unmask import noisy_scores
from anyorder.errors import ConfigError

READS = frozenset({"steps", "score", "threshold", "beam_width", "expand", "max_nfe"})
NEG = float("-inf")


def orderbeam_decode(model: Model, tokens: torch.Tensor, is_fixed: torch.Tensor, plan, mask_id: int,
                     seeds: torch.Tensor, trace: bool = False, checker=None) -> DecodeResult:
    """Beam search over orders of validated inputs (shapes as in ``decoder.decode``); ``checker`` optional."""
    if trace:
        raise ConfigError("mode=orderbeam has no step trace")
    b, length = tokens.shape
    dev, w = tokens.device, plan.beam_width
    maskable = (tokens == mask_id) & ~is_fixed
    row_of = torch.arange(b, device=dev).repeat_interleave(w)  # beam slot -> row
    xb = tokens.repeat_interleave(w, dim=0)
    acc = torch.full((b * w,), NEG, device=dev)
    acc[::w] = 0.0
    orderb = torch.full_like(xb, -1)
    mb = maskable.repeat_interleave(w, dim=0)
    nfe = torch.zeros(b, dtype=torch.int64, device=dev)
    done = torch.zeros(b, dtype=torch.bool, device=dev)
    status = torch.zeros_like(nfe)
    out, out_order = tokens.clone(), torch.full_like(tokens, -1)
    weights = rng.mix(torch.arange(1, length + 1, dtype=torch.int64, device=dev))  # state hash weights
    cap, n_calls = plan.nfe_cap, 0
    for step in range(cap + 1):
        alive = acc > NEG
        masked = (xb == mask_id) & mb
        full = alive & ~masked.any(dim=1)
        allowed = None
        if checker is not None and callable(getattr(checker, "allowed", None)):
            allowed = allowed_values(checker, xb, mb, mask_id, 0)
            dead = alive & (masked & ~allowed.any(dim=2)).any(dim=1)
            acc = torch.where(dead, NEG, acc)
        if checker is not None:
            bad = full & ~checker.verify(xb)
            acc = torch.where(bad, NEG, acc)
            win = full & ~bad
        else:
            best = _best_slot(acc, b, w)
            win = torch.zeros_like(full)
            win[best] = full[best] & (acc[best] > NEG)
        alive = acc > NEG
        # rows finishing now: a winning full decode (best accumulated log-prob among winners)
        win_acc = torch.where(win & ~done[row_of], acc, NEG)
        slot = _best_slot(win_acc, b, w)
        fin = (win_acc[slot] > NEG)
        out[fin], out_order[fin] = xb[slot[fin]], orderb[slot[fin]]
        done |= fin
        # rows with no live decode left: dead end (keep the best partial decode seen last step)
        stuck = ~done & ~alive.view(b, w).any(dim=1)
        status = torch.where(stuck, DEAD_END, status)
        done |= stuck
        n_live = (alive & ~full).view(b, w).sum(dim=1)
        # expanding costs n_live calls and may leave the row unfinished, needing one completing call: keep room
        last = ~done & ((nfe + n_live + 1 > cap) | (step == cap))
        if bool(last.any()):  # complete the best partial decode of each such row in one call
            slot = _best_slot(torch.where(alive & ~full, acc, NEG), b, w)
            rows = last.nonzero()[:, 0]
            xs = xb[slot[rows]]
            lp = model_log_probs(model, xs, mask_id)
            n_calls += 1
            nfe[rows] += 1
            if allowed is not None:
                lp = restrict(lp, allowed[slot[rows]])
            m = (xs == mask_id) & maskable[rows]
            out[rows] = torch.where(m, lp.argmax(dim=2), xs)
            out_order[rows] = torch.where(m, step, orderb[slot[rows]])
            status[rows] = BUDGET_EXHAUSTED
            done |= last
        if bool(done.all()):
            break
        out = torch.where((~done)[:, None], xb[_best_slot(acc, b, w)], out)  # progress for rows still going
        # expand the live, unfinished partial decodes of unfinished rows
        exp = alive & ~full & ~done[row_of]
        idx = exp.nonzero()[:, 0]
        lp = model_log_probs(model, xb[idx], mask_id)
        n_calls += 1
        nfe += torch.bincount(row_of[idx], minlength=b)
        if allowed is not None:
            lp = restrict(lp, allowed[idx])
        cand = masked[idx]
        scores = noisy_scores(lp, None, cand, step, plan, seeds[row_of[idx]])
        top_lp, top_v = lp.max(dim=2)
        _, rank = rank_descending(scores)
        e = min(plan.expand, length)
        branch_pos = torch.argsort(rank, dim=1)[:, :e]  # (R, e) positions ranked 0..e-1
        n_cand = cand.sum(dim=1)
        valid = torch.arange(e, device=dev)[None, :] < n_cand[:, None]  # (R, e)
        free = cand & (scores >= plan.threshold)
        child_x = xb[idx].repeat_interleave(e, dim=0)  # (R * e, L)
        child_sel = free.repeat_interleave(e, dim=0)
        child_sel[torch.arange(len(child_x), device=dev), branch_pos.reshape(-1)] = True
        child_sel &= cand.repeat_interleave(e, dim=0)
        tv = top_v.repeat_interleave(e, dim=0)
        child_x = torch.where(child_sel, tv, child_x)
        child_acc = acc[idx].repeat_interleave(e) + torch.where(child_sel, top_lp.repeat_interleave(e, dim=0),
                                                                0.0).sum(dim=1)
        child_acc = torch.where(valid.reshape(-1), child_acc, NEG)
        if checker is not None:
            child_acc = torch.where(checker.consistent(child_x), child_acc, NEG)
        child_order = torch.where(child_sel, step, orderb[idx].repeat_interleave(e, dim=0))
        # pool: children + the rows' other live decodes (finished ones compete too), then top-w per row
        keep = alive & ~exp & ~done[row_of]
        pool_row = torch.cat([row_of[idx].repeat_interleave(e), row_of[keep]])
        pool_x = torch.cat([child_x, xb[keep]])
        pool_acc = torch.cat([child_acc, acc[keep]])
        pool_order = torch.cat([child_order, orderb[keep]])
        sel, slots = _select(pool_row, pool_x, pool_acc, weights, b, w)
        refill = ~done[row_of]
        new_acc = torch.full_like(acc, NEG)
        new_acc[slots] = pool_acc[sel]
        acc = torch.where(refill, new_acc, acc)
        xb[slots], orderb[slots] = pool_x[sel], pool_order[sel]
    return DecodeResult(out, out_order, nfe, n_calls, None, status)


def _best_slot(acc: torch.Tensor, b: int, w: int) -> torch.Tensor:
    """(B,) flat slot index of each row's highest ``acc`` (first on ties)."""
    return acc.view(b, w).argmax(dim=1) + torch.arange(b, device=acc.device) * w


def _select(row, x, acc, weights, b, w):
    """Top-``w`` distinct decodes per row of a pool (N entries). Returns (pool indices, their beam slots)."""
    h = (x * weights).sum(dim=1)  # state hash (wrapping int64)
    order = torch.argsort(-acc, stable=True)
    order = order[torch.argsort(row[order], stable=True)]  # by row, then acc descending
    r, hh, a = row[order], h[order], acc[order]
    key = torch.stack([r, hh], dim=1)
    _, inverse = torch.unique(key, dim=0, return_inverse=True)
    first = torch.full((int(inverse.max()) + 1 if len(inverse) else 0,), len(order), device=x.device)
    first = first.scatter_reduce(0, inverse, torch.arange(len(order), device=x.device), reduce="amin")
    distinct = (first[inverse] == torch.arange(len(order), device=x.device)) & (a > NEG)
    start = torch.zeros(b + 1, dtype=torch.int64, device=x.device)
    cum = torch.cumsum(distinct.to(torch.int64), dim=0)
    rank_in_row = cum - 1 - _row_offsets(r, cum, distinct, b)
    take = distinct & (rank_in_row < w)
    del start
    return order[take], r[take] * w + rank_in_row[take]


def _row_offsets(r, cum, distinct, b):
    """For each sorted entry, the number of distinct entries in rows before its row."""
    per_row = torch.zeros(b, dtype=torch.int64, device=r.device).scatter_add(0, r, distinct.to(torch.int64))
    before = torch.cumsum(per_row, dim=0) - per_row
    return before[r]
