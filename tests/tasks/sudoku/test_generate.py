import numpy as np

from anyorder.tasks.sudoku.board import is_complete_valid
from anyorder.tasks.sudoku.generate import generate
from anyorder.tasks.sudoku.solver import count_solutions


def test_deterministic_per_seed_and_index():
    p1, s1 = generate(40, seed=5)
    p2, s2 = generate(10, seed=5, start=30)
    assert np.array_equal(p1[30:], p2) and np.array_equal(s1[30:], s2)
    p3, _ = generate(40, seed=6)
    assert not np.array_equal(p1, p3)


def test_unique_minimal_and_consistent():
    p, s = generate(30, seed=1)
    assert is_complete_valid(s).all()
    assert ((p == 0) | (p == s)).all()
    assert (count_solutions(p) == 1).all()
    g = (p > 0).sum(1)
    assert g.min() >= 17 and g.max() <= 35
    # minimal: removing any single given of the first puzzle breaks uniqueness
    q = p[0]
    removed = np.repeat(q[None], (q > 0).sum(), axis=0)
    removed[np.arange(len(removed)), np.flatnonzero(q)] = 0
    assert (count_solutions(removed) >= 2).all()


def test_independent_of_thread_count():
    import numba

    n = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = generate(12, seed=8)
    finally:
        numba.set_num_threads(n)
    many = generate(12, seed=8)
    assert np.array_equal(one[0], many[0]) and np.array_equal(one[1], many[1])
