"""Fake models for decoder tests: logits set by hand, or a cheap row-wise function of the tokens."""
from __future__ import annotations

import torch

MASK = 3  # mask id of the hand-set fixtures (vocabulary 0, 1, 2, [MASK])

# hand-set per-position probabilities over values 0..2; the [MASK] entry is irrelevant (set to -inf)
HAND_PROBS = torch.tensor([
    [0.50, 0.49, 0.01],  # top .50  margin .01  entropy -.742
    [0.40, 0.30, 0.30],  # top .40  margin .10  entropy -1.089
    [0.90, 0.05, 0.05],  # top .90  margin .85  entropy -.394
    [0.36, 0.32, 0.32],  # top .36  margin .04  entropy -1.097
    [0.60, 0.20, 0.20],  # top .60  margin .40  entropy -.950
])


class StaticModel:
    """Returns the same logits whatever the tokens (counts its calls). logits: (L, V) or (B, L, V)."""

    def __init__(self, logits: torch.Tensor):
        self.logits = logits
        self.calls = 0

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        logits = self.logits if self.logits.dim() == 3 else self.logits.expand(x.shape[0], -1, -1)
        return logits[: x.shape[0]]


def hand_model() -> StaticModel:
    logits = torch.cat([HAND_PROBS.log(), torch.zeros(5, 1)], dim=1)  # mask logit 0: the decoder drops it
    return StaticModel(logits)


class RowwiseModel:
    """A token-dependent model whose row b depends only on row b: logits[b, i] = E[x[b, i-1]] + E2[x[b, i+1]] + P[i]."""

    def __init__(self, length: int, vocab: int, seed: int = 0):
        g = torch.Generator().manual_seed(seed)
        self.e1 = torch.randn(vocab, vocab, generator=g) * 2
        self.e2 = torch.randn(vocab, vocab, generator=g) * 2
        self.pos = torch.randn(length, vocab, generator=g) * 2

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        left = torch.roll(x, 1, dims=1)
        right = torch.roll(x, -1, dims=1)
        return self.e1[left] + self.e2[right] + self.pos[: x.shape[1]]


class DistinctRules:
    """A checker (``decode.checker.Checker``) for a toy task: the revealed values of a row must be pairwise
    distinct; a full row of distinct values is correct. Values 0..vocab-1 with [MASK] = ``mask_id``.
    ``with_allowed``: also offer ``allowed`` (else decoders derive it by trial from ``consistent``)."""

    def __init__(self, vocab: int, mask_id: int, with_allowed: bool = True):
        self.vocab, self.mask_id = vocab, mask_id
        if with_allowed:
            self.allowed = self._allowed

    def consistent(self, x: torch.Tensor) -> torch.Tensor:
        seen = torch.nn.functional.one_hot(x.clamp(max=self.vocab), self.vocab + 1)[..., :self.vocab].sum(dim=1)
        return (seen <= 1).all(dim=1)

    def verify(self, x: torch.Tensor) -> torch.Tensor:
        return self.consistent(x) & ~(x == self.mask_id).any(dim=1)

    def _allowed(self, x: torch.Tensor) -> torch.Tensor:
        seen = torch.nn.functional.one_hot(x.clamp(max=self.vocab), self.vocab + 1)[..., :self.vocab].sum(dim=1) > 0
        out = torch.zeros(*x.shape, self.mask_id + 1, dtype=torch.bool)
        out[..., :self.vocab] = ~seen[:, None, :]
        return out
