"""Fixed orders for pi-learners (paper Sec. 2.4 eq. 3, Sec. 3.2 / App. C.1, spec Sec. 4.1).

A pi-learner is a causal model trained on the permuted sequence pi(x0): step i of its chain rule predicts
position ``pi[i]`` of x0 given positions ``pi[0..i-1]``. The permutation is an int64 tensor ``perm`` of shape
(L,) with ``perm[i]`` = the position revealed at step i, so the permuted sequence is ``x0[:, perm]``.

Families (App. C.1): ``identity`` (the ARM), ``much_closer`` (round(sqrt(L)) random transpositions of the
identity), ``closer`` (round(L/10) transpositions) and ``uniform`` (pi ~ Unif(S_L)). A "random swap" is the
transposition of two positions drawn uniformly and independently (they may coincide) [INFERRED].
About L log L swaps mix to uniform, so the families interpolate between the ARM and the uniform order.

``permuted_source`` turns any MDM batch source ({"x0", "is_fixed"}) into the ARM batch contract of
docs/DESIGN.md ({"tokens", "loss_mask"}) with a beginning-of-sequence token in front, so that the first
revealed position is predicted too (a causal model cannot predict the token at its own position 0).
"""
from __future__ import annotations

import math
from typing import Callable

import torch

from anyorder.errors import ConfigError, InputError


def _transpositions(length: int, n_swaps: int, generator: torch.Generator) -> torch.Tensor:
    """The identity of length ``length`` after ``n_swaps`` uniformly random transpositions (applied in order)."""
    perm = list(range(length))
    pairs = torch.randint(0, length, (n_swaps, 2), generator=generator).tolist()
    for a, b in pairs:  # sequential by definition (a random walk on S_L); O(n_swaps) scalar swaps
        perm[a], perm[b] = perm[b], perm[a]
    return torch.tensor(perm, dtype=torch.long)


def identity(length: int, generator: torch.Generator) -> torch.Tensor:
    """(L,) int64: the left-to-right order; its pi-learner is the ARM (paper eq. 2)."""
    return torch.arange(length, dtype=torch.long)


def much_closer(length: int, generator: torch.Generator) -> torch.Tensor:
    """(L,) int64: identity after round(sqrt(L)) random transpositions (App. C.1, 'much-closer')."""
    return _transpositions(length, round(math.sqrt(length)), generator)


def closer(length: int, generator: torch.Generator) -> torch.Tensor:
    """(L,) int64: identity after round(L / 10) random transpositions (App. C.1, 'closer')."""
    return _transpositions(length, round(length / 10), generator)


def uniform(length: int, generator: torch.Generator) -> torch.Tensor:
    """(L,) int64: pi ~ Unif(S_L) (App. C.1, 'uniform')."""
    return torch.randperm(length, generator=generator)


PERMUTATIONS: dict[str, Callable[[int, torch.Generator], torch.Tensor]] = {
    "identity": identity,
    "much_closer": much_closer,
    "closer": closer,
    "uniform": uniform,
}


def make_permutation(family: str, length: int, seed: int) -> torch.Tensor:
    """(L,) int64 permutation from ``PERMUTATIONS[family]``; a pure function of (family, length, seed)."""
    if family not in PERMUTATIONS:
        raise ConfigError(f"unknown permutation family {family!r}; valid: {sorted(PERMUTATIONS)}")
    if length < 1:
        raise ConfigError(f"permutation length must be positive, got {length}")
    generator = torch.Generator().manual_seed(int(seed))
    return PERMUTATIONS[family](length, generator)


def check_permutation(perm: torch.Tensor | list[int], length: int | None = None) -> torch.Tensor:
    """Validate and return ``perm`` as an (L,) int64 tensor; raises InputError if it is not a permutation."""
    perm = torch.as_tensor(perm, dtype=torch.long)
    n = perm.numel() if length is None else length
    if perm.ndim != 1 or perm.numel() != n or not torch.equal(perm.sort().values, torch.arange(n)):
        raise InputError(f"not a permutation of range({n}): {perm.tolist()[:20]}")
    return perm


def inverse_permutation(perm: torch.Tensor) -> torch.Tensor:
    """(..., L) -> (..., L) with ``inv[..., perm[..., i]] = i`` (the step at which each position is revealed)."""
    steps = torch.arange(perm.shape[-1], device=perm.device).expand_as(perm)
    return torch.empty_like(perm).scatter_(-1, perm, steps)


def n_displaced(perm: torch.Tensor) -> int:
    """Number of positions that a permutation moves (0 for the identity)."""
    return int((perm != torch.arange(perm.numel(), device=perm.device)).sum())


class PermutedSource:
    """ARM view of an MDM batch source along a fixed order (a pi-learner's data; paper eq. 3).

    ``batch(step, rank, B)`` returns ``{"tokens": (B, L+1), "loss_mask": (B, L+1)}`` with
    ``tokens = [bos_id, x0[:, perm]]`` and ``loss_mask = [False, ~is_fixed[:, perm]]``: token t >= 1 is the
    value of position ``perm[t-1]``, predicted from the BOS and the positions revealed before it.
    Pure function of the wrapped source's (seed, step, rank, batch_size), hence resumable.
    """

    def __init__(self, source, perm: torch.Tensor, bos_id: int) -> None:
        self.source, self.perm, self.bos_id = source, check_permutation(perm), int(bos_id)

    def batch(self, step: int, rank: int, batch_size: int) -> dict[str, torch.Tensor]:
        raw = self.source.batch(step, rank, batch_size)
        if "x0" not in raw or "is_fixed" not in raw:
            raise InputError(f"permuted_source needs an MDM source with 'x0' and 'is_fixed', got {sorted(raw)}")
        return permute_batch(raw["x0"], raw["is_fixed"], self.perm, self.bos_id)


def permute_batch(x0: torch.Tensor, is_fixed: torch.Tensor, perm: torch.Tensor, bos_id: int) -> dict:
    """(B, L) MDM tensors -> ARM batch {"tokens": (B, L+1) int64, "loss_mask": (B, L+1) bool} along ``perm``."""
    perm = perm.to(x0.device)
    bos = torch.full((x0.shape[0], 1), bos_id, dtype=torch.long, device=x0.device)
    tokens = torch.cat([bos, x0[:, perm]], dim=1)
    loss_mask = torch.cat([torch.zeros_like(bos, dtype=torch.bool), ~is_fixed[:, perm]], dim=1)
    return {"tokens": tokens, "loss_mask": loss_mask}


def permuted_source(source, perm: torch.Tensor, bos_id: int) -> PermutedSource:
    """Wrap an MDM source into a pi-learner's ARM source (see ``PermutedSource``)."""
    return PermutedSource(source, perm, bos_id)
