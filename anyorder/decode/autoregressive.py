"""Greedy and beam-search decoding for causal models (ARM baselines, paper Sec. 4.6 / Table 2; Shah et al. 2024).

``model`` is any callable ``(N, t) int64 -> (N, t, V)`` logits whose output at position t-1 is the
distribution of token t given tokens[:, :t] (a causal Transformer). There is no KV cache in the model
contract, so each step re-runs the model on the whole prefix: one model call per generated position,
``n_model_calls = L - min(n_prompt)``, each on B (greedy) or B * width (beam) rows.

Prompts may have different lengths: ``tokens`` is a (B, L) buffer whose first ``n_prompt[b]`` tokens are the
prompt of row b; positions >= n_prompt[b] are generated. At step t every row is advanced together; rows with
t < n_prompt[b] keep their prompt token (teacher forcing), so nothing loops over rows.

Constraints: ``constraint(prefix (N, t) int64, t) -> (N, V) bool`` marks the tokens allowed at position t.
The decoder takes the model's best *allowed* continuation. Scores are the model's own log-probabilities
(softmax over the full vocabulary minus ``forbid_ids``, not renormalized over the allowed set), so a
constrained beam ranks sequences by their model likelihood. Two counts are reported per row:
``n_invalid_argmax`` = steps at which the unconstrained argmax was not allowed (what an unconstrained decoder
would have emitted there is invalid), and ``n_dead_end`` = steps at which the constraint allowed nothing;
there the step falls back to the unconstrained distribution (and the step also counts as invalid).

``greedy_decode`` / ``beam_decode`` adapt both to the decoder registry (``DECODERS["greedy"]``, ``["beam"]``):
the prompt of each row is its leading run of fixed positions, [MASK] is never emitted, the result is a
``DecodeResult`` whose order is the generation step of each position (-1 in the prompt).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import torch

from anyorder.decode.result import DecodeResult
from anyorder.errors import ConfigError, InputError

Constraint = Callable[[torch.Tensor, int], torch.Tensor]


@dataclass(frozen=True)
class ARDecodeResult:
    """Output of ``greedy`` / ``beam_search``.

    tokens: (B, L) int64, prompt followed by the decoded continuation (best beam for beam search).
    logprob: (B,) float, sum of model log-probs of the generated tokens.
    n_invalid_argmax: (B,) int64, steps where the unconstrained argmax was disallowed by the constraint.
    n_dead_end: (B,) int64, steps where the constraint allowed no token (unconstrained fallback).
    n_model_calls: int, number of model calls (one per generated position).
    beams: (B, W, L) int64 all final beams, best first (beam search only; greedy: W = 1).
    beam_logprob: (B, W) float, their scores.
    """

    tokens: torch.Tensor
    logprob: torch.Tensor
    n_invalid_argmax: torch.Tensor
    n_dead_end: torch.Tensor
    n_model_calls: int
    beams: torch.Tensor
    beam_logprob: torch.Tensor


def _check_inputs(tokens: torch.Tensor, n_prompt: torch.Tensor | int) -> torch.Tensor:
    if tokens.ndim != 2 or tokens.dtype != torch.long:
        raise InputError(f"tokens must be a (B, L) int64 tensor, got {tokens.dtype} {tuple(tokens.shape)}")
    n_prompt = torch.as_tensor(n_prompt, dtype=torch.long, device=tokens.device).expand(tokens.shape[0])
    if bool((n_prompt < 1).any()) or bool((n_prompt > tokens.shape[1]).any()):
        raise InputError(f"n_prompt must lie in [1, L={tokens.shape[1]}], got {n_prompt.tolist()[:8]}")
    return n_prompt


def _next_logprobs(model, prefix: torch.Tensor, forbid_ids: Sequence[int]) -> torch.Tensor:
    """(N, t) prefix -> (N, V) float32 log-probs of token t; ``forbid_ids`` get -inf before the softmax."""
    logits = model(prefix)[:, -1].float()
    if len(forbid_ids):
        logits[:, list(forbid_ids)] = float("-inf")
    return torch.log_softmax(logits, dim=-1)


def _allowed(constraint: Constraint | None, prefix: torch.Tensor, t: int, logp: torch.Tensor):
    """Allowed-token mask (N, V) and per-row flags (invalid unconstrained argmax, dead end)."""
    finite = torch.isfinite(logp)
    no_flag = torch.zeros(logp.shape[0], dtype=torch.bool, device=logp.device)
    if constraint is None:
        return finite, no_flag, no_flag
    allowed = constraint(prefix, t).to(logp.device) & finite
    dead = ~allowed.any(dim=-1)
    invalid = ~allowed.gather(1, logp.argmax(dim=-1, keepdim=True)).squeeze(1)
    return torch.where(dead[:, None], finite, allowed), invalid, dead


@torch.no_grad()
def greedy(model, tokens: torch.Tensor, n_prompt: torch.Tensor | int, constraint: Constraint | None = None,
           forbid_ids: Sequence[int] = ()) -> ARDecodeResult:
    """Greedy decoding: at each position take the highest-probability allowed token.

    tokens: (B, L) int64 buffer (prompt in the first n_prompt[b] positions; the rest is overwritten).
    n_prompt: (B,) or int, prompt lengths >= 1. Returns ``ARDecodeResult`` (beams of width 1).
    """
    n_prompt = _check_inputs(tokens, n_prompt)
    buf, batch = tokens.clone(), tokens.shape[0]
    logprob = torch.zeros(batch, device=tokens.device)
    n_invalid = torch.zeros(batch, dtype=torch.long, device=tokens.device)
    n_dead = torch.zeros_like(n_invalid)
    start = int(n_prompt.min())
    for t in range(start, tokens.shape[1]):
        logp = _next_logprobs(model, buf[:, :t], forbid_ids)
        allowed, invalid, dead = _allowed(constraint, buf[:, :t], t, logp)
        choice = logp.masked_fill(~allowed, float("-inf")).argmax(dim=-1)
        gen = t >= n_prompt
        buf[:, t] = torch.where(gen, choice, buf[:, t])
        logprob += torch.where(gen, logp.gather(1, choice[:, None]).squeeze(1), 0.0)
        n_invalid += invalid & gen
        n_dead += dead & gen
    return ARDecodeResult(buf, logprob, n_invalid, n_dead, tokens.shape[1] - start, buf[:, None], logprob[:, None])


def _gather_beams(x: torch.Tensor, parent: torch.Tensor) -> torch.Tensor:
    """x: (B, W, ...) -> x[b, parent[b, w], ...]."""
    index = parent.view(*parent.shape, *([1] * (x.ndim - 2))).expand(*parent.shape, *x.shape[2:])
    return x.gather(1, index)


@torch.no_grad()
def beam_search(model, tokens: torch.Tensor, n_prompt: torch.Tensor | int, width: int,
                constraint: Constraint | None = None, forbid_ids: Sequence[int] = ()) -> ARDecodeResult:
    """Beam search of ``width`` beams per row, vectorized over (B, width); width 1 equals ``greedy``.

    Each step scores all width * V one-token extensions by cumulative model log-prob (disallowed tokens
    -inf) and keeps the top ``width`` per row. Beams start as one live copy of the prompt (others -inf), so
    early steps never duplicate a hypothesis. Returns the best beam in ``tokens`` and all beams, best first.
    """
    if width < 1:
        raise InputError(f"beam width must be >= 1, got {width}")
    n_prompt = _check_inputs(tokens, n_prompt)
    (batch, length), dev = tokens.shape, tokens.device
    beams = tokens[:, None].expand(batch, width, length).clone()
    score = torch.full((batch, width), float("-inf"), device=dev)
    score[:, 0] = 0.0
    n_invalid = torch.zeros(batch, width, dtype=torch.long, device=dev)
    n_dead = torch.zeros_like(n_invalid)
    keep = torch.arange(width, device=dev).expand(batch, width)
    start = int(n_prompt.min())
    for t in range(start, length):
        flat = beams.view(batch * width, length)[:, :t]
        logp = _next_logprobs(model, flat, forbid_ids)
        allowed, invalid, dead = _allowed(constraint, flat, t, logp)
        vocab = logp.shape[-1]
        cand = (score.view(-1, 1) + logp.masked_fill(~allowed, float("-inf"))).view(batch, width * vocab)
        top, idx = cand.topk(width, dim=-1)
        gen = (t >= n_prompt)[:, None]
        parent = torch.where(gen, idx // vocab, keep)
        token = torch.where(gen, idx % vocab, beams[:, :, t])
        score = torch.where(gen, top, score)
        n_invalid = _gather_beams(n_invalid + invalid.view(batch, width) * gen, parent)
        n_dead = _gather_beams(n_dead + dead.view(batch, width) * gen, parent)
        beams = _gather_beams(beams, parent)
        beams[:, :, t] = token
    order = score.argsort(dim=1, descending=True, stable=True)
    beams, score = _gather_beams(beams, order), score.gather(1, order)
    n_invalid, n_dead = n_invalid.gather(1, order), n_dead.gather(1, order)
    return ARDecodeResult(beams[:, 0], score[:, 0], n_invalid[:, 0], n_dead[:, 0], length - start, beams, score)


def decode_autoregressive(model, tokens: torch.Tensor, n_prompt: torch.Tensor | int, beam_width: int = 1,
                          constraint: Constraint | None = None, forbid_ids: Sequence[int] = ()) -> ARDecodeResult:
    """``greedy`` when beam_width == 1, else ``beam_search`` with that width."""
    if beam_width == 1:
        return greedy(model, tokens, n_prompt, constraint, forbid_ids)
    return beam_search(model, tokens, n_prompt, beam_width, constraint, forbid_ids)


GREEDY_READS = frozenset()  # Plan fields read by DECODERS["greedy"] (none: argmax of the model, left to right)
BEAM_READS = frozenset({"beam_width"})


def greedy_decode(model, tokens: torch.Tensor, is_fixed: torch.Tensor, plan, mask_id: int, seeds: torch.Tensor,
                  trace: bool = False) -> DecodeResult:
    """Registry adapter of ``greedy``: the prompt is each row's leading run of fixed positions."""
    n_prompt = _prompt_lengths(is_fixed, trace, "greedy")
    return _as_decode_result(greedy(model, tokens, n_prompt, forbid_ids=(mask_id,)), n_prompt)


