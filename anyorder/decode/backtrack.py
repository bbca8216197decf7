"""Constraint-masked unmask decoding with back-tracking, ``Plan(mode="backtrack")`` (issue 17).

Needs a checker (``checker.Checker``: the task's consistent / verify / allowed hooks). Each reveal gets a place
in one sequence per row, ``seq``, increasing with time and, among one call's reveals, with ``rank`` (its place by
score, so the least certain reveal of a step counts as the latest). A reveal is a *decision* when the rules alone left
its position more than one value. Each step, per row:

1. allowed values = the checker's ``allowed`` minus this row's banned (position, value) pairs. A *dead end* is a
   masked position with no allowed value, or a full answer that ``verify`` rejects. On a dead end the row backs
   up without a model call to a decision ``d``: the latest *guess* (a decision whose allowed-value probability
   was below ``plan.guess_below``), else the latest decision. ``d``'s whole step (reveals made together with
   it) and every later reveal are masked again and ``d``'s value is banned at its position for as long as the
   reveals before ``d`` stand (bans made later are lifted). The ban is *proven* when ``d`` was the latest
   decision and the only one of its step (that is depth-first search); otherwise (a jump over later decisions, or
   decisions made together with ``d`` that may be the wrong ones) it is *tentative*, as is any ban made while a
   tentative one stands. A row with no decision left to undo drops its tentative bans and goes on
   chronologically (back-ups one decision at a time in ``seq`` order, no jumps: complete); with no tentative ban left it
   stops (status DEAD_END: no answer satisfies the rules, the givens and the proven bans). Before this, a ban
   could land on a correct digit made together with the wrong one, for good: spurious dead ends.
   Back-ups per row are capped by ``plan.max_revisions``.
2. one model call for the rows with masks; log-probs restricted to the allowed values and renormalised, so a
   forced value (one allowed) has probability 1 and is revealed first by any certainty score; then reveal as
   ``unmask`` does (``checker.reveal``: ``plan.budget`` on the grid of ``plan.steps``, then ceil(#masked / calls
   left); everything on the row's last allowed call, ``plan.nfe_cap``). If values revealed together break a rule
   between them (``consistent``), only the best-ranked one is kept.
3. a row stops when it is full and verified.

With ``plan.propagate`` "forced" or "implied" the rules do their own deductions before each model call, without
one: every masked position left exactly one allowed value (with "implied", allowed by the checker's ``implied``
hook when it has one: stronger, sound deductions such as Sudoku's hidden singles) is revealed (``order`` = this
step), repeatedly, with the dead-end check (now also ``consistent``) after each round. Such reveals cost no NFE;
they are not decisions, except a fill that only a ban leaves single.

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
                   "guess_below", "propagate"})


class _Search:
    """Per-row search state (all (B, L) or (B, L, V) tensors): ``seq`` of each reveal (-1: none), its
    allowed-value probability ``conf``, ``choice`` (a decision), ``ban_level`` (seq of the decision a ban
    belongs to, -1: no ban), ``tentative`` bans, rows searching ``chrono``-logically only."""

    def __init__(self, b: int, length: int, dev):
        self.seq = torch.full((b, length), -1, dtype=torch.int64, device=dev)
        self.conf = torch.ones(b, length, device=dev)
        self.choice = torch.zeros(b, length, dtype=torch.bool, device=dev)
        self.ban_level: torch.Tensor | None = None
        self.tentative: torch.Tensor | None = None
        self.chrono = torch.zeros(b, dtype=torch.bool, device=dev)
        self.next_seq = torch.zeros(b, dtype=torch.int64, device=dev)  # seq of a row's next reveal

    def ensure_bans(self, vocab: int) -> None:
        if self.ban_level is None:
            b, length = self.seq.shape
            self.ban_level = torch.full((b, length, vocab), -1, dtype=torch.int64, device=self.seq.device)
            self.tentative = torch.zeros(b, length, vocab, dtype=torch.bool, device=self.seq.device)


def backtrack_decode(model: Model, tokens: torch.Tensor, is_fixed: torch.Tensor, plan, mask_id: int,
                     seeds: torch.Tensor, trace: bool = False, checker=None,
                     caps: torch.Tensor | None = None) -> DecodeResult:
    """Constraint-masked decoding with back-tracking of validated inputs (shapes as in ``decoder.decode``).
    ``caps`` (B,) int64: per-row NFE caps instead of ``plan.nfe_cap`` (what a cascade has left)."""
    require_checker(checker, "backtrack")
    b, length = tokens.shape
    dev = tokens.device
    maskable = (tokens == mask_id) & ~is_fixed
    x, order = tokens.clone(), torch.full_like(tokens, -1)
    s = _Search(b, length, dev)
    nfe = torch.zeros(b, dtype=torch.int64, device=dev)
    backups = torch.zeros_like(nfe)
    live = torch.ones(b, dtype=torch.bool, device=dev)
    status = torch.zeros_like(nfe)
    vocab = None
    cap = torch.full((b,), plan.nfe_cap, dtype=torch.int64, device=dev) if caps is None else caps.to(dev)
    n_calls, steps = 0, ([] if trace else None)
    propagate, implied = plan.propagate != "none", plan.propagate == "implied"
    last_step = int(cap.max()) if b else 0
    for step in range(last_step + 1):
        allowed = None
        if vocab is not None or callable(getattr(checker, "allowed", None)):
            while True:  # ends: each pass backs up, stops or turns chronological every dead row (backups capped),
                # or fills at least one position (propagation)
                masked = (x == mask_id) & maskable
                allowed = allowed_values(checker, x, maskable, mask_id, vocab or 0, implied=implied)
                vocab = allowed.shape[2]
                s.ensure_bans(vocab)
                n_rules = allowed.sum(dim=2)  # allowed by the rules alone (bans are search state)
                allowed &= s.ban_level < 0
                full = ~masked.any(dim=1)
                dead = live & ((masked & ~allowed.any(dim=2)).any(dim=1) | (full & ~checker.verify(x)))
                if propagate:
                    dead |= live & ~checker.consistent(x)
                dead &= backups < plan.max_revisions
                if not bool(dead.any()):
                    filled = _fill_singles(x, order, s, masked & live[:, None], allowed, n_rules, step) \
                        if propagate else None
                    if filled is not None:
                        if steps is not None:  # the rules' fills are a trace step of their own, before the call's
                            steps.append(_trace(step, torch.arange(b, device=dev), filled, x, b, length, dev,
                                               score=float("inf")))
                        continue
                    break
                x, order, stuck, backed = _back_up(x, order, s, dead, plan, mask_id)
                backups += backed
                live &= ~stuck
                status = torch.where(stuck, DEAD_END, status)
        masked = (x == mask_id) & maskable
        full = ~masked.any(dim=1)
        if step == last_step:
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
            allowed = allowed_values(checker, x, maskable, mask_id, vocab, implied=implied)
            s.ensure_bans(vocab)
            n_rules = allowed.sum(dim=2)
        al = allowed[rows]
        lp = restrict(log_probs, al)
        xr = x[rows]
        cand = masked[rows]
        calls_left = cap[rows] - nfe[rows] + 1
        xr2, sel, rank, forced = reveal(lp, xr, cand, step, plan, seeds[rows], calls_left)
        clash = (sel.sum(dim=1) > 1) & ~checker.consistent(xr2)
        if bool(clash.any()):  # simultaneous reveals that break a rule together: keep the best-ranked one
            top = cand & (rank == 0)
            keep = torch.where(clash[:, None], sel & top, sel)
            xr2 = torch.where(sel & ~keep, mask_id, xr2)
            sel = keep
        x[rows] = xr2
        s.conf[rows] = torch.where(sel, lp.gather(2, xr2[..., None]).squeeze(2).exp(), s.conf[rows])
        s.choice[rows] = torch.where(sel, n_rules[rows] > 1, s.choice[rows])
        s.seq[rows] = torch.where(sel, s.next_seq[rows, None] + rank, s.seq[rows])
        s.next_seq[rows] += length
        order[rows] = torch.where(sel, step, order[rows])
        status[rows] = torch.where(forced, BUDGET_EXHAUSTED, status[rows])
        if steps is not None:
            steps.append(_trace(step, rows, sel, xr2, b, length, dev))
    masked = (x == mask_id) & maskable
    unverified = live & (masked.any(dim=1) | ~checker.verify(x))
    status = torch.where((status == 0) & unverified, BUDGET_EXHAUSTED, status)
    return DecodeResult(x, order, nfe, n_calls, steps, status)


def _fill_singles(x, order, s: _Search, masked, allowed, n_rules, step: int) -> torch.Tensor | None:
    """Reveal (in place) every ``masked`` position with exactly one ``allowed`` value, ``order`` ``step``, each
    with its own ``seq``. A fill the rules force (``n_rules`` 1) is no decision; one that only a ban leaves single
    is a decision (so that undoing the ban's search undoes it). Returns the (B, L) filled positions, or None."""
    single = masked & (allowed.sum(dim=2) == 1)
    if not bool(single.any()):
        return None
    x.copy_(torch.where(single, allowed.to(torch.int64).argmax(dim=2), x))
    order.copy_(torch.where(single, step, order))
    s.seq = torch.where(single, s.next_seq[:, None] + single.long().cumsum(dim=1) - 1, s.seq)
    s.next_seq += single.sum(dim=1)
    s.conf = torch.where(single, 1.0, s.conf)
    s.choice = torch.where(single, n_rules > 1, s.choice)
    return single


def _back_up(x, order, s: _Search, dead, plan, mask_id):
    """One back-up on the ``dead`` rows (vectorised, updates ``s`` in place): to the latest guess (unless the row
    is chronological), else to the latest decision. A dead row with no decision drops its tentative bans and
    turns chronological, or, with none, is stuck. Returns (x, order, stuck (B,), backed up (B,) int64)."""
    decision = (s.seq >= 0) & s.choice
    has = decision.any(dim=1)
    has_tent = (s.tentative & (s.ban_level >= 0)).flatten(1).any(dim=1)
    restart = dead & ~has & has_tent
    if bool(restart.any()):  # the heuristic jumps may have banned a needed value: keep only proven bans
        drop = restart[:, None, None] & s.tentative
        s.ban_level = torch.where(drop, -1, s.ban_level)
        s.tentative = s.tentative & ~drop
        s.chrono |= restart
    stuck = dead & ~has & ~has_tent
    go = dead & has
    latest = torch.where(decision, s.seq, -1).amax(dim=1)  # (B,)
    guess = decision & (s.conf < plan.guess_below) & ~s.chrono[:, None]
    last_guess = torch.where(guess, s.seq, -1).amax(dim=1)
    point = torch.where(last_guess >= 0, last_guess, latest)
    cell = (s.seq == point[:, None]).to(torch.int64).argmax(dim=1)  # seqs are unique within a row
    value = x.gather(1, cell[:, None]).squeeze(1)
    # heuristic rows undo the target's whole step (its reveals were made together); chronological rows undo
    # from the target's place in the sequence on
    step_of = order.gather(1, cell[:, None]).squeeze(1)
    same_step = decision & (order == step_of[:, None])
    proven = (point == latest) & ((same_step.sum(dim=1) == 1) | s.chrono)
    from_here = torch.where(s.chrono[:, None], s.seq >= point[:, None], order >= step_of[:, None])
    undo = go[:, None] & (s.seq >= 0) & from_here
    x = torch.where(undo, mask_id, x)
    order = torch.where(undo, -1, order)
    s.seq = torch.where(undo, -1, s.seq)
    s.conf = torch.where(undo, 1.0, s.conf)
    s.choice = s.choice & ~undo
    # a tentative ban standing at the dead end may be its cause, even one the back-up lifts: the new ban is then
    # tentative too (computing this after the lift made unproven bans "proven": spurious dead ends)
    active_tent = (s.tentative & (s.ban_level >= 0)).flatten(1).any(dim=1)
    lift = go[:, None, None] & (s.ban_level > point[:, None, None])
    s.ban_level = torch.where(lift, -1, s.ban_level)
    s.tentative = s.tentative & ~lift
    rows = go.nonzero()[:, 0]
    s.ban_level[rows, cell[rows], value[rows]] = point[rows]
    s.tentative[rows, cell[rows], value[rows]] = (~proven | active_tent)[rows]
    return x, order, stuck, go.to(torch.int64)
