"""numba helpers of the compiled solver loop, against numpy (the whole loop is checked against the Python
solver in test_solver.py)."""
import numpy as np

from anyorder.tasks.zebra import fast


def test_sweep_keeps_what_has_support_strictly_before_or_after():
    rng = np.random.default_rng(0)
    for _ in range(200):
        n = int(rng.integers(1, 7))
        src, dst = rng.random(n) < 0.4, rng.random(n) < 0.7
        idx = np.arange(n)
        after = np.array([dst[h] and src[idx < h].any() for h in range(n)], bool)
        before = np.array([dst[h] and src[idx > h].any() for h in range(n)], bool)
        got = dst.copy()
        fast._sweep(src, got, n, 1)
        assert (got == after).all()
        got = dst.copy()
        fast._sweep(src, got, n, -1)
        assert (got == before).all()


def test_options_counts_values_of_a_house_and_houses_of_a_value():
    rng = np.random.default_rng(1)
    dom = rng.random((3, 5, 5)) < 0.3
    for r in range(3):
        for i in range(5):
            for of_value, line in ((False, dom[r, i, :]), (True, dom[r, :, i])):
                hits = np.flatnonzero(line)
                assert fast._options(dom, r, i, of_value) == (len(hits), hits[-1] if len(hits) else -1)
