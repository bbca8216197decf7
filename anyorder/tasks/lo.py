"""Latents-and-observations (L&O) distributions (paper Def. 3.1, Example 3.2, Example B.1, App. C.2.1/D.1.1).

A sequence holds N latent tokens drawn i.i.d. uniform from {0..m-1} and P observation tokens; observation j is
``g(latents[subsets[j]])`` for a fixed ordered k-tuple of distinct latents ``subsets[j]`` and a predicate g,
flipped with probability ``eta`` (noisy observations, Example B.1). A permutation ``perm`` places them:
latent i sits at position ``perm[i]`` and observation j at ``perm[N + j]``. Optional padding to ``pad_to``
appends positions holding the pad token (the paper pads L = 300 to 512 with the value 2).

Kinds (``LOOptions.kind``):
- ``nae_sat``: m = 2, k = 3, g = NAE (not-all-equal); the paper's L&O-NAE-SAT.
- ``sparse_parity``: m = 2, g = parity (odd sum), k-sparse, noise ``eta`` (Example B.1).
- ``sparse_predicate``: any k, m and predicate in ``PREDICATES`` (Example 3.2; ``neq`` with k = 2 is the
  planted m-colouring). Example 3.2 uses every ordered k-subset; here P random ordered k-tuples are drawn
  (``subsets="all"`` enumerates all N!/(N-k)! of them, then P must equal that number).

Token encoding: ids 0..V_d-1 are data values (V_d = max(m, 2): latents use 0..m-1, observations 0/1),
``pad_id = V_d`` (so pad = 2 for binary data, as in the paper), ``mask_id = V_d + 1``.
The subsets and perm depend only on ``dist_seed``; they are stored in the bundle metadata (and checkpoints).
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import torch

from anyorder.errors import ConfigError
from anyorder.options import from_dict, to_dict
from anyorder.tasks.base import Task, TaskBundle
from anyorder.tokenizers.symbols import SymbolTable


def nae(v: np.ndarray) -> np.ndarray:
    """Not-all-equal: (..., k) values -> (...) bool."""
    return ~(v == v[..., :1]).all(-1)


def neq(v: np.ndarray) -> np.ndarray:
    """All pairwise distinct (k = 2: the colouring constraint x' != x''): (..., k) -> (...) bool."""
    s = np.sort(v, axis=-1)
    return (s[..., 1:] != s[..., :-1]).all(-1)


def parity(v: np.ndarray) -> np.ndarray:
    """Odd sum (k-sparse parity, Example B.1): (..., k) -> (...) bool."""
    return (v.sum(-1) % 2) == 1


PREDICATES: dict[str, Callable[[np.ndarray], np.ndarray]] = {"nae": nae, "neq": neq, "parity": parity}

KIND_DEFAULTS: dict[str, dict[str, Any]] = {
    "nae_sat": {"m": 2, "k": 3, "predicate": "nae"},
    "sparse_parity": {"m": 2, "k": 3, "predicate": "parity"},
    "sparse_predicate": {"m": 3, "k": 3, "predicate": "nae"},
}



@dataclass(frozen=True)
class LOOptions:
    """Options of the L&O task (``task_options.KEY=VALUE``); k, m, predicate default per ``kind``."""

    kind: str = "nae_sat"  # KIND_DEFAULTS: nae_sat | sparse_parity | sparse_predicate
    N: int = 20  # latent tokens
    P: int = 280  # observation tokens
    k: int | None = None  # arity of each observation (None: the kind's default)
    m: int | None = None  # latent alphabet size (None: the kind's default)
    predicate: str | None = None  # PREDICATES name (None: the kind's default)
    eta: float = 0.0  # observation flip probability, in [0, 0.5]
    pad_to: int | None = None  # total length with padding (None: N + P)
    perm: str = "identity"  # position order: identity | random
    subsets: str = "random"  # observation tuples: random | all
    dist_seed: int = 0  # seed of subsets / perm
    eval_samples: int = 256  # samples of the periodic evaluation

    def __post_init__(self) -> None:
        if self.kind not in KIND_DEFAULTS:
            raise ConfigError(f"unknown L&O kind {self.kind!r}; valid kinds: {sorted(KIND_DEFAULTS)}")
        for key, value in KIND_DEFAULTS[self.kind].items():
            if getattr(self, key) is None:
                object.__setattr__(self, key, value)
        if self.kind in ("nae_sat", "sparse_parity") and self.m != 2:
            raise ConfigError(f"L&O kind {self.kind!r} has binary latents (m=2), got m={self.m}")
        get_predicate(self.predicate)
        n, p, k, m = self.N, self.P, self.k, self.m
        if n < 1 or p < 1 or not 1 <= k <= n or m < 2:
            raise ConfigError(f"L&O needs N >= 1, P >= 1, 1 <= k <= N, m >= 2; got N={n}, P={p}, k={k}, m={m}")
        if not 0.0 <= self.eta <= 0.5:
            raise ConfigError(f"L&O eta must lie in [0, 0.5], got {self.eta}")
        if self.pad_to is not None and self.pad_to < n + p:
            raise ConfigError(f"pad_to={self.pad_to} is shorter than N + P = {n + p}")
        if self.perm not in ("identity", "random"):
            raise ConfigError(f"unknown L&O perm {self.perm!r}; valid: ['identity', 'random']")
        if self.subsets not in ("random", "all"):
            raise ConfigError(f"unknown L&O subsets {self.subsets!r}; valid: ['all', 'random']")


def get_predicate(name: str) -> Callable[[np.ndarray], np.ndarray]:
    if name not in PREDICATES:
        raise ConfigError(f"unknown L&O predicate {name!r}; valid predicates: {sorted(PREDICATES)}")
    return PREDICATES[name]


@dataclass(frozen=True, eq=False)
class LODistribution:
    """A fixed L&O distribution (all arrays read-only).

    Attributes:
        kind, predicate: names (``KIND_DEFAULTS``, ``PREDICATES``).
        n_latents (N), n_obs (P), m (latent alphabet size), k (arity), eta (observation flip probability).
        subsets: (P, k) int64 latent indices of each observation (distinct within a row).
        perm: (N + P,) int64; latent i at position perm[i], observation j at perm[N + j].
        pad_to: total length incl. padding, or None.
        dist_seed: seed that drew subsets/perm.
    """

    kind: str
    predicate: str
    n_latents: int
    n_obs: int
    m: int
    k: int
    eta: float
    subsets: np.ndarray
    perm: np.ndarray
    pad_to: int | None
    dist_seed: int

    @property
    def length(self) -> int:
        """Total sequence length including padding."""
        return self.pad_to or self.n_latents + self.n_obs

    @property
    def n_data_values(self) -> int:
        return max(self.m, 2)

    @property
    def pad_id(self) -> int:
        return self.n_data_values

    @property
    def mask_id(self) -> int:
        return self.n_data_values + 1

    @property
    def latent_positions(self) -> np.ndarray:
        return self.perm[: self.n_latents]

    @property
    def obs_positions(self) -> np.ndarray:
        return self.perm[self.n_latents:]

    def is_fixed(self) -> np.ndarray:
        """(length,) bool: True at pad positions."""
        fixed = np.zeros(self.length, dtype=bool)
        fixed[self.n_latents + self.n_obs:] = True
        return fixed

    def always_one_accuracy(self) -> float:
        """Table 1 score of always generating observation 1: P(g = 1) for i.i.d. uniform latents, exact over all
        m^k value tuples (0.75 for NAE with m = 2, 1 - 1/9 for m = 3, 0.5 for parity)."""
        tuples = np.stack(np.meshgrid(*[np.arange(self.m)] * self.k, indexing="ij"), -1).reshape(1, -1, self.k)
        return float(get_predicate(self.predicate)(tuples).mean())

    def noiseless_observations(self, latents: np.ndarray) -> np.ndarray:
        """(B, N) latent values -> (B, P) int64 predicate values g(latents[subsets])."""
        return get_predicate(self.predicate)(latents[:, self.subsets]).astype(np.int64)

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Draw n sequences: (n, length) int64 tokens (pad positions hold pad_id)."""
        latents = rng.integers(0, self.m, size=(n, self.n_latents))
        obs = self.noiseless_observations(latents)
        if self.eta > 0:
            obs = obs ^ (rng.random(obs.shape) < self.eta)
        x = np.full((n, self.length), self.pad_id, dtype=np.int64)
        x[:, self.latent_positions] = latents
        x[:, self.obs_positions] = obs
        return x

    def check(self, x: np.ndarray | torch.Tensor) -> np.ndarray:
        """Per-observation consistency: (B, length) tokens -> (B, P) bool.

        True where observation j equals g of the sequence's own latents at ``subsets[j]`` (for noisy kinds:
        equals the noiseless value). Any latent that is not a data value (< m) makes its observations False.
        """
        x = np.asarray(x.cpu() if isinstance(x, torch.Tensor) else x)
        latents = x[:, self.latent_positions]
        valid = (latents >= 0) & (latents < self.m)
        expected = self.noiseless_observations(np.where(valid, latents, 0))
        ok = x[:, self.obs_positions] == expected
        return ok & valid[:, self.subsets].all(-1)

    def observation_accuracy(self, x: np.ndarray | torch.Tensor) -> float:
        """Fraction of observation tokens consistent with their latents (Table 1's score), over the batch."""
        return float(self.check(x).mean())

    def to_metadata(self) -> dict[str, Any]:
        """JSON-able description (stored in checkpoints)."""
        return {"kind": self.kind, "predicate": self.predicate, "N": self.n_latents, "P": self.n_obs,
                "m": self.m, "k": self.k, "eta": self.eta, "pad_to": self.pad_to, "dist_seed": self.dist_seed,
                "subsets": self.subsets.tolist(), "perm": self.perm.tolist(),
                "encoding": {"data": list(range(self.n_data_values)), "pad": self.pad_id, "mask": self.mask_id}}

    @classmethod
    def from_metadata(cls, meta: dict[str, Any]) -> "LODistribution":
        """Rebuild the exact distribution stored by ``to_metadata``."""
        try:
            return _frozen(cls(meta["kind"], meta["predicate"], int(meta["N"]), int(meta["P"]), int(meta["m"]),
                               int(meta["k"]), float(meta["eta"]), np.asarray(meta["subsets"], dtype=np.int64),
                               np.asarray(meta["perm"], dtype=np.int64), meta["pad_to"], int(meta["dist_seed"])))
        except (KeyError, TypeError, ValueError) as e:
            raise ConfigError(f"invalid L&O metadata: {e}") from e


def _frozen(dist: LODistribution) -> LODistribution:
    dist.subsets.setflags(write=False)
    dist.perm.setflags(write=False)
    return dist


def resolve_options(options: LOOptions | dict[str, Any]) -> LOOptions:
    """``LOOptions`` from a dict (unknown keys raise ConfigError listing the valid ones) or as given."""
    return options if isinstance(options, LOOptions) else from_dict(LOOptions, dict(options), "L&O options")


def _draw_subsets(n: int, p: int, k: int, mode: str, rng: np.random.Generator) -> np.ndarray:
    """(P, k) ordered tuples of distinct latent indices: P uniform draws, or every ordered k-subset."""
    if mode == "all":
        all_tuples = np.array(list(itertools.permutations(range(n), k)), dtype=np.int64)
        if len(all_tuples) != p:
            raise ConfigError(f"subsets='all' gives N!/(N-k)! = {len(all_tuples)} observations, but P={p}")
        return all_tuples
    return np.argsort(rng.random((p, n)), axis=1)[:, :k].astype(np.int64)


def make_distribution(options: LOOptions | dict[str, Any]) -> LODistribution:
    """Build the fixed distribution described by ``options`` (``LOOptions`` or a dict of its fields)."""
    o = resolve_options(options)
    n, p = o.N, o.P
    rng = np.random.default_rng([o.dist_seed, 0x10])
    subsets = _draw_subsets(n, p, o.k, o.subsets, rng)
    perm = np.arange(n + p, dtype=np.int64) if o.perm == "identity" else rng.permutation(n + p)
    return _frozen(LODistribution(o.kind, o.predicate, n, p, o.m, o.k, float(o.eta), subsets, perm.astype(np.int64),
                                  o.pad_to, o.dist_seed))


def make_tokenizer(dist: LODistribution) -> SymbolTable:
    """Data symbols "0".."V_d-1", then "<pad>", then "[MASK]"."""
    symbols = tuple(str(i) for i in range(dist.n_data_values)) + ("<pad>", "[MASK]")
    return SymbolTable(symbols, mask_id=dist.mask_id, pad_id=dist.pad_id)


@dataclass(frozen=True, eq=False)
class LOSource:
    """Fresh samples per batch: ``batch(step, rank, B)`` is a pure function of (seed, step, rank, B)."""

    dist: LODistribution
    seed: int

    def batch(self, step: int, rank: int, batch_size: int) -> dict[str, torch.Tensor]:
        """Returns {"x0": (B, length) int64, "is_fixed": (B, length) bool (pad positions)}."""
        rng = np.random.default_rng([int(self.seed), int(step), int(rank), 0x10])
        x0 = torch.from_numpy(self.dist.sample(batch_size, rng))
        is_fixed = torch.from_numpy(self.dist.is_fixed()).unsqueeze(0).expand(batch_size, -1).clone()
        return {"x0": x0, "is_fixed": is_fixed}


def make_evaluator(dist: LODistribution, n_samples: int, seed: int):
    """Cheap periodic eval: one forward pass per metric (no decoding; tasks do not import the decoder).

    Metrics: ``obs_given_latents_acc`` = argmax accuracy of every observation when all latents are shown and
    all observations masked (out of distribution for an MDM: all observations are never masked while all latents
    are shown); ``latent_given_obs_acc`` = argmax accuracy of latents 1..N-1 when every observation and latent 0 are
    shown (a planted-CSP-like problem; latent 0 breaks NAE's flip symmetry, under which a latent given only
    observations is exactly 50/50); ``obs_tuple_visible_acc`` =
    in-distribution version of the first: half of all positions masked at random, argmax accuracy at the masked
    observations whose whole tuple is visible (1.0 once the model reads its latents; about 0.75 before).
    """
    rng = np.random.default_rng([seed, 0xE7A1])
    x0 = torch.from_numpy(dist.sample(n_samples, rng))
    lat, obs = torch.tensor(dist.latent_positions), torch.tensor(dist.obs_positions)
    half = torch.from_numpy(rng.random(x0.shape) < 0.5) & ~torch.from_numpy(dist.is_fixed())
    tuple_visible = (~half[:, lat])[:, torch.tensor(dist.subsets)].all(-1) & half[:, obs]  # (n, P)

    @torch.no_grad()
    def evaluate(model, step: int) -> dict[str, float]:
        device = next(model.parameters()).device if hasattr(model, "parameters") else "cpu"
        logits = model(x0.masked_fill(half, dist.mask_id).to(device)).float().cpu()
        logits[..., dist.mask_id] = float("-inf")
        right = logits[:, obs].argmax(-1) == x0[:, obs]
        out = {"obs_tuple_visible_acc": float(right[tuple_visible].float().mean())}
        for name, hide in (("obs_given_latents_acc", obs), ("latent_given_obs_acc", lat[1:])):
            xt = x0.clone()
            xt[:, hide] = dist.mask_id
            logits = model(xt.to(device)).float().cpu()
            logits[..., dist.mask_id] = float("-inf")
            out[name] = float((logits[:, hide].argmax(-1) == x0[:, hide]).float().mean())
        return out

    return evaluate


def build(opts: LOOptions, seed: int) -> TaskBundle:
    """Registry entry for task "lo" (``LOOptions``); ``seed`` drives the training data."""
    dist = make_distribution(opts)
    meta = {**dist.to_metadata(), "options": to_dict(opts)}
    return TaskBundle(name="lo", tokenizer=make_tokenizer(dist), source=LOSource(dist, seed),
                      model_fields={"vocab_size": dist.mask_id + 1, "max_len": dist.length},
                      metadata=meta, evaluate=make_evaluator(dist, opts.eval_samples, seed))


def distribution_from_task(task: dict[str, Any]) -> LODistribution:
    """The distribution of a loaded checkpoint's ``task`` dict ({"name", "options", "metadata"})."""
    if task.get("name") != "lo":
        raise ConfigError(f"checkpoint task is {task.get('name')!r}, not 'lo'")
    meta = task.get("metadata") or {}
    return LODistribution.from_metadata(meta) if "subsets" in meta else make_distribution(task.get("options", {}))


TASK = Task("lo", LOOptions, build, "latents-and-observations distributions (NAE-SAT, sparse parity, predicates)")
