"""Which positions to reveal: per-position certainty scores (paper Sec. 2.6). Higher decodes first.

Every score is ``fn(log_probs, u) -> (B, L)`` float32, with
``log_probs``: (B, L, V) log-softmax of the model's logits with the [MASK] logit at -inf, and
``u``: (B, L) float32 uniforms in (0, 1) of the sample's VANILLA stream (see ``rng``); the decoder passes
None unless the score is ``vanilla`` or a custom function (or the budget is ``binomial``).
The decoder sets non-candidate positions (fixed, already revealed, outside the current block) to -inf, so a
score need not look at masks. A user function with the same signature can be passed as ``Plan(score=fn)``.

Names used elsewhere for the same scores (documented aliases, not separate code):
- ``vanilla``: MDLM ``ddpm``, Dream ``origin``, LLaDA ``random``, "random/ancestral" ordering.
- ``top_prob``: c_i = max_j p(x^i = j | x_t); LLaDA ``remasking='low_confidence'`` (ML-GSAI/LLaDA#70),
  Dream ``maskgit_plus``, "confidence" (Fast-dLLM, OpenDLM), PUMA ``top_k``. With ``value="argmax"`` this is
  the probability of the decoded token; with ``value="sample"`` it is still the max probability.
- ``top_prob_margin``: c_i = p_(1) - p_(2), the paper's proposed oracle; Dream ``topk_margin``,
  OpenDLM ``margin``, PUMA ``top_k_margin``.
- ``entropy``: c_i = -H(p_i) = sum_j p_j log p_j (higher = more certain); Dream ``entropy``. The paper
  itself does not evaluate it.
- ``log_top_prob``, ``log_margin``: ours, not the paper's (log-scale variants for the noise-scale study of
  ``experiments.sudoku.gap``).
"""
from __future__ import annotations

from typing import Callable

import torch

from anyorder.errors import ConfigError


def vanilla(log_probs: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """Random order: the score is the uniform itself (Algorithm 1 together with ``budget="binomial"``)."""
    return u.to(torch.float32)


def top_prob(log_probs: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """c_i = max_j p(x^i = j | x_t)  (Zheng et al. 2023)."""
    return log_probs.amax(dim=-1).exp()


def top_prob_margin(log_probs: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """c_i = p_(1) - p_(2), the gap between the two most likely values (paper Sec. 2.6); 0 on exact ties."""
    best = log_probs.amax(dim=-1, keepdim=True)
    is_max = log_probs == best
    second = torch.where(is_max, float("-inf"), log_probs).amax(dim=-1)
    tied = is_max.sum(dim=-1) > 1
    return torch.where(tied, 0.0, best.squeeze(-1).exp() - second.exp())


def entropy(log_probs: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """c_i = -H(p_i) = sum_j p_j log p_j (0 log 0 = 0); higher means more certain."""
    p = log_probs.exp()
    return torch.where(p > 0, p * log_probs, 0.0).sum(dim=-1)


def first_argmax(log_probs: torch.Tensor) -> torch.Tensor:
    """argmax over the last dim, ties to the lowest index; built from amax/amin, which stay fast on the
    strided (value-major) log-prob views the decoder passes (torch's argmax does not)."""
    vocab = torch.arange(log_probs.shape[-1], device=log_probs.device)
    is_max = log_probs == log_probs.amax(dim=-1, keepdim=True)
    return torch.where(is_max, vocab, log_probs.shape[-1]).amin(dim=-1).clamp(max=log_probs.shape[-1] - 1)


def log_top_prob(log_probs: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """Ours (not in the paper). c_i = log max_j p(x^i = j | x_t): the ranking of ``top_prob``, on the log scale on which the Ye et al.
    codebase adds its Gumbel noise (so noise of a given scale perturbs the ranking differently)."""
    return log_probs.amax(dim=-1)


def log_margin(log_probs: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """Ours (not in the paper). c_i = log p_(1) - log p_(2), the top-2 log-ratio (0 on ties). Not the same ranking as
    ``top_prob_margin`` (a ratio, not a difference); its range is [0, inf), far wider than log p_(1)."""
    top2 = log_probs.topk(2, dim=-1).values
    return (top2[..., 0] - top2[..., 1]).nan_to_num(posinf=torch.finfo(torch.float32).max)


SCORES = {
    "vanilla": vanilla,
    "top_prob": top_prob,
    "top_prob_margin": top_prob_margin,
    "entropy": entropy,
    "log_top_prob": log_top_prob,
    "log_margin": log_margin,
}


def score_function(score: str | Callable) -> Callable:
    """``Plan.score`` as a function: a SCORES name or a custom ``fn(log_probs, u) -> (B, L)``."""
    if callable(score):
        return score
    if score not in SCORES:
        raise ConfigError(f"unknown score {score!r}; valid: {sorted(SCORES)}")
    return SCORES[score]


def needs_uniforms(score: str | Callable) -> bool:
    """Whether the score reads the VANILLA-stream uniforms ``u`` (vanilla or a custom function)."""
    return score == "vanilla" or callable(score)
