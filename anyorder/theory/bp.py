"""Planted constraint satisfaction problems and belief propagation (paper App. B.4: Def. B.9-B.12, Figure 4).

Planted CSP (Def. B.9): sigma ~ Unif({0..m-1}^N); clauses are k-tuples of distinct variables that satisfy a
predicate g under sigma. The paper includes every ordered k-tuple independently with probability phi/N^(k-1);
here the number of clauses is M ~ Poisson(mean) and each clause is a uniform random satisfying tuple of distinct
variables. Conditioned on the count, independent inclusion gives a uniform subset of the satisfying tuples, and
the Poisson count matches Binomial(#satisfying, p) up to O(1/N^(k-1)); drawing with replacement differs from a
subset only by duplicate clauses, O(M^2/N^k) = O(1/N^(k-2)) of them. Degree convention (see docs/theory.md):
``d = k M / N`` is the mean variable degree of the factor graph and the paper's ``D / k = k! M / N`` counts each
clause in all k! orders, which is the convention under which the paper's D_KS/k = 64 (k=3, m=3, NAE) and
D_KS/2 = 16 (planted 5-colouring) both hold.

BP (Def. B.10, eqs. 4-5) runs on all clause-variable edges at once, in numpy:
  clause -> variable  psi_{a->i}(c) ∝ sum_{sigma on a \\ i} g(sigma with c at i) prod_{j != i} nu_{j->a}(sigma_j)
  variable -> clause  nu_{i->a}(c)  ∝ prod_{b ∋ i, b != a} psi_{b->i}(c)            (log domain)
Marginals ∝ prod_{b ∋ i} psi_{b->i}; the estimate is their argmax.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numba
import numpy as np

from anyorder.errors import ConfigError
from anyorder.tasks.lo import get_predicate

_FLOOR = 1e-12


def predicate_table(predicate: str, m: int, k: int) -> np.ndarray:
    """g as an array of shape (m,)*k with entries 1.0 (satisfied) / 0.0."""
    grid = np.array(list(itertools.product(range(m), repeat=k)), dtype=np.int64)
    return get_predicate(predicate)(grid).astype(np.float64).reshape((m,) * k)


def check_balanced(table: np.ndarray) -> None:
    """Assumption B.11: #satisfying assignments with colour c at slot i is constant in (c, i); else ConfigError."""
    k = table.ndim
    counts = np.stack([table.sum(axis=tuple(a for a in range(k) if a != i)) for i in range(k)])
    if not np.allclose(counts, counts.flat[0]) or counts.flat[0] == 0:
        raise ConfigError(f"predicate violates Assumption B.11 (slot/colour counts {counts.tolist()})")


@dataclass(frozen=True)
class KSResult:
    """Kesten-Stigum threshold of the paramagnetic fixed point.

    Attributes:
        transfer: (m, m) W[c, c'] = P(sigma_i = c | sigma_j = c') for a uniform satisfying clause assignment.
        lambda2: largest |eigenvalue| of W on the sum-zero subspace (the linearised clause channel).
        degree: mean variable degree d_KS = 1 / ((k-1) lambda2^2).
        paper_d_over_k: the same threshold as the paper's D_KS / k = (k-1)! d_KS.
    """

    transfer: np.ndarray
    lambda2: float
    degree: float
    paper_d_over_k: float


def kesten_stigum(table: np.ndarray) -> KSResult:
    """Linearise BP at the uniform messages (see docs/theory.md for the derivation).

    A perturbation nu_{j->a} = 1/m + delta_j (sum-zero) gives psi_{a->i} = 1/m + sum_{j != i} W delta_j, and
    nu_{i->a} = 1/m + sum_{b != a} (psi_{b->i} - 1/m). Along a random tree a perturbation is multiplied by W at
    each clause and fans out to (k-1) * (excess degree) descendants; with Poisson degrees the excess degree has
    mean d. Uncorrelated perturbations add in variance, so the uniform point is stable iff
    (k-1) d lambda2^2 < 1.
    """
    check_balanced(table)
    k, m = table.ndim, table.shape[0]
    pair = table.sum(axis=tuple(range(2, k))) if k > 2 else table        # (m, m): counts with slots 0, 1
    pairs = [np.moveaxis(table, (i, j), (0, 1)).sum(axis=tuple(range(2, k))) if k > 2
             else np.moveaxis(table, (i, j), (0, 1)) for i, j in itertools.permutations(range(k), 2)]
    if not all(np.allclose(p, pair) for p in pairs):
        raise ConfigError("kesten_stigum needs a predicate symmetric under permutations of its slots")
    transfer = pair / pair.sum(axis=0, keepdims=True)
    proj = np.eye(m) - np.full((m, m), 1.0 / m)
    lam = float(np.max(np.abs(np.linalg.eigvals(proj @ transfer @ proj))))
    degree = math.inf if lam == 0 else 1.0 / ((k - 1) * lam ** 2)
    return KSResult(transfer, lam, degree, degree * math.factorial(k - 1))


