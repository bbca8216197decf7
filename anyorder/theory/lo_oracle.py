"""Reference denoisers for L&O distributions (paper Sec. 3.1-3.3, Sec. 4.2 / Table 1), used to test the experiments.

Both map tokens (B, L) int64 (``dist.mask_id`` at hidden positions) to logits (B, L, V) like a trained MDM, so they
plug into ``anyorder.decode.decode`` and the imbalance metric:

- ``ExactOracle``: the Bayes posterior p(x^i | x[visible]) at every position, by enumerating the completions
  of the hidden latents (at most ~16 hidden). Sampling from it in any order yields exact samples, so every order scores 100% on the
  observation check.
- ``LocalOracle``: exact on the *easy* subproblems only (an observation from the visible latents of its own tuple,
  marginalising its hidden ones) and the prior on latents (it never infers a latent from observations, the hard
  problem). It models an MDM that learned the tractable part of the distribution. With one token per step and
  sampled values its Table 1 scores are known in closed form (``local_oracle_accuracy``).
"""
from __future__ import annotations

import itertools
import math

import numpy as np
import torch

from anyorder.errors import InputError
from anyorder.tasks.lo import LODistribution, get_predicate

_BIG = 30.0  # logit of an impossible value is -_BIG relative to a certain one


def _check(dist: LODistribution, xt: torch.Tensor) -> None:
    if xt.ndim != 2 or xt.shape[1] != dist.length:
        raise InputError(f"L&O oracle expects (B, {dist.length}) tokens, got {tuple(xt.shape)}")


def _to_logits(probs: torch.Tensor, dist: LODistribution) -> torch.Tensor:
    """(B, L, V_d) probabilities -> (B, L, V) logits with pad / [MASK] at -_BIG below the data values."""
    b, length, _ = probs.shape
    logits = torch.full((b, length, dist.mask_id + 1), -_BIG, dtype=torch.float32)
    logits[..., : probs.shape[-1]] = probs.clamp(min=math.exp(-_BIG)).log().float()
    return logits


class ExactOracle:
    """Exact conditionals p(x^i | x[visible]) of an L&O distribution (``eta`` included).

    Per row, enumerates every completion of the *hidden* latents (m^h for h hidden latents, h <= ``max_hidden``),
    weights each by the likelihood of the visible observations, and averages. Rows with fewer hidden latents than
    the batch maximum enumerate some completions several times, equally often, so the weights stay exact.
    """

    def __init__(self, dist: LODistribution, max_hidden: int = 16) -> None:
        self.dist, self.max_hidden = dist, max_hidden
        self.predicate = get_predicate(dist.predicate)

    def __call__(self, xt: torch.Tensor) -> torch.Tensor:
        d = self.dist
        _check(d, xt)
        xt = xt.cpu()
        lat, obs = xt[:, torch.tensor(d.latent_positions)], xt[:, torch.tensor(d.obs_positions)]
        hidden = lat >= d.m  # (B, N)
        h = int(hidden.sum(1).max())
        if h > self.max_hidden:
            raise InputError(f"ExactOracle enumerates m^h completions of the hidden latents; h={h} > {self.max_hidden}")
        b, n = lat.shape
        combos = torch.tensor(list(itertools.product(range(d.m), repeat=h)), dtype=torch.long).reshape(d.m ** h, h)
        # column c of the combos fills the row's c-th hidden latent (or a dummy slot n when the row has fewer)
        order = torch.argsort((~hidden).to(torch.int8), dim=1, stable=True)[:, :h]  # hidden indices first
        slot = torch.where(torch.gather(hidden, 1, order), order, n)  # (B, h)
        z = torch.cat([lat.clamp(max=d.m - 1), torch.zeros(b, 1, dtype=torch.long)], 1)
        z = z[:, None, :].expand(b, len(combos), n + 1).clone()  # (B, Z, N + 1)
        z.scatter_(2, slot[:, None, :].expand(b, len(combos), h), combos[None].expand(b, -1, -1))
        z = z[..., :n]
        g = torch.from_numpy(self.predicate(z[..., torch.tensor(d.subsets)].numpy()).astype(np.float64))  # (B,Z,P)
        o1, o0 = (obs == 1).double(), (obs == 0).double()
        n_mismatch = torch.einsum("bp,bzp->bz", o1, 1 - g) + torch.einsum("bp,bzp->bz", o0, g)
        n_match = (o1 + o0).sum(1, keepdim=True) - n_mismatch
        if d.eta > 0:
            loglik = n_mismatch * math.log(d.eta) + n_match * math.log1p(-d.eta)
        else:
            loglik = torch.where(n_mismatch > 0, -math.inf, 0.0).double()
        w = torch.nan_to_num(torch.softmax(loglik, dim=1), nan=1.0 / loglik.shape[1])  # (B, Z); uniform if none fit
        probs = torch.zeros(b, d.length, d.n_data_values, dtype=torch.float64)
        z_onehot = torch.nn.functional.one_hot(z, d.m).double()  # (B, Z, N, m)
        probs[:, torch.tensor(d.latent_positions), : d.m] = torch.einsum("bz,bznv->bnv", w, z_onehot)
        p1 = torch.einsum("bz,bzp->bp", w, g)  # P(noiseless observation = 1)
        p1 = p1 * (1 - d.eta) + (1 - p1) * d.eta
        probs[:, torch.tensor(d.obs_positions), 1] = p1
        probs[:, torch.tensor(d.obs_positions), 0] = 1 - p1
        probs[:, d.n_latents + d.n_obs:, :] = 1.0 / d.n_data_values  # pad (never decoded)
        return _to_logits(probs, d)


