"""Masked-diffusion training loss (paper Sec. 2.4, Proposition 2.1).

Continuous-time NELBO of an absorbing-state MDM with a time-free denoiser p_theta(. | x_t):

    L(x0) = int_0^1  -alpha'_t / (1 - alpha_t) * E_{x_t ~ q_t(.|x0)} sum_{i: x_t^i = [MASK]} -log p_theta(x0^i | x_t) dt.

Prop. 2.1: with alpha_0 = 1, alpha_1 = 0 and N maskable positions the integral equals a uniform mixture over
mask sets, because int_0^1 (1/t) t^k (1-t)^(N-k) dt = 1 / (k C(N, k)) for the linear schedule (and a change of
variables gives the same value for every schedule):

    L(x0) = sum_{M nonempty} 1 / (|M| C(N, |M|)) sum_{i in M} -log p_theta(x0^i | x0[M])
          = N * E_{n ~ U{1..N}, M ~ U(n-subsets)} [ (1/n) sum_{i in M} -log p_theta(x0^i | x0[M]) ].

Three ways to draw (x_t, per-token weight) -- ``MDMConfig.sampling``:
- "continuous": t ~ U(time_eps, 1) per sequence, each maskable token masked w.p. 1 - alpha_t, weight
  -alpha'_t / (1 - alpha_t) (SMDM/MDLM; the truncation at time_eps biases the NELBO by O(time_eps * N)).
- "subset": n ~ U{1..N}, a uniformly random n-subset is masked, weight N / n (the exact form above, PUMA).
- "discrete": Ye et al. -- t ~ U{0..T-1}, mask w.p. p = (t+1)/T; "elbo" weight 1/p (a Riemann sum of the
  integral), "linear" weight T - t (Ye's Sudoku script).
With ``normalize="sequence"`` the loss is the batch mean of per-sequence sums divided by N, i.e. the NELBO per
maskable token (for "subset" this is mean of sum_{i in M} CE / n). ``normalize="token"`` divides the batch sum
by the number of masked tokens (Ye et al.). Fixed positions (``is_fixed``) are never masked and carry no loss.
The [MASK] logit is set to -inf: the model never predicts [MASK].
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F

from anyorder.errors import ConfigError, InputError
from anyorder.objectives.schedule import get_schedule

SAMPLINGS = ("continuous", "subset", "discrete")
TIME_WEIGHTS = ("elbo", "linear", "none")
TOKEN_WEIGHTS = ("none", "focal")
NORMALIZES = ("sequence", "token")


@dataclass(frozen=True)
class MDMConfig:
    """Options of the masked-diffusion loss (see module docstring)."""

    schedule: str = "linear"  # alpha_t schedule for sampling="continuous" (objectives.schedule.SCHEDULES)
    sampling: str = "continuous"  # "continuous" | "subset" | "discrete"
    time_eps: float = 1e-3  # continuous t ~ U(time_eps, 1)
    n_discrete_steps: int = 20  # T for sampling="discrete"
    time_weight: str = "elbo"  # "elbo" (-alpha'/(1-alpha), N/n, 1/p) | "linear" (T - t, discrete only) | "none"
    token_weight: str = "none"  # "none" | "focal": focal_alpha * (1 - p)^focal_gamma * CE
    focal_alpha: float = 0.25  # focal-loss scale
    focal_gamma: float = 1.0  # focal-loss exponent
    normalize: str = "sequence"  # "sequence": NELBO per maskable token | "token": per masked token (Ye)

    def __post_init__(self) -> None:
        get_schedule(self.schedule)
        for name, valid in (("sampling", SAMPLINGS), ("time_weight", TIME_WEIGHTS),
                            ("token_weight", TOKEN_WEIGHTS), ("normalize", NORMALIZES)):
            if getattr(self, name) not in valid:
                raise ConfigError(f"unknown MDMConfig.{name}={getattr(self, name)!r}; valid: {list(valid)}")
        if self.time_weight == "linear" and self.sampling != "discrete":
            raise ConfigError("MDMConfig.time_weight='linear' (Ye et al. T - t) needs sampling='discrete'")
        if not 0.0 < self.time_eps < 1.0:
            raise ConfigError(f"MDMConfig.time_eps must be in (0, 1), got {self.time_eps}")
        if self.n_discrete_steps < 1:
            raise ConfigError(f"MDMConfig.n_discrete_steps must be >= 1, got {self.n_discrete_steps}")
        if self.focal_alpha <= 0 or self.focal_gamma < 0:
            raise ConfigError("MDMConfig.focal_alpha must be > 0 and focal_gamma >= 0")


@dataclass(frozen=True)
class LossOutput:
    """Result of an objective: ``loss`` scalar (differentiable), ``n_tokens`` tokens in the loss, metrics."""

    loss: torch.Tensor  # scalar, differentiable
    n_tokens: int  # number of positions that carry loss (masked positions for MDMs)
    metrics: dict[str, float]  # e.g. {"loss", "ce", "mask_rate"}


def _uniform(shape: tuple[int, ...], generator: torch.Generator, device: torch.device) -> torch.Tensor:
    """U[0,1) drawn on the generator's device, moved to ``device``."""
    return torch.rand(shape, generator=generator, device=generator.device).to(device)


