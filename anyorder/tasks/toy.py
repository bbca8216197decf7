"""A toy task whose every conditional is known exactly (for testing objectives, decoders and training).

The data distribution lives on {1..m}^L (token 0 is [MASK]; symbols "a", "b", ...) and is an explicit
probability table over all m^L sequences, built from a seeded mixture of K Markov chains:

    p(x) = sum_k w_k * init_k(x^0) * prod_{i>0} T_k(x^{i-1}, x^i),   w ~ Dir(1), init_k, rows of T_k ~ Dir(c).

The mixture makes conditionals depend on far-away positions, so any-order conditionals p(x^i | x0[M]) (paper
Sec. 2.4, Prop. 2.1) are non-trivial yet computable by enumeration (``exact_conditionals``).

- ``TASK`` ("toy", ``ToyOptions``): MDM batches {"x0", "is_fixed" all False}; its decode-free ``evaluate``
  reports ``conditional_kl``: mean KL(exact || model) over random masks.
- ``PI_TASK`` ("pi-toy", ``PiToyOptions``): a causal pi-learner along ``options.perm`` (same convention as
  ``objectives.permutations.permute_batch``: [MASK] is prepended as BOS).

This module is the worked example of the task contract (docs/DESIGN.md, "How to add a task").
"""
from __future__ import annotations

import string
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from anyorder.errors import ConfigError, InputError
from anyorder.options import to_dict
from anyorder.tasks.base import Task, TaskBundle, torch_generator
from anyorder.tokenizers.symbols import SymbolTable

MAX_SUPPORT = 1 << 20
MASK_ID = 0


@dataclass(frozen=True)
class ToyOptions:
    """Options of the toy task (``task_options.KEY=VALUE``)."""

    length: int = 4  # L
    n_symbols: int = 3  # m data symbols ("a", "b", "c"); vocabulary = m + 1 with [MASK] = 0
    n_components: int = 2  # K Markov chains in the mixture
    concentration: float = 0.5  # Dirichlet concentration c of initial / transition rows (small = peaky)
    dist_seed: int = 0  # seed of the distribution itself (independent of the training seed)
    eval_masks: int = 512  # number of (x0, mask) draws in the periodic KL evaluation

    def __post_init__(self) -> None:
        length, m = self.length, self.n_symbols
        if length < 1 or not 2 <= m <= 26 or m**length > MAX_SUPPORT or self.n_components < 1:
            raise ConfigError(f"toy needs length >= 1, 2 <= n_symbols <= 26, n_components >= 1 and "
                              f"n_symbols**length <= {MAX_SUPPORT}; got {self}")
        if self.concentration <= 0 or self.eval_masks < 1:
            raise ConfigError("toy concentration must be > 0 and eval_masks >= 1")


@dataclass(frozen=True)
class PiToyOptions(ToyOptions):
    """Options of the pi-toy task: the toy options plus the order ``perm`` (None = left to right)."""

    perm: tuple[int, ...] | None = None  # a permutation of range(length)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.perm is not None and sorted(self.perm) != list(range(self.length)):
            raise ConfigError(f"toy option perm must be a permutation of range({self.length}), got {list(self.perm)}")


