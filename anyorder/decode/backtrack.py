"""Constraint-masked unmask decoding with back-tracking, ``Plan(mode="backtrack")`` (issue 17).

Needs a checker (``checker.Checker``: the task's consistent / verify / allowed hooks). Each step, per row:

1. allowed values = the checker's ``allowed`` minus this row's banned (position, value) pairs. A *dead end* is a
   masked position with no allowed value, or a full answer that ``verify`` rejects. On a dead end the row backs
   up without a model call: the latest *guess* (a reveal with a choice of values whose allowed-value probability
   was below ``plan.guess_below``; if none, the latest reveal with a choice) and every later reveal are masked, and the
   again; the guessed value is banned at that position for as long as the reveals before it stand (bans made deeper are
   lifted). Repeated until no dead end is left (a depth-first search over the model's order); a row with nothing
   left to undo stops (status DEAD_END). Back-ups per row are capped by ``plan.max_revisions``.
2. one model call for the rows with masks; log-probs restricted to the allowed values and renormalised, so a
   forced value (one allowed) has probability 1 and is revealed first by any certainty score; then reveal as
   ``unmask`` does (``checker.reveal``: ``plan.budget`` on the grid of ``plan.steps``, then ceil(#masked / calls
   left); everything on the row's last allowed call, ``plan.nfe_cap``). If values revealed together break a rule
   between them (``consistent``), only the best-ranked one is kept.
3. a row stops when it is full and verified.

nfe counts each row's model calls exactly (back-ups are free). ``DecodeResult.status``: OK, DEAD_END, or
BUDGET_EXHAUSTED (cap reached with masks left, or back-ups used up while the answer still fails ``verify``).
"""
from __future__ import annotations

import torch

from anyorder.decode.checker import allowed_values, require_checker, restrict, reveal
from anyorder.decode.logprobs import Model, model_log_probs
from anyorder.decode.result import BUDGET_EXHAUSTED, DEAD_END, DecodeResult
from anyorder.decode.selfcorrect import _trace

READS = frozenset({"steps", "budget", "score", "value", "temperature", "top_k", "top_p", "noise", "noise_scale",
                   "noise_anneal", "schedule", "k", "threshold", "factor", "max_nfe", "max_revisions",
                   "guess_below"})
MAX_BACKUPS_PER_STEP = 64  # back-ups tried between two model calls (each undoes at least one reveal)