@dataclass(frozen=True, eq=False)
class PlantedCSP:
    """A planted instance: ``planted`` (N,) colours, ``clauses`` (M, k) variable indices, ``table`` g."""

    planted: np.ndarray
    clauses: np.ndarray
    table: np.ndarray

    @property
    def n(self) -> int:
        return len(self.planted)

    @property
    def paper_d_over_k(self) -> float:
        """The paper's D/k = k! M / N."""
        return math.factorial(self.table.ndim) * len(self.clauses) / self.n


def sample_planted(n: int, table: np.ndarray, d_over_k: float, rng: np.random.Generator) -> PlantedCSP:
    """Planted CSP with Poisson(N (D/k) / k!) uniform satisfying clauses of distinct variables (Def. B.9)."""
    k, m = table.ndim, table.shape[0]
    sigma = rng.integers(0, m, size=n)
    n_clauses = int(rng.poisson(n * d_over_k / math.factorial(k)))
    found, have = [], 0
    while have < n_clauses:
        cand = rng.integers(0, n, size=(int(1.5 * (n_clauses - have)) + 16, k))
        s = np.sort(cand, axis=1)
        ok = (s[:, 1:] != s[:, :-1]).all(1) & (table[tuple(sigma[cand].T)] > 0)
        found.append(cand[ok])
        have += int(ok.sum())
    clauses = np.concatenate(found)[:n_clauses] if found else np.zeros((0, k), dtype=np.int64)
    return PlantedCSP(sigma, clauses.astype(np.int64), table)


def clause_to_variable(table: np.ndarray, v2c: np.ndarray) -> np.ndarray:
    """Eq. (5): (M, k, m) variable->clause messages -> (M, k, m) normalised clause->variable messages."""
    n_cl, k, m = v2c.shape
    out = np.empty_like(v2c)
    for s in range(k):
        others = [j for j in range(k) if j != s]
        outer = v2c[:, others[0]]
        for j in others[1:]:
            outer = (outer[:, :, None] * v2c[:, j, None, :]).reshape(n_cl, -1)
        out[:, s] = outer @ np.moveaxis(table, s, -1).reshape(-1, m)
    out /= out.sum(-1, keepdims=True)
    return out


def variable_beliefs(clauses: np.ndarray, log_c2v: np.ndarray, n: int) -> np.ndarray:
    """(N, m) sum over incident clauses of log psi_{b->i} (unnormalised log marginals)."""
    var = clauses.reshape(-1)
    flat = log_c2v.reshape(len(var), -1)
    return np.stack([np.bincount(var, weights=flat[:, c], minlength=n) for c in range(flat.shape[1])], axis=1)


def variable_to_clause(clauses: np.ndarray, log_c2v: np.ndarray, total: np.ndarray) -> np.ndarray:
    """Eq. (4): cavity product excluding the receiving clause; (M, k, m) normalised messages."""
    logit = total[clauses] - log_c2v
    logit -= logit.max(-1, keepdims=True)
    msg = np.exp(logit)
    return msg / msg.sum(-1, keepdims=True)


def overlap(truth: np.ndarray, estimate: np.ndarray, m: int) -> float:
    """max over colour permutations of the agreement fraction q, normalised as (q - 1/m) / (1 - 1/m)."""
    conf = np.zeros((m, m))
    np.add.at(conf, (truth, estimate), 1.0)
    perms = np.array(list(itertools.permutations(range(m))))
    q = conf[np.arange(m), perms].sum(1).max() / len(truth)
    return float((q - 1.0 / m) / (1.0 - 1.0 / m))


@dataclass(frozen=True)
class BPResult:
    """Outcome of one BP run: normalised overlap, argmax colours (N,), iterations used, convergence flag."""

    overlap: float
    estimate: np.ndarray
    iterations: int
    converged: bool


