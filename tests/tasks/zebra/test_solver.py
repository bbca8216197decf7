"""Deductive solver: order cross-checked against an independent brute-force propagation; soundness."""
import numpy as np
import pytest

from anyorder.tasks.zebra.generate import SIZES, generate, generate_one
from anyorder.tasks.zebra.puzzle import Clue, Puzzle
from anyorder.tasks.zebra.solver import SINGLE, propagate_clue, solve
from anyorder.tasks.zebra.uniqueness import brute_force_solutions, count_solutions
from tests.tasks.zebra.reference import reference_fills


@pytest.mark.slow
@pytest.mark.parametrize("count", [300])
def test_order_matches_bruteforce_propagation_on_300_puzzles(count):
    _check_orders(count, seed=11)


def test_order_matches_bruteforce_propagation_small():
    _check_orders(30, seed=12)


def _check_orders(count, seed):
    items = generate(count, seed=seed)
    for k, (p, res) in enumerate(items):
        status, ref = reference_fills(p)
        assert status == "solved", k
        assert [tuple(f) for f in res.fills.tolist()] == ref, k


def test_order_matches_on_stuck_prefixes():
    """Dropping clues leaves puzzles the solver cannot finish: the partial orders agree as well."""
    rng = np.random.default_rng(3)
    for p, _ in generate(30, seed=5):
        keep = [c for c in p.clues if rng.random() < 0.6]
        q = Puzzle(p.n, p.m, keep, p.answer)
        res = solve(q)
        status, ref = reference_fills(q)
        assert res.status == status
        assert [tuple(f) for f in res.fills.tolist()] == ref
        filled = res.answer >= 0
        assert (res.answer[filled] == p.answer[filled]).all()  # sound: decided cells are right


@pytest.mark.parametrize("kind", ["=", "!=", "nbr", "immediate-left", "left-of", "inbetween", "ends"])
def test_propagators_are_exact_arc_consistency(kind):
    import itertools

    from anyorder.tasks.zebra.puzzle import ARITY, holds
    rng = np.random.default_rng(0)
    k = sum(ARITY[kind])
    for n in (3, 4, 6):
        for _ in range(200):
            locs = [rng.random(n) < 0.6 for _ in range(k)]
            got = propagate_clue(kind, [x.copy() for x in locs], n)
            want = [np.zeros(n, bool) for _ in range(k)]
            for pos in itertools.product(*[np.nonzero(x)[0] for x in locs]):
                if holds(kind, tuple(int(p) for p in pos), n):
                    for j, h in enumerate(pos):
                        want[j][h] = True
            for g, w in zip(got, want):
                assert (g == w).all(), (kind, n, locs)


def test_rules_recorded():
    p, res = generate_one(4, 4, np.random.default_rng(2))
    rules = res.fills[:, 4]
    assert ((rules == SINGLE) | ((rules >= 0) & (rules < len(p.clues)))).all()
    assert (np.diff(res.fills[:, 3]) >= 0).all()  # steps non-decreasing
    assert len(res.fills) == p.n * p.m
    assert res.fills[0, 4] != SINGLE  # the first fill needs a clue


def test_generated_puzzles_are_unique_sat_and_bruteforce():
    for (n, m) in SIZES:
        p, res = generate_one(n, m, np.random.default_rng(n * 10 + m))
        assert res.solved and (res.answer == p.answer).all()
        assert p.satisfied_by(p.answer)
        assert count_solutions(p) == 1
    for p, _ in generate(20, seed=1, sizes=((3, 3), (3, 2))):
        sols = brute_force_solutions(p)
        assert len(sols) == 1 and (sols[0] == p.answer).all()
        assert count_solutions(p, limit=5) == 1


def test_sat_counts_multiple_solutions():
    p = Puzzle(3, 2, [Clue("=", (("c", 0, 0),), (("c", 1, 0),))])
    assert count_solutions(p, limit=100) == len(brute_force_solutions(p)) == 6 * 6 // 3
    assert solve(p).status == "stuck"


def test_contradiction_detected():
    p = Puzzle(3, 2, [Clue("=", (("c", 0, 0),), (("n", 0, 0),)), Clue("=", (("c", 0, 0),), (("n", 0, 1),))])
    assert solve(p).status == "contradiction"
    assert count_solutions(p) == 0


def test_generation_is_deterministic():
    a = generate(5, seed=9)
    b = generate(5, seed=9)
    for (p, r), (q, s) in zip(a, b):
        assert p.clues == q.clues and (p.answer == q.answer).all() and (r.fills == s.fills).all()


def test_ranges_and_parallel_generation_match():
    from anyorder.tasks.zebra.generate import generate_parallel
    whole = generate(6, seed=3, sizes=((3, 3),))
    part = generate(3, seed=3, sizes=((3, 3),), start=3)
    assert [p.clues for p, _ in whole[3:]] == [p.clues for p, _ in part]
    par = generate_parallel(6, seed=3, sizes=((3, 3),), workers=2)
    assert [p.clues for p, _ in par] == [p.clues for p, _ in whole]


def test_numba_loop_equals_python_loop():
    rng = np.random.default_rng(8)
    for p, _ in generate(25, seed=21):
        for q in (p, Puzzle(p.n, p.m, [c for c in p.clues if rng.random() < 0.6], p.answer)):
            a, b = solve(q, fast=True), solve(q, fast=False)
            assert a.status == b.status
            assert np.array_equal(a.fills, b.fills) and np.array_equal(a.used, b.used)
            assert np.array_equal(a.answer, b.answer)
    bad = Puzzle(3, 2, [Clue("=", (("c", 0, 0),), (("n", 0, 0),)), Clue("=", (("c", 0, 0),), (("n", 0, 1),))])
    assert solve(bad, fast=True).status == solve(bad, fast=False).status == "contradiction"
