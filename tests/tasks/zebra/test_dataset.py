"""The shipped Zebra test split: size, sizes covered, solver orders, uniqueness, filters."""
import numpy as np

from anyorder.tasks.zebra.dataset import shipped
from anyorder.tasks.zebra.generate import SIZES
from anyorder.tasks.zebra.solver import solve
from anyorder.tasks.zebra.uniqueness import count_solutions


def test_shipped_split():
    items = shipped()
    assert len(items) == 1000
    assert {(p.n, p.m) for p, _ in items} == set(SIZES)
    for p, order in items[:20]:
        res = solve(p)
        assert res.solved and np.array_equal(res.fills, order) and (res.answer == p.answer).all()
        assert count_solutions(p) == 1
    small = shipped(sizes=((3, 3),), max_clues=6)
    assert small and all(p.size == "3x3" and len(p.clues) <= 6 for p, _ in small)
    assert len(shipped(5)) == 5