def _mask_continuous(is_maskable, cfg, generator):
    b, length = is_maskable.shape
    sched = get_schedule(cfg.schedule)
    t = cfg.time_eps + (1.0 - cfg.time_eps) * _uniform((b, 1), generator, is_maskable.device)
    is_masked = (_uniform((b, length), generator, is_maskable.device) < sched.mask_prob(t)) & is_maskable
    weight = sched.elbo_weight(t) if cfg.time_weight == "elbo" else torch.ones_like(t)
    return is_masked, weight.expand(b, length)


def _mask_subset(is_maskable, cfg, generator):
    """n ~ U{1..N} per row; the n maskable positions with the smallest uniform noise are masked."""
    b, length = is_maskable.shape
    n_maskable = is_maskable.sum(1, keepdim=True)
    u = _uniform((b, 1), generator, is_maskable.device)
    n = torch.minimum((u * n_maskable).long() + 1, n_maskable.clamp(min=1))
    noise = _uniform((b, length), generator, is_maskable.device).masked_fill(~is_maskable, 2.0)
    ranks = noise.argsort(dim=1).argsort(dim=1)
    is_masked = (ranks < n) & is_maskable
    weight = n_maskable / n if cfg.time_weight == "elbo" else torch.ones_like(n)
    return is_masked, weight.float().expand(b, length)


def _mask_discrete(is_maskable, cfg, generator):
    b, length = is_maskable.shape
    steps = cfg.n_discrete_steps
    t = (_uniform((b, 1), generator, is_maskable.device) * steps).long().clamp(max=steps - 1)
    p = (t + 1).float() / steps
    is_masked = (_uniform((b, length), generator, is_maskable.device) < p) & is_maskable
    weight = {"elbo": 1.0 / p, "linear": (steps - t).float(), "none": torch.ones_like(p)}[cfg.time_weight]
    return is_masked, weight.expand(b, length)


MASKINGS: dict[str, Callable] = {"continuous": _mask_continuous, "subset": _mask_subset, "discrete": _mask_discrete}


