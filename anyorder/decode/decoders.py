"""The decoder registry: ``DECODERS[plan.mode]`` runs a whole decode; each decoder says which Plan fields it reads.

Every decoder is ``run(model, tokens, is_fixed, plan, mask_id, seeds, trace) -> DecodeResult`` on validated
inputs (tokens (B, L) int64, is_fixed (B, L) bool, seeds (B,) int64; see ``decoder.decode``). A plan that sets a
field its decoder does not read (e.g. ``budget="threshold"`` with ``mode="remask"``) is rejected by
``check_plan`` instead of being silently ignored.

Add a decoder: write ``my_decode`` and its ``READS`` in a module of this package, add one line here.
Shared pieces live in one module each: ``result`` (DecodeResult, TraceStep), ``logprobs`` (model call ->
log-probs), ``rank`` (ranking), ``noise``, ``score``, ``budget``, ``value``, ``rng``.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Callable

from anyorder.decode import autoregressive, backtrack, bestofn, cascade, orderbeam, remask, selfcorrect, unmask
from anyorder.errors import ConfigError


@dataclass(frozen=True)
class Decoder:
    run: Callable  # (model, tokens, is_fixed, plan, mask_id, seeds, trace) -> DecodeResult
    reads: frozenset[str]  # Plan fields it uses; "mode" is implied
    summary: str  # one line for --help
    checker: str = "no"  # "no" | "optional" | "required": whether run(..., checker=) takes the task's rule hooks


DECODERS: dict[str, Decoder] = {
    "unmask": Decoder(unmask.unmask_decode, unmask.READS, "unmask-and-keep, adaptive order (paper Sec. 2.6)"),
    "remask": Decoder(remask.remask_decode, remask.READS, "Ye et al. top-k re-masking (their puzzle codebase)"),
    "greedy": Decoder(autoregressive.greedy_decode, autoregressive.GREEDY_READS,
                      "causal models: left to right, argmax (the fixed positions are the prompt)"),
    "beam": Decoder(autoregressive.beam_decode, autoregressive.BEAM_READS,
                    "causal models: beam search of beam_width beams"),
    # issue 17: decoders that correct themselves or use a verifier (checker = the task's rule hooks)
    "selfcorrect": Decoder(selfcorrect.selfcorrect_decode, selfcorrect.READS,
                           "unmask, then re-check revealed tokens with them masked; re-mask the improbable ones",
                           "optional"),
    "bestofn": Decoder(bestofn.bestofn_decode, bestofn.READS,
                       "unmask, verify; decode again with Gumbel noise until verified (samples decodes)", "required"),
    "restart": Decoder(bestofn.restart_decode, bestofn.READS,
                       "bestofn whose decodes reveal only allowed values and stop at a dead end", "required"),
    "backtrack": Decoder(backtrack.backtrack_decode, backtrack.READS,
                         "reveal only allowed values; on a dead end re-mask the latest guess and what followed",
                         "required"),
    "orderbeam": Decoder(orderbeam.orderbeam_decode, orderbeam.READS,
                         "beam search over orders by accumulated log-prob (checker optional)", "optional"),
    "beamback": Decoder(cascade.beamback_decode, cascade.READS,
                        "orderbeam with half the NFE cap, then backtrack on the unverified rows", "required"),
}


def check_plan(plan) -> None:
    """Raise ConfigError if ``plan`` sets a field its decoder ignores (anything but the default)."""
    if plan.mode not in DECODERS:
        raise ConfigError(f"unknown mode {plan.mode!r}; valid: {sorted(DECODERS)}")
    reads = DECODERS[plan.mode].reads | {"mode"}
    changed = [f.name for f in fields(plan) if f.name not in reads and getattr(plan, f.name) != f.default]
    if changed:
        raise ConfigError(f"mode={plan.mode!r} does not use {', '.join(f'{n}={getattr(plan, n)!r}' for n in changed)}"
                          f"; it reads only {sorted(reads - {'mode'})}")
