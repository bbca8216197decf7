"""Progressive, inference-aligned masking (the idea of PUMA, Kim et al. 2026, "Stop Training for the Worst").

Plain MDM training (``objectives.mdm``) draws masks from the forward process, so the model trains on every
infilling problem, most of which an adaptive planner never meets (paper Sec. 3, "train for the worst"). Here the
batch is a set of persistent *chains*: each row starts with all its maskable positions masked, and after every
optimizer step the positions the planner would reveal next (the ``score`` of the model's own, detached, logits
from that step's forward pass: top_prob_margin by default) are revealed with their TRUE values. A chain
therefore walks the masked states that adaptive decoding of this model visits; a finished chain is replaced by
a fresh row of the task's batch source. No extra forward passes: the training forward is also the planner's.

This is our implementation of the idea as the issue describes it (train on the states the planner visits,
refreshed as training goes); details of the PUMA paper's own schedule may differ.

Shapes: x0, is_fixed, is_masked (B, L); ``steps`` = reveals per chain (k = ceil(#maskable / steps) positions
per step, at least 1). ``random_fraction`` of the rows are instead drawn each step with the plain MDM masking
(``cfg.mdm``) so the model stays good on off-path states (noisy planners, other orders).

Loss: cross-entropy per masked token, averaged over the masked tokens of the batch (no ELBO time weight: chain
states are not draws from the forward process).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from anyorder.decode.logprobs import model_log_probs
from anyorder.decode.score import SCORES
from anyorder.errors import ConfigError
from anyorder.objectives.mdm import LossOutput, MDMConfig, corrupt, masked_cross_entropy


@dataclass(frozen=True)
class ProgressiveConfig:
    """Options of progressive masking (module docstring); used when ``TrainConfig.objective == "puma"``."""

    score: str = "top_prob_margin"  # decode.score name that picks the next reveals
    steps: int = 20  # reveals per chain: k = ceil(#maskable / steps) positions per training step
    random_fraction: float = 0.0  # share of rows drawn with plain MDM masking each step (0 <= f < 1)

    def __post_init__(self) -> None:
        if self.score == "vanilla" or self.score not in SCORES:
            valid = [s for s in SCORES if s != "vanilla"]
            raise ConfigError(f"unknown ProgressiveConfig.score={self.score!r}; valid: {valid}")
        if self.steps < 1:
            raise ConfigError(f"ProgressiveConfig.steps must be >= 1, got {self.steps}")
        if not 0.0 <= self.random_fraction < 1.0:
            raise ConfigError(f"ProgressiveConfig.random_fraction must be in [0, 1), got {self.random_fraction}")


class Chains:
    """The persistent chain states of one process: x0, is_fixed, is_masked (B, L); empty until first use."""

    def __init__(self) -> None:
        self.x0: torch.Tensor | None = None
        self.is_fixed: torch.Tensor | None = None
        self.is_masked: torch.Tensor | None = None

    def state_dict(self) -> dict[str, torch.Tensor]:
        if self.x0 is None:
            return {}
        return {"x0": self.x0.cpu(), "is_fixed": self.is_fixed.cpu(), "is_masked": self.is_masked.cpu()}

    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        if state:
            self.x0, self.is_fixed, self.is_masked = state["x0"], state["is_fixed"].bool(), state["is_masked"].bool()

    def refill(self, fresh: dict[str, torch.Tensor], generator: torch.Generator) -> None:
        """Replace finished rows (nothing masked) by the same rows of ``fresh``, fully masked.

        On first use every row starts at a random point of its chain (a random share of its maskable positions
        revealed at random) so that the batch covers all stages from the first step on."""
        x0, is_fixed = fresh["x0"], fresh["is_fixed"].bool()
        if self.x0 is None or self.x0.shape != x0.shape:
            self.x0, self.is_fixed = x0.clone(), is_fixed.clone()
            u = torch.rand(x0.shape, generator=generator, device=generator.device).to(x0.device)
            keep = torch.rand((x0.shape[0], 1), generator=generator, device=generator.device).to(x0.device)
            self.is_masked = (u >= keep) & ~is_fixed
            self.is_masked |= _nothing_masked(self.is_masked)[:, None] & ~is_fixed
            return
        self.x0, self.is_fixed, self.is_masked = (t.to(x0.device) for t in (self.x0, self.is_fixed, self.is_masked))
        done = _nothing_masked(self.is_masked)[:, None]
        self.x0 = torch.where(done, x0, self.x0)
        self.is_fixed = torch.where(done, is_fixed, self.is_fixed)
        self.is_masked = torch.where(done, ~is_fixed, self.is_masked)

    def advance(self, log_probs: torch.Tensor, cfg: ProgressiveConfig) -> None:
        """Reveal, per row, the k masked positions with the highest planner score (true values are implied: the
        state is x0 with ``is_masked`` positions hidden). log_probs: (B, L, V), detached."""
        scores = SCORES[cfg.score](log_probs, None).masked_fill(~self.is_masked, float("-inf"))
        n_maskable = (~self.is_fixed).sum(1)
        k = torch.clamp(torch.ceil(n_maskable / cfg.steps), min=1).long()  # (B,)
        rank = scores.argsort(dim=1, descending=True).argsort(dim=1)
        self.is_masked &= ~(rank < k[:, None])


def _nothing_masked(is_masked: torch.Tensor) -> torch.Tensor:
    return ~is_masked.any(dim=1)


def progressive_loss(model, batch: dict[str, torch.Tensor], cfg: ProgressiveConfig, mdm: MDMConfig, mask_id: int,
                     generator: torch.Generator, chains: Chains) -> LossOutput:
    """Loss on the chains' current states, then advance the chains with the same forward's logits.

    batch: the step's fresh {"x0", "is_fixed"} (B, L) from the task source (used to refill finished chains and,
    for the first ``random_fraction`` of rows, as plain MDM draws). Metrics: loss, ce, mask_rate, chain_rows.
    """
    chains.refill(batch, generator)
    n_random = math.floor(cfg.random_fraction * batch["x0"].shape[0])
    rand_xt, rand_masked, _ = corrupt(batch["x0"], batch["is_fixed"].bool(), mdm, mask_id, generator)
    on_chain = torch.arange(batch["x0"].shape[0], device=batch["x0"].device)[:, None] >= n_random
    x0 = torch.where(on_chain, chains.x0, batch["x0"])
    is_masked = torch.where(on_chain, chains.is_masked, rand_masked)
    xt = torch.where(on_chain, chains.x0.masked_fill(chains.is_masked, mask_id), rand_xt)
    logits = model(xt)
    ce = masked_cross_entropy(logits, x0, mask_id).masked_fill(~is_masked, 0.0)
    n_masked = is_masked.sum()
    loss = ce.sum() / n_masked.clamp(min=1)
    with torch.no_grad():
        log_probs = model_log_probs(lambda _: logits.detach(), xt, mask_id)
        chains.advance(log_probs, cfg)
    is_fixed = torch.where(on_chain, chains.is_fixed, batch["is_fixed"].bool())
    stats = torch.stack([loss.detach(), n_masked / (~is_fixed).sum().clamp(min=1)]).tolist()
    metrics = {"loss": stats[0], "ce": stats[0], "mask_rate": stats[1]}
    return LossOutput(loss=loss, n_tokens=int(n_masked), metrics=metrics)