def corrupt(x0: torch.Tensor, is_fixed: torch.Tensor, cfg: MDMConfig, mask_id: int,
            generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Draw x_t from the forward process.

    Args: x0 (B, L) int64 clean tokens; is_fixed (B, L) bool (never masked); generator on any device.
    Returns: xt (B, L) int64 with [MASK] at masked positions; is_masked (B, L) bool (never True where fixed);
    weight (B, L) float time weight of each masked position (0 where not masked).
    """
    if x0.shape != is_fixed.shape or x0.ndim != 2:
        raise InputError(f"x0 {tuple(x0.shape)} and is_fixed {tuple(is_fixed.shape)} must both be (B, L)")
    is_masked, weight = MASKINGS[cfg.sampling](~is_fixed.bool(), cfg, generator)
    xt = x0.masked_fill(is_masked, mask_id)
    return xt, is_masked, weight * is_masked


def masked_cross_entropy(logits: torch.Tensor, x0: torch.Tensor, mask_id: int) -> torch.Tensor:
    """-log p(x0 | xt) per position (B, L) in float32, with the [MASK] logit excluded (set to -inf)."""
    is_mask_column = torch.arange(logits.shape[-1], device=logits.device) == mask_id
    logits = logits.float().masked_fill(is_mask_column, float("-inf"))
    return F.cross_entropy(logits.transpose(1, 2), x0, reduction="none")


def _token_factor(ce: torch.Tensor, cfg: MDMConfig) -> torch.Tensor:
    """Per-token multiplier of the CE: 1, or focal alpha * (1 - p)^gamma with p = exp(-CE)."""
    if cfg.token_weight == "focal":
        return cfg.focal_alpha * (-torch.expm1(-ce)).pow(cfg.focal_gamma)
    return torch.ones_like(ce)


def mdm_loss(model: Callable[[torch.Tensor], torch.Tensor], batch: dict[str, torch.Tensor], cfg: MDMConfig,
             mask_id: int, generator: torch.Generator) -> LossOutput:
    """Masked-diffusion loss on ``batch = {"x0": (B, L) int64, "is_fixed": (B, L) bool}`` (module docstring).

    ``model`` maps (B, L) int64 tokens to (B, L, V) logits. Returns LossOutput with n_tokens = #masked positions
    and metrics {"loss", "ce" (mean CE per masked token), "mask_rate" (masked / maskable)}.
    """
    x0, is_fixed = batch["x0"], batch["is_fixed"].bool()
    xt, is_masked, weight = corrupt(x0, is_fixed, cfg, mask_id, generator)
    ce = masked_cross_entropy(model(xt), x0, mask_id).masked_fill(~is_masked, 0.0)
    per_token = weight * _token_factor(ce, cfg) * ce
    n_masked = is_masked.sum()
    if cfg.normalize == "sequence":
        n_maskable = (~is_fixed).sum(1).clamp(min=1)
        loss = (per_token.sum(1) / n_maskable).mean()
    else:
        loss = per_token.sum() / n_masked.clamp(min=1)
    stats = torch.stack([loss.detach(), ce.sum() / n_masked.clamp(min=1),
                         n_masked / (~is_fixed).sum().clamp(min=1), n_masked.float()]).tolist()
    metrics = {"loss": stats[0], "ce": stats[1], "mask_rate": stats[2]}
    return LossOutput(loss=loss, n_tokens=int(stats[3]), metrics=metrics)


@torch.no_grad()
def elbo(model: Callable[[torch.Tensor], torch.Tensor], batch: dict[str, torch.Tensor], cfg: MDMConfig,
         mask_id: int, generator: torch.Generator, n_samples: int = 16) -> torch.Tensor:
    """Monte-Carlo NELBO per sequence (B,) in nats: an upper bound on -log p_theta(x0 free | x0 fixed).

    Averages ``n_samples`` draws of sum_i weight_i * CE_i with the exact ELBO weights (time_weight="elbo",
    token_weight="none"); sampling="discrete" is replaced by the exact "subset" form. Does not change
    ``model.training``; call ``model.eval()`` first for a deterministic model.
    """
    if n_samples < 1:
        raise InputError(f"n_samples must be >= 1, got {n_samples}")
    sampling = "subset" if cfg.sampling == "discrete" else cfg.sampling
    cfg = dataclasses.replace(cfg, sampling=sampling, time_weight="elbo", token_weight="none")
    x0, is_fixed = batch["x0"], batch["is_fixed"].bool()
    total = torch.zeros(x0.shape[0], device=x0.device)
    for _ in range(n_samples):
        xt, is_masked, weight = corrupt(x0, is_fixed, cfg, mask_id, generator)
        ce = masked_cross_entropy(model(xt), x0, mask_id).masked_fill(~is_masked, 0.0)
        total += (weight * ce).sum(1)
    return total / n_samples