class ToyDistribution:
    """Explicit distribution over {1..m}^L token sequences.

    Attributes: ``probs`` (m^L,) float64 summing to 1; ``support`` (m^L, L) int64 ids in 1..m, row s is the
    sequence with index s (lexicographic, base m); ``length``, ``n_symbols``; ``vocab_size`` = m + 1.
    """

    def __init__(self, probs: torch.Tensor | list[float], length: int, n_symbols: int) -> None:
        probs = torch.as_tensor(probs, dtype=torch.float64)
        if probs.shape != (n_symbols**length,) or (probs < 0).any() or abs(probs.sum().item() - 1) > 1e-9:
            raise InputError(f"probs must be a distribution over {n_symbols}^{length} sequences")
        self.probs, self.length, self.n_symbols = probs, int(length), int(n_symbols)
        self.vocab_size = self.n_symbols + 1
        digits = torch.arange(self.probs.numel())[:, None] // self.n_symbols ** torch.arange(length - 1, -1, -1)
        self.support = (digits % self.n_symbols + 1).long()
        self._onehot = torch.nn.functional.one_hot(self.support, self.vocab_size).double()  # (S, L, V)

    @classmethod
    def markov_mixture(cls, length: int, n_symbols: int, n_components: int, concentration: float,
                       dist_seed: int) -> "ToyDistribution":
        """The seeded mixture of Markov chains described in the module docstring."""
        rng = np.random.default_rng([int(dist_seed), 7919])
        w = rng.dirichlet(np.ones(n_components))
        init = rng.dirichlet(np.full(n_symbols, concentration), size=n_components)  # (K, m)
        trans = rng.dirichlet(np.full(n_symbols, concentration), size=(n_components, n_symbols))  # (K, m, m)
        seq = np.indices((n_symbols,) * length).reshape(length, -1).T  # (S, L) lexicographic, values 0..m-1
        p = w[:, None] * init[:, seq[:, 0]]
        for i in range(1, length):  # loop over positions (L is tiny), vectorized over sequences
            p = p * trans[:, seq[:, i - 1], seq[:, i]]
        probs = p.sum(0)
        return cls(torch.from_numpy(probs / probs.sum()), length, n_symbols)

    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """n i.i.d. sequences (n, L) int64 with ids in 1..m."""
        idx = torch.multinomial(self.probs, n, replacement=True, generator=generator)
        return self.support[idx]

    def index(self, x0: torch.Tensor) -> torch.Tensor:
        """(B, L) fully observed sequences -> (B,) row indices into ``probs`` (InputError if not in support)."""
        if x0.ndim != 2 or x0.shape[1] != self.length or ((x0 < 1) | (x0 > self.n_symbols)).any():
            raise InputError(f"expected (B, {self.length}) tokens in 1..{self.n_symbols}, got {tuple(x0.shape)}")
        powers = self.n_symbols ** torch.arange(self.length - 1, -1, -1, device=x0.device)
        return ((x0 - 1) * powers).sum(1)

    def log_prob(self, x0: torch.Tensor) -> torch.Tensor:
        """(B, L) -> (B,) float64 exact log p(x0)."""
        return self.probs.log()[self.index(x0).cpu()]

    def exact_conditionals(self, xt: torch.Tensor, mask_id: int = MASK_ID) -> torch.Tensor:
        """p(x^i = v | unmasked tokens of xt) for every position: (B, L) -> (B, L, V) float64 (Bayes by enumeration).

        Unmasked positions get a point mass on their token; the [MASK] entry is 0. InputError if the observed
        tokens have probability 0.
        """
        xt = xt.cpu()
        if xt.ndim != 2 or xt.shape[1] != self.length:
            raise InputError(f"expected (B, {self.length}) tokens, got {tuple(xt.shape)}")
        observed = xt != mask_id
        compatible = ((self.support[None] == xt[:, None]) | ~observed[:, None]).all(-1)  # (B, S)
        weights = compatible * self.probs  # (B, S)
        total = weights.sum(1)
        if (total <= 0).any():
            raise InputError("some inputs are impossible under the toy distribution")
        cond = torch.einsum("bs,slv->blv", weights, self._onehot) / total[:, None, None]
        point_mass = torch.nn.functional.one_hot(xt, self.vocab_size).double()
        return torch.where(observed[..., None], point_mass, cond)

    def to_dict(self) -> dict[str, Any]:
        return {"length": self.length, "n_symbols": self.n_symbols, "probs": self.probs.tolist()}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "ToyDistribution":
        return cls(d["probs"], d["length"], d["n_symbols"])


def random_masks(n: int, length: int, generator: torch.Generator) -> torch.Tensor:
    """(n, L) bool: per row, k ~ U{1..L} then a uniformly random k-subset (the mixture of Prop. 2.1)."""
    k = (torch.rand(n, 1, generator=generator) * length).long() + 1
    ranks = torch.rand(n, length, generator=generator).argsort(1).argsort(1)
    return ranks < k


@torch.no_grad()
def conditional_kl(model, dist: ToyDistribution, n_masks: int, generator: torch.Generator,
                   mask_id: int = MASK_ID) -> float:
    """Mean over masked positions of KL(p_exact(. | xt) || p_model(. | xt)), nats.

    x0 ~ dist, masks from ``random_masks``; the model's [MASK] logit is excluded (-inf) as in training.
    ``model`` is any callable (B, L) int64 -> (B, L, V); inputs are moved to its parameters' device.
    """
    x0 = dist.sample(n_masks, generator)
    is_masked = random_masks(n_masks, dist.length, generator)
    xt = x0.masked_fill(is_masked, mask_id)
    exact = dist.exact_conditionals(xt, mask_id)
    device = next(iter(model.parameters())).device if hasattr(model, "parameters") else torch.device("cpu")
    logits = model(xt.to(device)).double().cpu()
    logits[..., mask_id] = float("-inf")
    log_q = logits.log_softmax(-1)
    terms = torch.where(exact > 0, exact * (exact.clamp_min(1e-300).log() - log_q), torch.zeros_like(exact))
    return float(terms.sum(-1)[is_masked].mean())


