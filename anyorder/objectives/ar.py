"""Next-token (autoregressive) loss for ARMs and pi-learners (paper Sec. 2.4 eqs. 2-3, Sec. 4.1, Table 2).

A causal model factorizes log p(x) = sum_t log p(x^t | x^{<t}) (eq. 2). A pi-learner is the same model trained
on the permuted sequence pi(x0) (eq. 3; see ``objectives.permutations``), so one loss serves both.

Batch contract (docs/DESIGN.md): ``{"tokens": (B, L) int64, "loss_mask": (B, L) bool}`` where
``loss_mask[:, t]`` means "the prediction of tokens[:, t] from tokens[:, :t] is in the loss"; position 0 is
never predicted. The logits at t-1 predict token t:

    CE_t = -log softmax(model(tokens)[:, t-1])[tokens[:, t]]     for loss_mask[:, t]

Only response positions are in the loss (for Sudoku triples: the blanks' triples, as Shah et al. 2024).
``normalize="token"`` averages CE over all loss tokens of the batch (Shah et al.; the per-token NLL);
``normalize="sequence"`` averages each sequence's per-token mean over the batch. There is no [MASK] handling:
ARM targets never contain [MASK], so the full-vocabulary softmax is used (for pi-learners [MASK] is the BOS).
The ``generator`` argument is accepted for the shared objective signature; the loss is deterministic.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from anyorder.errors import ConfigError, InputError
from anyorder.objectives.mdm import LossOutput

NORMALIZES = ("token", "sequence")


@dataclass(frozen=True)
class ARConfig:
    """Options of the next-token loss (see module docstring)."""

    normalize: str = "token"  # "token": mean CE over loss tokens (Shah et al.) | "sequence": mean of per-row means
    label_smoothing: float = 0.0  # label smoothing of the cross-entropy (0 = exact NLL)

    def __post_init__(self) -> None:
        if self.normalize not in NORMALIZES:
            raise ConfigError(f"unknown ARConfig.normalize={self.normalize!r}; valid: {list(NORMALIZES)}")
        if not 0.0 <= self.label_smoothing < 1.0:
            raise ConfigError(f"ARConfig.label_smoothing must be in [0, 1), got {self.label_smoothing}")


def _check_batch(batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    if "tokens" not in batch or "loss_mask" not in batch:
        raise InputError(f"ar_loss needs an ARM batch with 'tokens' and 'loss_mask', got keys {sorted(batch)}")
    tokens, loss_mask = batch["tokens"], batch["loss_mask"].bool()
    if tokens.ndim != 2 or tokens.shape != loss_mask.shape or tokens.shape[1] < 2:
        raise InputError(f"tokens {tuple(tokens.shape)} and loss_mask {tuple(loss_mask.shape)} must be (B, L>=2)")
    return tokens, loss_mask


def ar_loss(model, batch: dict[str, torch.Tensor], cfg: ARConfig, generator: torch.Generator | None = None
            ) -> LossOutput:
    """Next-token cross-entropy on ``batch["loss_mask"]`` positions (module docstring).

    ``model``: (B, L) int64 -> (B, L, V) logits, causal. The model runs on tokens[:, :-1] (L-1 positions, each
    predicting its successor). Returns LossOutput with n_tokens = #loss tokens and metrics
    {"loss", "ce" (mean CE per loss token, no smoothing), "acc" (next-token argmax accuracy on loss tokens)}.
    """
    tokens, loss_mask = _check_batch(batch)
    targets, mask = tokens[:, 1:], loss_mask[:, 1:]
    logits = model(tokens[:, :-1])
    flat = logits.reshape(-1, logits.shape[-1]).float()
    ce = F.cross_entropy(flat, targets.reshape(-1), reduction="none").view_as(targets)
    train_ce = ce
    if cfg.label_smoothing > 0:
        train_ce = F.cross_entropy(flat, targets.reshape(-1), reduction="none",
                                   label_smoothing=cfg.label_smoothing).view_as(targets)
    train_ce = train_ce.masked_fill(~mask, 0.0)
    n_loss = mask.sum()
    if cfg.normalize == "sequence":
        loss = (train_ce.sum(1) / mask.sum(1).clamp(min=1)).mean()
    else:
        loss = train_ce.sum() / n_loss.clamp(min=1)
    with torch.no_grad():
        hits = (logits.argmax(-1) == targets) & mask
        denom = n_loss.clamp(min=1)
        stats = torch.stack([loss.detach(), ce.masked_fill(~mask, 0.0).sum() / denom, hits.sum() / denom,
                             n_loss.float()]).tolist()
    return LossOutput(loss=loss, n_tokens=int(stats[3]), metrics={"loss": stats[0], "ce": stats[1], "acc": stats[2]})
