"""Additive noise on the ordering score (paper Sec. 2.6 "Noise on the oracle").

``fn(u) -> (B, L)`` float32 standard noise from uniforms u (B, L) in (0, 1) of the NOISE stream. The decoder
adds ``scale(step) * noise`` to the score, where ``scale = plan.noise_scale``, times ``(T - 1 - step) / T``
when ``plan.noise_anneal`` (the linear annealing of Ye et al.'s ``stochastic0.5-linear``; the paper's puzzle
runs use coefficient 0.5). The paper's text runs use Gaussian noise with an unstated sigma.
"""
from __future__ import annotations

import math

import torch

from anyorder.decode import rng


def none(u: torch.Tensor) -> torch.Tensor:
    """No noise."""
    return torch.zeros_like(u)


def gumbel(u: torch.Tensor) -> torch.Tensor:
    """Standard Gumbel: g = -log(-log u)."""
    return -torch.log(-torch.log(u))


def gaussian(u: torch.Tensor) -> torch.Tensor:
    """Standard normal by the inverse CDF: sqrt(2) erfinv(2u - 1)."""
    return math.sqrt(2.0) * torch.special.erfinv(2.0 * u - 1.0)


def noise_scale(scale: float, anneal: bool, step: int, n_steps: int) -> float:
    """The coefficient at 0-based ``step`` of ``n_steps``: ``scale`` or ``scale * (n_steps-1-step)/n_steps``."""
    return scale * (n_steps - 1 - step) / n_steps if anneal else scale


def add_noise(scores: torch.Tensor, noise: str, scale: float, seeds: torch.Tensor, step: int) -> torch.Tensor:
    """scores (B, L) + scale * NOISES[noise](u) with u from the NOISE stream of (seeds, step); float32."""
    if noise == "none" or scale <= 0:
        return scores
    return scores + (scale * NOISES[noise](rng.uniform(seeds, step, rng.NOISE, scores.shape[1]))).to(torch.float32)


# named noise settings (Plan fields): "gumbel0.5-annealed" is the Ye et al. codebase's ``stochastic0.5-linear``
NOISE_PRESETS = {
    "gumbel0.5-annealed": dict(noise="gumbel", noise_scale=0.5, noise_anneal=True),
    "none": dict(noise="none", noise_scale=0.0, noise_anneal=False),
}

NOISES = {
    "none": none,
    "gumbel": gumbel,
    "gaussian": gaussian,
}
