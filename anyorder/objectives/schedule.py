"""Masking schedules alpha_t (paper Sec. 2.2).

``alpha(t)`` is the *keep* probability of the forward process: at time t in [0, 1] each maskable token is
replaced by [MASK] independently with probability 1 - alpha(t). Every schedule has alpha(0) = 1 and
alpha(1) = 0 (the log-linear one reaches eps instead of 0) and is decreasing. ``dalpha`` is d alpha / dt.

The continuous-time ELBO (Sec. 2.4) weights the masked cross-entropy at time t by
``elbo_weight(t) = -alpha'(t) / (1 - alpha(t))`` (= 1/t for the linear schedule).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import torch

from anyorder.errors import ConfigError

LOGLINEAR_EPS = 1e-3  # MDLM's log-linear schedule: alpha(1) = LOGLINEAR_EPS


def linear_alpha(t: torch.Tensor) -> torch.Tensor:
    """alpha = 1 - t."""
    return 1.0 - t


def linear_dalpha(t: torch.Tensor) -> torch.Tensor:
    return -torch.ones_like(t)


def cosine_alpha(t: torch.Tensor) -> torch.Tensor:
    """alpha = cos(pi t / 2)."""
    return torch.cos(0.5 * math.pi * t)


def cosine_dalpha(t: torch.Tensor) -> torch.Tensor:
    return -0.5 * math.pi * torch.sin(0.5 * math.pi * t)


def loglinear_alpha(t: torch.Tensor) -> torch.Tensor:
    """MDLM log-linear noise: sigma(t) = -log(1 - (1 - eps) t), alpha = exp(-sigma) = 1 - (1 - eps) t."""
    sigma = -torch.log1p(-(1.0 - LOGLINEAR_EPS) * t)
    return torch.exp(-sigma)


def loglinear_dalpha(t: torch.Tensor) -> torch.Tensor:
    """d/dt exp(-sigma(t)) = -sigma'(t) exp(-sigma(t)) with sigma' = (1 - eps) / (1 - (1 - eps) t)."""
    dsigma = (1.0 - LOGLINEAR_EPS) / (1.0 - (1.0 - LOGLINEAR_EPS) * t)
    return -dsigma * loglinear_alpha(t)


@dataclass(frozen=True)
class Schedule:
    """A keep-probability schedule: ``alpha(t)``, its derivative ``dalpha(t)`` (t: any float tensor)."""

    name: str  # registry name
    alpha: Callable[[torch.Tensor], torch.Tensor]  # keep probability alpha(t)
    dalpha: Callable[[torch.Tensor], torch.Tensor]  # d alpha / dt (<= 0)

    def mask_prob(self, t: torch.Tensor) -> torch.Tensor:
        """Probability 1 - alpha(t) that a maskable token is masked at time t."""
        return 1.0 - self.alpha(t)

    def elbo_weight(self, t: torch.Tensor) -> torch.Tensor:
        """-alpha'(t) / (1 - alpha(t)): the ELBO weight of the masked cross-entropy at time t (t > 0)."""
        return -self.dalpha(t) / (1.0 - self.alpha(t))


SCHEDULES: dict[str, Schedule] = {
    "linear": Schedule("linear", linear_alpha, linear_dalpha),
    "cosine": Schedule("cosine", cosine_alpha, cosine_dalpha),
    "loglinear": Schedule("loglinear", loglinear_alpha, loglinear_dalpha),
}


def get_schedule(name: str) -> Schedule:
    """Look up a schedule by name; unknown names raise ConfigError listing the valid ones."""
    if name not in SCHEDULES:
        raise ConfigError(f"unknown schedule {name!r}; valid schedules: {sorted(SCHEDULES)}")
    return SCHEDULES[name]


def elbo_weight(t: torch.Tensor, schedule: str | Schedule = "linear") -> torch.Tensor:
    """-alpha'(t) / (1 - alpha(t)) for the named schedule (1/t for "linear")."""
    sched = get_schedule(schedule) if isinstance(schedule, str) else schedule
    return sched.elbo_weight(t)
