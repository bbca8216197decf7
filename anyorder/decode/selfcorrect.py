"""Self-correcting unmask decoding without a verifier, ``Plan(mode="selfcorrect")`` (issue 17; cf. ReMDM, Saber).

Unmask-and-keep (``unmask``) with a check phase. A masked-diffusion model trained on masked positions says
nothing reliable at visible ones (``remask`` docs), so a revealed token is checked by masking it again *in the
model input* of an ordinary step: the same call predicts it from everything else. Each call, per row:

1. while the row has [MASK]s: reveal as ``unmask`` does (``plan.budget`` / ``score`` / ``value`` on the grid of
   ``plan.steps``; after the grid, ceil(#masked / calls left)); the probability of each revealed token is kept;
2. once the row is full: the ``plan.probes`` unchecked revealed tokens with the lowest kept probability (only
   those revealed below ``plan.recheck_below``) are masked in the input and re-predicted. A token whose new
   probability is below ``plan.revise_below`` is re-masked (a revision) and revealed again by step 1 in a later
   call; the others pass. After a revision every token of the row is unchecked again (its context changed).
3. a row stops when it is full and nothing is left to check, after ``plan.max_revisions`` revisions (when full),
   or at its cap of ``plan.nfe_cap`` model calls (its last call reveals everything still masked).

One model call per step on the rows still working; nfe counts each row's calls exactly. Randomness from
``rng`` keyed by each row's seed (batch-invariant). ``DecodeResult.status``: BUDGET_EXHAUSTED for rows that hit
the cap with masks or checks left, else OK.
"""
from __future__ import annotations

import torch

from anyorder.decode.checker import reveal
from anyorder.decode.logprobs import Model, model_log_probs
from anyorder.decode.rank import rank_descending
from anyorder.decode.result import BUDGET_EXHAUSTED, DecodeResult, TraceStep

READS = frozenset({"steps", "budget", "score", "value", "temperature", "top_k", "top_p", "noise", "noise_scale",
                   "noise_anneal", "schedule", "k", "threshold", "factor", "max_nfe", "probes", "revise_below",
                   "recheck_below", "max_revisions"})


def selfcorrect_decode(model: Model, tokens: torch.Tensor, is_fixed: torch.Tensor, plan, mask_id: int,
                       seeds: torch.Tensor, trace: bool = False, checker=None) -> DecodeResult:
    """Self-correcting decoding of validated inputs (shapes as in ``decoder.decode``); ``checker`` unused."""
    b, length = tokens.shape
    maskable = (tokens == mask_id) & ~is_fixed
    x, order = tokens.clone(), torch.full_like(tokens, -1)
    conf = torch.zeros(b, length, device=tokens.device)  # probability of each revealed token when last predicted
    checked = torch.zeros_like(maskable)
    nfe = torch.zeros(b, dtype=torch.int64, device=tokens.device)
    revisions, forced = torch.zeros_like(nfe), torch.zeros(b, dtype=torch.bool, device=tokens.device)
    cap, n_calls, steps = plan.nfe_cap, 0, ([] if trace else None)
    for step in range(cap):
        masked = (x == mask_id) & maskable
        has_mask = masked.any(dim=1)
        pending = maskable & ~masked & (order >= 0) & ~checked & (conf < plan.recheck_below)
        to_check = ~has_mask & pending.any(dim=1) & (revisions < plan.max_revisions)
        active = has_mask | to_check
        if not bool(active.any()):
            break
        rows = active.nonzero()[:, 0]
        xr, cr, orr = x[rows], conf[rows], order[rows]
        probe_c = pending[rows] & to_check[rows, None]
        probe = probe_c & (rank_descending(torch.where(probe_c, -cr, float("-inf")))[1] < plan.probes)
        log_probs = model_log_probs(model, torch.where(probe, mask_id, xr), mask_id)
        n_calls += 1
        nfe[rows] += 1
        # checks: probability of the current token with itself masked
        p_now = log_probs.gather(2, xr[..., None]).squeeze(2).exp()
        low = probe & (p_now < plan.revise_below)
        left = (plan.max_revisions - revisions[rows]).clamp(min=0)
        fail = low & (rank_descending(torch.where(low, -p_now, float("-inf")))[1] < left[:, None])
        revised = fail.any(dim=1)
        ch = torch.where(revised[:, None], False, checked[rows] | (probe & ~fail))
        cr = torch.where(probe & ~fail, p_now, cr)
        revisions[rows] += fail.sum(dim=1)
        # reveals on rows that had masks before this call
        cand = masked[rows]
        xr2, sel, _, forced_r = reveal(log_probs, xr, cand, step, plan, seeds[rows], cap - nfe[rows] + 1)
        cr = torch.where(sel, log_probs.gather(2, xr2[..., None]).squeeze(2).exp(), cr)
        xr2 = torch.where(fail, mask_id, xr2)
        orr = torch.where(sel, step, torch.where(fail, -1, orr))
        x[rows], conf[rows], order[rows], checked[rows] = xr2, cr, orr, ch
        forced[rows] |= forced_r
        if steps is not None:
            steps.append(_trace(step, rows, sel, xr2, b, length, x.device))
    masked = (x == mask_id) & maskable
    pending = maskable & ~masked & (order >= 0) & ~checked & (conf < plan.recheck_below)
    left_work = forced | (pending.any(dim=1) & (revisions < plan.max_revisions) & (nfe >= cap))
    status = torch.where(left_work, BUDGET_EXHAUSTED, 0).to(torch.int64)
    return DecodeResult(x, order, nfe, n_calls, steps, status)


def _trace(step, rows, sel, xr, b, length, device, score: float = float("-inf")) -> TraceStep:
    """A trace step of the rows given; every revealed position gets ``score`` (-inf: none kept; +inf: a fill
    the rules forced)."""
    revealed = torch.zeros(b, length, dtype=torch.bool, device=device)
    revealed[rows] = sel
    values = torch.full((b, length), -1, dtype=torch.int64, device=device)
    values[rows] = torch.where(sel, xr, -1)
    scores = torch.where(revealed, score, float("-inf")).to(torch.float32)
    return TraceStep(step, revealed.sum(dim=1), revealed, values, scores)
