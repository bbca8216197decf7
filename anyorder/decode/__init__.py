"""Adaptive-order decoding for masked diffusion models (paper Sec. 2.5-2.7).

``decode(model, tokens, is_fixed, plan, mask_id, seeds, trace=False) -> DecodeResult``; the options live in
``Plan``; the pluggable strategies are the plain-function registries BUDGETS (how many), SCORES (which
positions), NOISES (noise on the score) and VALUES (which token). ``Plan.mode`` picks the decoder from DECODERS:
``unmask`` (paper), ``remask`` (Ye et al., ``anyorder.decode.remask``), ``greedy`` / ``beam`` (causal models).
"""
from anyorder.decode.budget import BUDGETS
from anyorder.decode.decoder import decode
from anyorder.decode.decoders import DECODERS
from anyorder.decode.noise import NOISES
from anyorder.decode.plan import Plan
from anyorder.decode.result import DecodeResult, TraceStep
from anyorder.decode.score import SCORES
from anyorder.decode.value import VALUES

__all__ = ["decode", "Plan", "DecodeResult", "TraceStep", "DECODERS", "BUDGETS", "SCORES", "NOISES", "VALUES"]
