"""The re-masking top-k decoder of Ye et al. (HKUNLP/diffusion-vs-ar ``topk_decoding``), ``Plan(mode="remask")``.

The paper's puzzle numbers (Sec. 4.2, App. D.2) were produced with that codebase. At step j of T (codebase
time t = T - 1 - j, from T - 1 down to 0, rate = 1 - alpha(t / T) = t / T for the linear schedule):

1. one model call on the current tokens -> log-probs with [MASK] at -inf;
2. predict a value at EVERY initially maskable position with the value rule (argmax in the codebase);
3. score = ``plan.score`` (the codebase: log-prob of that value = ``log_top_prob``), + ``noise_scale * rate`` x Gumbel when ``noise_anneal`` (the codebase's
   ``stochastic0.5-linear`` is noise="gumbel", noise_scale=0.5, noise_anneal=True), or the unannealed scale;
4. keep the ``N - floor(N * rate)`` highest-scoring positions unmasked (N = #initially maskable positions of
   the row) and re-mask all the others. Fixed positions are never scored or changed (codebase: score +1000).

How this differs from unmask-and-keep (``mode="unmask"``, the paper's definition in Sec. 2.6):
- previously revealed tokens CAN be re-masked: the kept set is re-chosen from scratch every step;
- a position that stays unmasked is still overwritten every step with the fresh prediction, so its token may
  change until the end (the codebase scatters x0 into all maskable positions);
- the budget is not per-step k of the currently masked positions but a target count of unmasked positions,
  N - floor(N * rate), i.e. the linear/cosine rate of the *initial* maskable count; ``plan.budget`` (must stay
  "schedule"), ``k``, ``threshold``, ``factor`` and ``block_length`` are not used, and setting them raises;
- the score is ``plan.score`` like in unmask mode. The codebase ranks by the log-prob of the chosen value, which
  with argmax values is ``score="log_top_prob"`` (bit-identical to this decoder before it honoured ``score``);
- every row runs all T steps (nfe = T for rows with something to decode; no early stop);
- ``remask_visible``: "repredict" re-predicts and re-scores every maskable position each step, as the codebase
  does; "keep" (default) carries each visible token and the score it had when it was revealed over to the next
  step and re-predicts only the masked positions (Mask-Predict, Ghazvininejad et al. 2019). A model trained
  with the masked-position loss (ours, the paper's) is never trained at visible positions, so its outputs there
  are arbitrary: with "repredict" our Sudoku MDM fell from 87.5% to 0% exact on 8 test puzzles (46% of cells
  right, givens included), with "keep" it decodes normally.
- ``order[b, i]`` is the last step at which position i went from masked to unmasked (-1 for fixed/given).
"""
from __future__ import annotations

import torch

from anyorder.decode import rng
from anyorder.decode.logprobs import Model, model_log_probs
from anyorder.decode.noise import add_noise
from anyorder.decode.rank import finite_scores, rank_descending
from anyorder.decode.result import DecodeResult, TraceStep
from anyorder.decode.score import needs_uniforms, score_function
from anyorder.decode.value import VALUES
from anyorder.objectives.schedule import SCHEDULES

# the Plan fields this decoder reads; every other field must keep its default (decoders.check_plan)
READS = frozenset({"steps", "score", "value", "temperature", "top_k", "top_p", "noise", "noise_scale",
                   "noise_anneal", "schedule", "stop_early", "remask_visible"})


def remask_decode(model: Model, tokens: torch.Tensor, is_fixed: torch.Tensor, plan, mask_id: int,
                  seeds: torch.Tensor, trace: bool = False) -> DecodeResult:
    """Ye et al. top-k re-masking decoding of validated inputs (shapes as in ``decoder.decode``)."""
    maskable = (tokens == mask_id) & ~is_fixed
    n_maskable = maskable.sum(dim=1)
    active = n_maskable > 0
    x, order = tokens.clone(), torch.full_like(tokens, -1)
    kept = torch.full(tokens.shape, float("-inf"), device=tokens.device)  # score of each visible token
    nfe = torch.zeros_like(n_maskable)
    steps = [] if trace else None
    n_calls = 0
    if plan.stop_early and not bool(active.any()):
        return DecodeResult(x, order, nfe, 0, steps)
    for step in range(plan.steps):
        log_probs = model_log_probs(model, x, mask_id)
        n_calls += 1
        nfe += active
        x, order, kept, record = remask_step(log_probs, x, maskable, n_maskable, order, kept, step, plan, seeds,
                                             mask_id)
        if steps is not None:
            steps.append(record)
    return DecodeResult(x, order, nfe, n_calls, steps)


def mask_rate(step: int, n_steps: int, schedule: str) -> float:
    """Fraction of maskable positions left masked after 0-based ``step``: 1 - alpha(t / T), t = T - 1 - step."""
    t = torch.tensor((n_steps - 1 - step) / n_steps, dtype=torch.float64)
    return float(1.0 - SCHEDULES[schedule].alpha(t))


def remask_step(log_probs, x, maskable, n_maskable, order, kept, step, plan, seeds, mask_id):
    """One predict / keep-top / re-mask-rest step. ``kept`` (B, L): score of each visible token when revealed.
    Returns (tokens, order, kept, TraceStep)."""
    rate = mask_rate(step, plan.steps, plan.schedule)
    u_value = rng.uniform(seeds, step, rng.VALUE, x.shape[1])[maskable] if plan.value != "argmax" else None
    pred = x.masked_scatter(maskable, VALUES[plan.value](log_probs[maskable], u_value, plan))
    u = rng.uniform(seeds, step, rng.VANILLA, x.shape[1]) if needs_uniforms(plan.score) else None
    scores = score_function(plan.score)(log_probs, u).to(torch.float32)
    scale = plan.noise_scale * rate if plan.noise_anneal else plan.noise_scale
    scores = add_noise(scores, plan.noise, scale, seeds, step)
    if plan.remask_visible == "keep":
        visible = maskable & (x != mask_id)
        pred = torch.where(visible, x, pred)
        scores = torch.where(visible, kept, scores)
    scores = torch.where(maskable, finite_scores(scores), float("-inf"))
    keep = n_maskable - torch.floor(n_maskable.to(torch.float64) * rate + 1e-9).to(torch.int64)  # fp slack
    unmasked = maskable & (rank_descending(scores)[1] < keep[:, None])
    newly = unmasked & (x == mask_id)
    order = torch.where(newly, step, torch.where(unmasked, order, -1))
    x = torch.where(unmasked, pred, torch.where(maskable, mask_id, x))
    kept = torch.where(unmasked, scores, float("-inf"))
    return x, order, kept, TraceStep(step, keep, unmasked, torch.where(unmasked, x, -1), scores)