def beam_decode(model, tokens: torch.Tensor, is_fixed: torch.Tensor, plan, mask_id: int, seeds: torch.Tensor,
                trace: bool = False) -> DecodeResult:
    """Registry adapter of ``beam_search`` with ``plan.beam_width`` beams."""
    n_prompt = _prompt_lengths(is_fixed, trace, "beam")
    return _as_decode_result(beam_search(model, tokens, n_prompt, plan.beam_width, forbid_ids=(mask_id,)), n_prompt)


def _prompt_lengths(is_fixed: torch.Tensor, trace: bool, name: str) -> torch.Tensor:
    if trace:
        raise ConfigError(f"decoder {name!r} records no trace; use mode='unmask' or 'remask' for trace=True")
    n_prompt = (~is_fixed).long().argmax(dim=1)
    n_prompt = torch.where(is_fixed.all(dim=1), is_fixed.shape[1], n_prompt)
    positions = torch.arange(is_fixed.shape[1], device=is_fixed.device)
    if bool((is_fixed != (positions < n_prompt[:, None])).any()):
        raise InputError(f"decoder {name!r} generates left to right: the fixed positions must be a prefix")
    return n_prompt


def _as_decode_result(res: ARDecodeResult, n_prompt: torch.Tensor) -> DecodeResult:
    positions = torch.arange(res.tokens.shape[1], device=res.tokens.device)
    order = torch.where(positions >= n_prompt[:, None], positions - n_prompt[:, None], -1)
    nfe = res.tokens.shape[1] - n_prompt
    return DecodeResult(res.tokens, order, nfe, res.n_model_calls)