class LocalOracle:
    """Observation j: P(g(latents[subsets[j]]) = 1 | visible latents of its own tuple); latents: the prior."""

    def __init__(self, dist: LODistribution) -> None:
        self.dist = dist
        k, m = dist.k, dist.m
        self.completions = torch.from_numpy(np.array(list(itertools.product(range(m), repeat=k)), dtype=np.int64))
        g = get_predicate(dist.predicate)(self.completions.numpy()).astype(np.float64)
        self.g = torch.from_numpy(g)  # (m^k,)

    def __call__(self, xt: torch.Tensor) -> torch.Tensor:
        d = self.dist
        _check(d, xt)
        xt = xt.cpu()
        lat = xt[:, torch.tensor(d.latent_positions)]
        tup = lat[:, torch.tensor(d.subsets)]  # (B, P, k)
        vis = tup < d.m
        # a completion c of the k-tuple is compatible where every visible latent equals it; uniform over those
        ok = ((tup[..., None, :] == self.completions) | ~vis[..., None, :]).all(-1).double()  # (B, P, m^k)
        p1 = (ok @ self.g) / ok.sum(-1)
        p1 = p1 * (1 - d.eta) + (1 - p1) * d.eta
        probs = torch.full((xt.shape[0], d.length, d.n_data_values), 1.0 / d.n_data_values, dtype=torch.float64)
        probs[:, torch.tensor(d.latent_positions), : d.m] = 1.0 / d.m
        probs[:, torch.tensor(d.latent_positions), d.m:] = 0.0
        probs[:, torch.tensor(d.obs_positions), 1] = p1
        probs[:, torch.tensor(d.obs_positions), 0] = 1 - p1
        probs[:, torch.tensor(d.obs_positions), 2:] = 0.0
        return _to_logits(probs, d)


def local_oracle_accuracy(dist: LODistribution, order: str) -> float | None:
    """Expected observation accuracy of ``LocalOracle`` with sampled values, one token per step.

    ``order="vanilla"`` (uniformly random order): observation j is decoded after r of its k latents, r uniform on
    {0..k}; given those latents the noiseless value is 1 with probability q, the oracle samples 1 with probability
    q' = q (1 - eta) + (1 - q) eta, and the hidden latents are drawn later independently, so it is right with
    probability E[q q' + (1 - q)(1 - q')]. ``order="adaptive"`` (top_prob / margin): when the marginal a = P(g = 1)
    is not 1/2, every observation outranks the uniform latents, so all observations are drawn first: a a' + (1-a)(1-a')
    with a' the noisy marginal. NAE-SAT: vanilla 3/4, adaptive 5/8. Returns None for adaptive when a = 1/2 (ties).
    """
    k, m, eta = dist.k, dist.m, dist.eta
    comps = np.array(list(itertools.product(range(m), repeat=k)), dtype=np.int64)
    g = get_predicate(dist.predicate)(comps).astype(np.float64)

    def right(q: float) -> float:
        q_noisy = q * (1 - eta) + (1 - q) * eta
        return q * q_noisy + (1 - q) * (1 - q_noisy)

    if order == "adaptive":
        return None if abs(g.mean() - 0.5) < 1e-12 else float(right(g.mean()))
    if order != "vanilla":
        raise InputError(f"order must be 'vanilla' or 'adaptive', got {order!r}")
    total = 0.0
    for r in range(k + 1):  # the first r latents of the tuple are visible (the predicates are symmetric)
        acc = 0.0
        for prefix in itertools.product(range(m), repeat=r):
            acc += right(g[(comps[:, :r] == np.array(prefix, dtype=np.int64)).all(1)].mean()) / m ** r
        total += acc / (k + 1)
    return float(total)
