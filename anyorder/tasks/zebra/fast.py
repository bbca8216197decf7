"""numba-compiled run loop of the deductive solver (same semantics and fill order as ``solver.Solver``'s Python
loop, which stays as the reference; ``tests/tasks/zebra/test_solver.py`` checks that both agree).

Arrays: ``dom`` (R, n, n) bool, ``filled`` (R, n) bool, ``kinds`` (K,) int64 (index in CLUE_TYPES), ``ops``
(K, 3, 2) int64 (row, value) of each operand, ``nops`` (K,), ``used`` (K,) bool, ``fills`` (R * n, 5) int64 and
``counters`` = [number of fills, next step]. Returns 0 = stuck, 1 = solved, 2 = contradiction.
"""
from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def _count(x):
    c = 0
    for i in range(x.shape[0]):
        if x[i]:
            c += 1
    return c


@njit(cache=True, inline="always")  # inlined: as fast as the two hand-written loops it replaces
def _options(dom, r, i, of_value):
    """(count, last index) of the True entries of ``dom[r, i, :]`` (the values house i may take) or, with
    ``of_value``, of ``dom[r, :, i]`` (the houses value i may be in); last = -1 when there are none."""
    c, last = 0, -1
    for j in range(dom.shape[1]):
        if dom[r, j, i] if of_value else dom[r, i, j]:
            c += 1
            last = j
    return c, last


@njit(cache=True)
def _propagate(kind, locs, n):
    """In-place GAC of one clue on its operands' possible houses ``locs`` (k, n) bool (solver.propagate_clue)."""
    a = locs[0]
    if kind == 3:  # ends
        for h in range(1, n - 1):
            a[h] = False
        return
    b = locs[1]
    if kind == 0:  # =
        for h in range(n):
            v = a[h] and b[h]
            a[h] = v
            b[h] = v
    elif kind == 1:  # !=
        ca = _count(a)
        for h in range(n):
            b[h] = b[h] and (ca - (1 if a[h] else 0)) > 0
        cb = _count(b)
        for h in range(n):
            a[h] = a[h] and (cb - (1 if b[h] else 0)) > 0
    elif kind == 2:  # nbr
        nb = b.copy()
        for h in range(n):
            nb[h] = b[h] and ((h > 0 and a[h - 1]) or (h < n - 1 and a[h + 1]))
        na = a.copy()
        for h in range(n):
            na[h] = a[h] and ((h > 0 and nb[h - 1]) or (h < n - 1 and nb[h + 1]))
        a[:] = na
        b[:] = nb
    elif kind == 4:  # immediate-left
        for h in range(n - 1, -1, -1):
            b[h] = b[h] and h > 0 and a[h - 1]
        for h in range(n):
            a[h] = a[h] and h < n - 1 and b[h + 1]
    elif kind == 5:  # left-of
        _sweep(a, b, n, 1)
        _sweep(b, a, n, -1)
    else:  # inbetween: a < b < c
        c = locs[2]
        _sweep(a, b, n, 1)
        _sweep(b, c, n, 1)
        _sweep(c, b, n, -1)
        _sweep(b, a, n, -1)


@njit(cache=True, inline="always")
def _sweep(src, dst, n, step):
    """dst[h] &= some src[h'] with h' < h (``step`` 1) or h' > h (``step`` -1): one pass in that direction."""
    seen = False
    h = 0 if step > 0 else n - 1
    for _ in range(n):
        ok = seen
        seen = seen or src[h]
        dst[h] = dst[h] and ok
        h += step


@njit(cache=True)
def _fill(dom, filled, fills, counters, rule):
    """Fill every decided cell (solver.Solver._decided / _fill). Returns 1 filled, 0 none, -1 contradiction."""
    r_n, n = filled.shape
    cellval = np.full((r_n, n), -1, np.int64)
    for r in range(r_n):
        for h in range(n):  # a house with one possible value
            c, v = _options(dom, r, h, False)
            if c == 0:
                return -1
            if c == 1 and not filled[r, h]:
                cellval[r, h] = v
        for v in range(n):  # a value with one possible house
            c, h = _options(dom, r, v, True)
            if c == 0:
                return -1
            if c == 1 and not filled[r, h]:
                if cellval[r, h] >= 0 and cellval[r, h] != v:
                    return -1
                cellval[r, h] = v
    any_fill = False
    for r in range(r_n):
        for h in range(n):
            v = cellval[r, h]
            if v < 0:
                continue
            for h2 in range(h + 1, n):
                if cellval[r, h2] == v:
                    return -1
            any_fill = True
    if not any_fill:
        return 0
    step = counters[1]
    for r in range(r_n):
        for h in range(n):
            v = cellval[r, h]
            if v < 0:
                continue
            for u in range(n):
                dom[r, h, u] = u == v
            for h2 in range(n):
                if h2 != h:
                    dom[r, h2, v] = False
            filled[r, h] = True
            k = counters[0]
            fills[k, 0] = r
            fills[k, 1] = h
            fills[k, 2] = v
            fills[k, 3] = step
            fills[k, 4] = rule
            counters[0] = k + 1
    counters[1] = step + 1
    return 1


@njit(cache=True)
def run(dom, filled, kinds, ops, nops, used, fills, counters):
    """The solver loop (solver.Solver.run); returns 0 stuck, 1 solved, 2 contradiction."""
    r_n, n = filled.shape
    locs = np.zeros((3, n), np.bool_)
    while True:
        f = _fill(dom, filled, fills, counters, -1)
        if f < 0:
            return 2
        if f > 0:
            continue
        if filled.all():
            return 1
        changed = False
        filled_now = False
        for i in range(kinds.shape[0]):
            k = nops[i]
            for j in range(k):
                locs[j] = dom[ops[i, j, 0], :, ops[i, j, 1]]
            old = locs[:k].copy()
            _propagate(kinds[i], locs, n)
            diff = False
            for j in range(k):
                for h in range(n):
                    if locs[j, h] != old[j, h]:
                        diff = True
                        dom[ops[i, j, 0], h, ops[i, j, 1]] = locs[j, h]
            if not diff:
                continue
            used[i] = True
            changed = True
            f = _fill(dom, filled, fills, counters, i)
            if f < 0:
                return 2
            if f > 0:
                filled_now = True
                break
        if not filled_now and not changed:
            return 1 if filled.all() else 0
