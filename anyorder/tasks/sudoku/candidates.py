"""Candidate (pencil-mark) state of the step solver, with the iteration-order rules of CPython sets.

State per puzzle: cand (81, 9) each cell's candidates in iteration order, cn (81,) how many, cmask (81,) the same
as a bitmask (bit d = digit d); placed cells have cn = 0. The step solver (techniques.py) reproduces a reference
that iterates Python sets: a set built by inserting <= 4 digits lives in an 8-slot table (slot = digit & 7,
collisions re-probed with i = 5 i + 1 + (perturb >>= 5)), so it yields e.g. {1, 8} as 8, 1 and {1, 9} in insertion
order; sets of >= 5 digits live in a 32-slot table and iterate ascending. Every update builds a new set from the
old one's digits in their order (set difference), which ``remove_candidates`` mirrors.
"""
from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def popcount(m):
    c = 0
    while m:
        m &= m - 1
        c += 1
    return c


@njit(cache=True)
def store_candidates(cand, cn, cmask, cell, digits, n):
    """Give ``cell`` the candidates digits[:n] (inserted in that order) with CPython set layout."""
    m = 0
    for k in range(n):
        m |= 1 << digits[k]
    cmask[cell] = m
    cn[cell] = n
    if n >= 5:  # 32-slot table: ascending
        k = 0
        for d in range(1, 10):
            if (m >> d) & 1:
                cand[cell, k] = d
                k += 1
        return
    table = np.full(8, -1, np.int64)
    for k in range(n):
        d = digits[k]
        i = d & 7
        perturb = d
        while table[i] != -1:
            perturb >>= 5
            i = (i * 5 + 1 + perturb) & 7
        table[i] = d
    k = 0
    for s in range(8):
        if table[s] != -1:
            cand[cell, k] = table[s]
            k += 1


@njit(cache=True)
def remove_candidates(cand, cn, cmask, cell, elim):
    """Set difference ``cell.candidates - elim`` (elim: digit bitmask), keeping the iteration order rules."""
    buf = np.empty(9, np.int64)
    n = 0
    for k in range(cn[cell]):
        d = cand[cell, k]
        if not (elim >> d) & 1:
            buf[n] = d
            n += 1
    store_candidates(cand, cn, cmask, cell, buf, n)


@njit(cache=True)
def eliminate_common(cand, cn, cmask, cells, ncells, elim, sees):
    """Remove ``elim`` from every cell seeing all of cells[:ncells] (those excluded). Returns True if any change."""
    changed = False
    for p in range(81):
        ok = True
        for k in range(ncells):
            if p == cells[k] or not sees[cells[k], p]:
                ok = False
                break
        if ok and cn[p] > 0 and (cmask[p] & elim):
            remove_candidates(cand, cn, cmask, p, elim)
            changed = True
    return changed


@njit(cache=True)
def place(values, cand, cn, cmask, cell, d, sees):
    values[cell] = d
    cn[cell] = 0
    cmask[cell] = 0
    for p in range(81):
        if p != cell and sees[cell, p] and cn[p] > 0 and (cmask[p] >> d) & 1:
            remove_candidates(cand, cn, cmask, p, 1 << d)


@njit(cache=True)
def digit_map(g, cn, cand, keys, cnt, first, second):
    """First-appearance digit order in group row g; counts and the first two cells holding each digit."""
    nk = 0
    for d in range(10):
        cnt[d] = 0
    for k in range(9):
        c = g[k]
        for j in range(cn[c]):
            d = cand[c, j]
            if cnt[d] == 0:
                keys[nk] = d
                nk += 1
                first[d] = c
            elif cnt[d] == 1:
                second[d] = c
            cnt[d] += 1
    return nk


@njit(cache=True)
def same_order(cand, cn, a, b):
    if cn[a] != cn[b]:
        return False
    for k in range(cn[a]):
        if cand[a, k] != cand[b, k]:
            return False
    return True


@njit(cache=True)
def pencil_mark(values, cand, cn, cmask, sees):
    digits = np.empty(9, np.int64)
    for c in range(81):
        cn[c] = 0
        cmask[c] = 0
        if values[c] != 0:
            continue
        used = 0
        for p in range(81):
            if sees[c, p] and values[p] != 0:
                used |= 1 << values[p]
        n = 0
        for d in range(1, 10):
            if not (used >> d) & 1:
                digits[n] = d
                n += 1
        store_candidates(cand, cn, cmask, c, digits, n)