class ToySource:
    """MDM batches {"x0": (B, L) int64, "is_fixed": (B, L) bool, all False}; pure in (seed, step, rank, B)."""

    def __init__(self, dist: ToyDistribution, seed: int) -> None:
        self.dist, self.seed = dist, int(seed)

    def batch(self, step: int, rank: int, batch_size: int) -> dict[str, torch.Tensor]:
        x0 = self.dist.sample(batch_size, torch_generator(self.seed, step, rank))
        return {"x0": x0, "is_fixed": torch.zeros_like(x0, dtype=torch.bool)}


class PermutedToySource:
    """ARM batches along ``perm``: tokens = [MASK-as-BOS, x0[:, perm]] (B, L+1), loss_mask = [False, True...]."""

    def __init__(self, dist: ToyDistribution, seed: int, perm: torch.Tensor) -> None:
        self.mdm, self.perm = ToySource(dist, seed), perm

    def batch(self, step: int, rank: int, batch_size: int) -> dict[str, torch.Tensor]:
        x0 = self.mdm.batch(step, rank, batch_size)["x0"]
        bos = torch.full((batch_size, 1), MASK_ID, dtype=torch.long)
        tokens = torch.cat([bos, x0[:, self.perm]], dim=1)
        loss_mask = torch.ones_like(tokens, dtype=torch.bool)
        loss_mask[:, 0] = False
        return {"tokens": tokens, "loss_mask": loss_mask}


def _distribution(opts: ToyOptions) -> ToyDistribution:
    return ToyDistribution.markov_mixture(opts.length, opts.n_symbols, opts.n_components, opts.concentration,
                                          opts.dist_seed)


def tokenizer(n_symbols: int) -> SymbolTable:
    """("[MASK]", "a", "b", ...) with mask_id 0."""
    return SymbolTable(("[MASK]",) + tuple(string.ascii_lowercase[:n_symbols]), mask_id=MASK_ID)


def build(opts: ToyOptions, seed: int) -> TaskBundle:
    """Toy MDM task (module docstring). metadata holds the options and the exact probability table."""
    dist = _distribution(opts)
    eval_generator_seed = opts.dist_seed

    def evaluate(model, step: int) -> dict[str, float]:
        was_training = getattr(model, "training", False)
        if hasattr(model, "eval"):
            model.eval()
        try:  # the same masks at every step, so the curve is comparable
            kl = conditional_kl(model, dist, opts.eval_masks, torch_generator(eval_generator_seed, 0, 0, 1))
        finally:
            if was_training:
                model.train()
        return {"kl": kl}

    return TaskBundle(name="toy", tokenizer=tokenizer(dist.n_symbols), source=ToySource(dist, seed),
                      model_fields={"vocab_size": dist.vocab_size, "max_len": dist.length},
                      metadata={"options": to_dict(opts), "distribution": dist.to_dict()}, evaluate=evaluate)


def build_pi(opts: PiToyOptions, seed: int) -> TaskBundle:
    """Toy pi-learner task: the toy distribution read in the order ``opts.perm`` (default identity).

    Batches are {"tokens": (B, L+1), "loss_mask": (B, L+1)}: [MASK] as BOS, then x0[:, perm]; every real token
    is in the loss, so a causal model trained on it models the full joint p(x0) along pi (paper eq. 3).
    Forces ``causal=True`` and ``max_len = L + 1``.
    """
    dist = _distribution(opts)
    perm = torch.as_tensor(opts.perm if opts.perm is not None else range(dist.length), dtype=torch.long)
    meta_opts = {**to_dict(opts), "perm": perm.tolist()}
    return TaskBundle(name="pi-toy", tokenizer=tokenizer(dist.n_symbols), source=PermutedToySource(dist, seed, perm),
                      model_fields={"vocab_size": dist.vocab_size, "max_len": dist.length + 1, "causal": True},
                      metadata={"options": meta_opts, "distribution": dist.to_dict(), "permutation": perm.tolist(),
                                "bos_id": MASK_ID}, evaluate=None)


TASK = Task("toy", ToyOptions, build, "exact conditionals of a small Markov-chain mixture (MDM)")
PI_TASK = Task("pi-toy", PiToyOptions, build_pi, "the toy distribution for causal pi-learners")
