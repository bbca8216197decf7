import itertools
import math

import numpy as np
import pytest

from anyorder.errors import ConfigError
from anyorder.theory.bp import (
    PlantedCSP,
    check_balanced,
    clause_to_variable,
    initial_messages,
    kesten_stigum,
    overlap,
    predicate_table,
    run_bp,
    sample_planted,
    variable_beliefs,
    variable_to_clause,
)


def test_ks_threshold_nae_k3_m3_is_64():
    ks = kesten_stigum(predicate_table("nae", 3, 3))
    assert ks.lambda2 == pytest.approx(1 / 8)
    assert ks.degree == pytest.approx(32.0)
    assert ks.paper_d_over_k == pytest.approx(64.0)
    assert np.allclose(ks.transfer.sum(0), 1.0)


@pytest.mark.parametrize("m", [3, 4, 5])
def test_ks_threshold_planted_colouring_is_m_minus_1_squared(m):
    ks = kesten_stigum(predicate_table("neq", m, 2))
    assert ks.paper_d_over_k == pytest.approx((m - 1) ** 2)


def test_unbalanced_predicate_rejected():
    with pytest.raises(ConfigError, match="B.11"):
        check_balanced(np.array([[1.0, 1.0], [1.0, 0.0]]))


def test_sample_planted_clauses_satisfied_and_distinct():
    table = predicate_table("nae", 3, 3)
    csp = sample_planted(500, table, 20.0, np.random.default_rng(0))
    assert csp.clauses.shape[1] == 3
    assert abs(csp.paper_d_over_k - 20.0) < 2.0
    assert (table[tuple(csp.planted[csp.clauses].T)] == 1).all()
    s = np.sort(csp.clauses, axis=1)
    assert (s[:, 1:] != s[:, :-1]).all()


def test_uniform_messages_are_a_fixed_point():
    table = predicate_table("nae", 3, 3)
    csp = sample_planted(200, table, 10.0, np.random.default_rng(1))
    v2c = initial_messages(csp, "uniform", np.random.default_rng(0))
    c2v = clause_to_variable(table, v2c)
    assert np.allclose(c2v, 1 / 3)
    log_c2v = np.log(c2v)
    new = variable_to_clause(csp.clauses, log_c2v, variable_beliefs(csp.clauses, log_c2v, csp.n))
    assert np.allclose(new, v2c)


def test_clause_to_variable_matches_brute_force():
    table = predicate_table("nae", 3, 3)
    v2c = np.random.default_rng(2).dirichlet(np.ones(3), size=(4, 3))
    out = clause_to_variable(table, v2c)
    for a, s in itertools.product(range(4), range(3)):
        ref = np.zeros(3)
        for sig in itertools.product(range(3), repeat=3):
            ref[sig[s]] += table[sig] * math.prod(v2c[a, j, sig[j]] for j in range(3) if j != s)
        assert np.allclose(out[a, s], ref / ref.sum())


def test_overlap_is_colour_permutation_invariant():
    rng = np.random.default_rng(3)
    truth = rng.integers(0, 3, 300)
    est = np.where(rng.random(300) < 0.8, truth, rng.integers(0, 3, 300))
    base = overlap(truth, est, 3)
    for perm in itertools.permutations(range(3)):
        assert overlap(truth, np.array(perm)[est], 3) == pytest.approx(base)
    assert overlap(truth, truth, 3) == pytest.approx(1.0)
    assert abs(overlap(truth, rng.integers(0, 3, 300), 3)) < 0.15


def test_planted_init_recovers_at_high_degree_and_fails_at_low():
    table = predicate_table("nae", 3, 3)
    high = sample_planted(1000, table, 80.0, np.random.default_rng(4))
    low = sample_planted(1000, table, 30.0, np.random.default_rng(5))
    assert run_bp(high, "planted", np.random.default_rng(0), max_iter=50, tol=1e-5).overlap > 0.9
    assert run_bp(low, "planted", np.random.default_rng(0), max_iter=100, tol=1e-5).overlap < 0.3


@pytest.mark.slow
def test_random_init_above_ks_recovers():
    table = predicate_table("nae", 3, 3)
    csp = sample_planted(1500, table, 80.0, np.random.default_rng(6))
    res = run_bp(csp, "random", np.random.default_rng(0), max_iter=200, tol=1e-5, damping=0.5)
    assert res.overlap > 0.9 and res.converged


def test_bp_deterministic_given_rng():
    table = predicate_table("nae", 3, 3)
    csp = sample_planted(300, table, 60.0, np.random.default_rng(7))
    a = run_bp(csp, "random", np.random.default_rng(9), max_iter=20, damping=0.5)
    b = run_bp(csp, "random", np.random.default_rng(9), max_iter=20, damping=0.5)
    assert np.array_equal(a.estimate, b.estimate) and a.iterations == b.iterations


def test_unknown_init_raises():
    csp = PlantedCSP(np.zeros(3, dtype=np.int64), np.zeros((0, 3), dtype=np.int64), predicate_table("nae", 3, 3))
    with pytest.raises(ConfigError, match="valid"):
        initial_messages(csp, "warm", np.random.default_rng(0))