def backtrack_decode(model: Model, tokens: torch.Tensor, is_fixed: torch.Tensor, plan, mask_id: int,
                     seeds: torch.Tensor, trace: bool = False, checker=None) -> DecodeResult:
    """Constraint-masked decoding with back-tracking of validated inputs (shapes as in ``decoder.decode``)."""
    require_checker(checker, "backtrack")
    b, length = tokens.shape
    dev = tokens.device
    maskable = (tokens == mask_id) & ~is_fixed
    x, order = tokens.clone(), torch.full_like(tokens, -1)
    conf = torch.ones(b, length, device=dev)  # allowed-value probability of each reveal
    choice = torch.zeros_like(maskable)  # the reveal had more than one allowed value (not forced by the rules)
    ban_level: torch.Tensor | None = None  # (B, L, V) int64: step of the guess a ban belongs to, -1 = no ban
    nfe = torch.zeros(b, dtype=torch.int64, device=dev)
    backups = torch.zeros_like(nfe)
    live = torch.ones(b, dtype=torch.bool, device=dev)
    status = torch.zeros_like(nfe)
    vocab = None
    cap, n_calls, steps = plan.nfe_cap, 0, ([] if trace else None)
    for step in range(cap + 1):
        allowed = None
        if vocab is not None or callable(getattr(checker, "allowed", None)):
            for _ in range(MAX_BACKUPS_PER_STEP):
                masked = (x == mask_id) & maskable
                allowed = allowed_values(checker, x, maskable, mask_id, vocab or 0)
                vocab = allowed.shape[2]
                if ban_level is None:
                    ban_level = torch.full((b, length, vocab), -1, dtype=torch.int64, device=dev)
                n_rules = allowed.sum(dim=2)  # allowed by the rules alone (bans are heuristics)
                allowed &= ban_level < 0
                full = ~masked.any(dim=1)
                dead = live & ((masked & ~allowed.any(dim=2)).any(dim=1) | (full & ~checker.verify(x)))
                dead &= backups < plan.max_revisions
                if not bool(dead.any()):
                    break
                x, order, conf, choice, ban_level, stuck = _back_up(x, order, conf, choice, ban_level, dead, plan,
                                                                    mask_id)
                backups += dead & ~stuck
                live &= ~stuck
                status = torch.where(stuck, DEAD_END, status)
        masked = (x == mask_id) & maskable
        full = ~masked.any(dim=1)
        if step == cap:
            break
        active = live & ~full & (nfe < cap)
        if not bool(active.any()):
            break
        rows = active.nonzero()[:, 0]
        log_probs = model_log_probs(model, x[rows], mask_id)
        n_calls += 1
        nfe[rows] += 1
        if allowed is None:  # first call of a checker without ``allowed``: the vocabulary is known now
            vocab = log_probs.shape[2]
            allowed = allowed_values(checker, x, maskable, mask_id, vocab)
            ban_level = torch.full((b, length, vocab), -1, dtype=torch.int64, device=dev)
            n_rules = allowed.sum(dim=2)
        al = allowed[rows]
        lp = restrict(log_probs, al)
        xr = x[rows]
        cand = masked[rows]
        calls_left = cap - nfe[rows] + 1
        xr2, sel, rank, forced = reveal(lp, xr, cand, step, plan, seeds[rows], calls_left)
        clash = (sel.sum(dim=1) > 1) & ~checker.consistent(xr2)
        if bool(clash.any()):  # simultaneous reveals that break a rule together: keep the best-ranked one
            top = cand & (rank == 0)
            keep = torch.where(clash[:, None], sel & top, sel)
            xr2 = torch.where(sel & ~keep, mask_id, xr2)
            sel = keep
        conf_r = torch.where(sel, lp.gather(2, xr2[..., None]).squeeze(2).exp(), conf[rows])
        x[rows], conf[rows] = xr2, conf_r
        choice[rows] = torch.where(sel, n_rules[rows] > 1, choice[rows])
        order[rows] = torch.where(sel, step, order[rows])
        status[rows] = torch.where(forced, BUDGET_EXHAUSTED, status[rows])
        if steps is not None:
            steps.append(_trace(step, rows, sel, xr2, b, length, dev))
    masked = (x == mask_id) & maskable
    unverified = live & (masked.any(dim=1) | ~checker.verify(x))
    status = torch.where((status == 0) & unverified, BUDGET_EXHAUSTED, status)
    return DecodeResult(x, order, nfe, n_calls, steps, status)


def _back_up(x, order, conf, choice, ban_level, dead, plan, mask_id):
    """One back-up on the ``dead`` rows (vectorised): to the latest guess, else to the latest reveal that had a
    choice (chronological back-tracking; complete given budget). Returns (x, order, conf, choice, ban_level,
    stuck (B,) bool: nothing left to undo)."""
    revealed = (order >= 0) & choice
    stuck = dead & ~revealed.any(dim=1)
    go = dead & ~stuck
    guess = revealed & (conf < plan.guess_below)
    last_guess = torch.where(guess, order, -1).amax(dim=1)
    point = torch.where(last_guess >= 0, last_guess, torch.where(revealed, order, -1).amax(dim=1))  # (B,)
    at_point = revealed & (order == point[:, None])
    cell = torch.where(at_point, conf, float("inf")).argmin(dim=1)  # the guess itself
    value = x.gather(1, cell[:, None]).squeeze(1)
    undo = go[:, None] & (order >= 0) & (order >= point[:, None])
    x = torch.where(undo, mask_id, x)
    order = torch.where(undo, -1, order)
    conf = torch.where(undo, 1.0, conf)
    choice = choice & ~undo
    ban_level = torch.where(go[:, None, None] & (ban_level > point[:, None, None]), -1, ban_level)
    rows = go.nonzero()[:, 0]
    ban_level[rows, cell[rows], value[rows]] = point[rows]
    return x, order, conf, choice, ban_level, stuck
