"""Which positions to reveal: per-position certainty scores (paper Sec. 2.6). Higher decodes first.

Every score is ``fn(log_probs, u) -> (B, L)`` float32, with
``log_probs``: (B, L, V) log-softmax of the model's logits with the [MASK] logit at -inf, and
``u``: (B, L) float64 uniforms in (0, 1) of the sample's VANILLA stream (see ``rng``).
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
"""
from __future__ import annotations

import torch


def vanilla(log_probs: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """Random order: the score is the uniform itself (Algorithm 1 together with ``budget="binomial"``)."""
    return u.to(torch.float32)


def top_prob(log_probs: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """c_i = max_j p(x^i = j | x_t)  (Zheng et al. 2023)."""
    return log_probs.max(dim=-1).values.exp()


def top_prob_margin(log_probs: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """c_i = p_(1) - p_(2), the gap between the two most likely values (paper Sec. 2.6)."""
    if log_probs.shape[-1] < 2:
        return log_probs[..., 0].exp()
    top2 = log_probs.topk(2, dim=-1).values.exp()
    return top2[..., 0] - top2[..., 1]


def entropy(log_probs: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """c_i = -H(p_i) = sum_j p_j log p_j (0 log 0 = 0); higher means more certain."""
    return torch.special.xlogy(log_probs.exp(), log_probs.exp()).sum(dim=-1)


SCORES = {
    "vanilla": vanilla,
    "top_prob": top_prob,
    "top_prob_margin": top_prob_margin,
    "entropy": entropy,
}