def initial_messages(csp: PlantedCSP, init: str, rng: np.random.Generator) -> np.ndarray:
    """(M, k, m) variable->clause messages: 'planted' (one-hot sigma), 'random' (uniform random, normalised)
    or 'uniform' (the paramagnetic fixed point)."""
    m = csp.table.shape[0]
    shape = csp.clauses.shape + (m,)
    if init == "planted":
        return np.eye(m)[csp.planted[csp.clauses]]
    if init == "random":
        msg = rng.random(shape)
        return msg / msg.sum(-1, keepdims=True)
    if init == "near_uniform":
        msg = 1.0 + 0.1 * (rng.random(shape) - 0.5)
        return msg / msg.sum(-1, keepdims=True)
    if init == "uniform":
        return np.full(shape, 1.0 / m)
    raise ConfigError(f"unknown BP init {init!r}; valid: ['near_uniform', 'planted', 'random', 'uniform']")


@numba.njit(cache=True)
def _sequential_sweep(clauses, psi, total, order, table_flat, digits, floor, damping):  # pragma: no cover (numba)
    """One sweep of sequential BP over clauses in ``order``; updates psi (M, k, m) and total (N, m) in place.

    For clause a: cavity nu_{i->a} ∝ exp(total_i - log psi_{a->i}) (eq. 4), then eq. (5) over the satisfying
    assignments of the table; total_i is kept equal to sum_b log psi_{b->i}. Returns max |psi change|.
    """
    k, m = clauses.shape[1], psi.shape[2]
    nu = np.empty((k, m))
    new = np.empty((k, m))
    delta = 0.0
    for a in order:
        for s in range(k):
            i = clauses[a, s]
            hi = -np.inf
            for c in range(m):
                nu[s, c] = total[i, c] - np.log(psi[a, s, c])
                hi = max(hi, nu[s, c])
            z = 0.0
            for c in range(m):
                nu[s, c] = np.exp(nu[s, c] - hi)
                z += nu[s, c]
            for c in range(m):
                nu[s, c] /= z
        new[:] = 0.0
        for t in range(digits.shape[0]):
            if table_flat[t] == 0.0:
                continue
            for s in range(k):
                p = table_flat[t]
                for j in range(k):
                    if j != s:
                        p *= nu[j, digits[t, j]]
                new[s, digits[t, s]] += p
        for s in range(k):
            i = clauses[a, s]
            z = new[s].sum()
            for c in range(m):
                v = max((1.0 - damping) * new[s, c] / z + damping * psi[a, s, c], floor)
                delta = max(delta, abs(v - psi[a, s, c]))
                total[i, c] += np.log(v) - np.log(psi[a, s, c])
                psi[a, s, c] = v
    return delta


def run_bp(csp: PlantedCSP, init: str, rng: np.random.Generator, max_iter: int = 300, tol: float = 1e-6,
           damping: float = 0.0) -> BPResult:
    """BP from ``init`` messages (eq. 5 applied to them), then sequential sweeps (eqs. 4-5, random clause order
    each sweep) until max |change| < tol or max_iter sweeps; returns the overlap of argmax marginals with sigma.

    Sequential updates are used because parallel (synchronous) BP oscillates here: at the uniform point the
    spatially uniform colour-bias mode has eigenvalue (k-1) d lambda_W < -1 (lambda_W = -1/8 for NAE), so
    parallel iterations from a random start never settle without heavy damping (see docs/theory.md).
    """
    m, k = csp.table.shape[0], csp.table.ndim
    psi = np.maximum(clause_to_variable(csp.table, initial_messages(csp, init, rng)), _FLOOR)
    digits = np.array(list(itertools.product(range(m), repeat=k)), dtype=np.int64)
    table_flat = csp.table.reshape(-1).astype(np.float64)
    it, converged = 0, False
    for it in range(1, max_iter + 1):
        total = variable_beliefs(csp.clauses, np.log(psi), csp.n)
        delta = _sequential_sweep(csp.clauses, psi, total, rng.permutation(len(csp.clauses)), table_flat,
                                  digits, _FLOOR, damping)
        if delta < tol:
            converged = True
            break
    estimate = variable_beliefs(csp.clauses, np.log(psi), csp.n).argmax(1)
    return BPResult(overlap(csp.planted, estimate, m), estimate, it, converged)
