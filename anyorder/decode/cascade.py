"""Order beam search, then back-tracking for what it could not solve, ``Plan(mode="beamback")`` (issue 17).

Needs a checker (``checker.Checker``). Phase 1: ``orderbeam`` with the plan (beam_width, expand, threshold for
free reveals) and half the NFE cap (``plan.max_nfe // 2``). Phase 2: the rows whose answer ``verify`` rejects
(all their partial decodes died, or phase 1 ran out) are decoded again from their inputs by ``backtrack``
(budget, threshold, guess_below, max_revisions) with each row's own remaining NFE. The beam is cheap and right
on most puzzles; the search recovers from the wrong reveals that kill every beam. nfe sums both phases per row
(exact); ``DecodeResult.status`` is phase 1's for rows it solved, else phase 2's.
"""
from __future__ import annotations

import dataclasses

import torch

from anyorder.decode import backtrack, orderbeam
from anyorder.decode.checker import require_checker
from anyorder.decode.logprobs import Model
from anyorder.decode.result import DecodeResult
from anyorder.errors import ConfigError

READS = orderbeam.READS | backtrack.READS


def beamback_decode(model: Model, tokens: torch.Tensor, is_fixed: torch.Tensor, plan, mask_id: int,
                    seeds: torch.Tensor, trace: bool = False, checker=None) -> DecodeResult:
    """Orderbeam, then backtrack on the unverified rows (shapes as in ``decoder.decode``)."""
    require_checker(checker, "beamback")
    if trace:
        raise ConfigError("mode=beamback has no step trace")
    cap = plan.nfe_cap
    beam_plan = dataclasses.replace(plan, max_nfe=max(cap // 2, 1))
    first = orderbeam.orderbeam_decode(model, tokens, is_fixed, beam_plan, mask_id, seeds, checker=checker)
    x, order, nfe, status = first.tokens.clone(), first.order.clone(), first.nfe.clone(), first.status.clone()
    rows = (~checker.verify(first.tokens) & (nfe < cap)).nonzero()[:, 0]
    n_calls = first.n_model_calls
    if len(rows):
        second = backtrack.backtrack_decode(model, tokens[rows], is_fixed[rows], plan, mask_id, seeds[rows],
                                            checker=checker, caps=cap - nfe[rows])
        x[rows], order[rows], status[rows] = second.tokens, second.order, second.status
        nfe[rows] += second.nfe
        n_calls += second.n_model_calls
    return DecodeResult(x, order, nfe, n_calls, None, status)
