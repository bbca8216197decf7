"""Exact Sudoku search: solution counting (stop at a limit) and solving, compiled with numba.

Bitmask depth-first search, most-constrained cell first (data.md, "Generating our own Radcliffe-like puzzles").
Used by the generator (uniqueness while blanking cells), input validation and tests.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from anyorder.tasks.sudoku.candidates import popcount as _popcount
from anyorder.tasks.sudoku.numba_threads import keeps_torch_threads

ALL = 0x3FE  # bits 1..9


@njit(cache=True)
def _lowbit_digit(m):
    d = 0
    while not (m >> d) & 1:
        d += 1
    return d


@njit(cache=True)
def _init_masks(g, rm, cm, bm, empties):
    """Fill the row/col/box digit masks and the blank list; returns the number of blanks (-1 on a conflict)."""
    n = 0
    for i in range(81):
        r, c = i // 9, i % 9
        b = 3 * (r // 3) + c // 3
        if g[i] == 0:
            empties[n] = i
            n += 1
            continue
        bit = 1 << g[i]
        if (rm[r] | cm[c] | bm[b]) & bit:
            return -1
        rm[r] |= bit
        cm[c] |= bit
        bm[b] |= bit
    return n


@njit(cache=True)
def search(grid, limit, out):
    """Count solutions of ``grid`` (81 int8, 0 = blank) up to ``limit``; write the first one into ``out``.

    Returns the count (0 when the givens conflict). ``out`` is left untouched when there is no solution.
    """
    g = grid.astype(np.int64)
    rm = np.zeros(9, np.int64)
    cm = np.zeros(9, np.int64)
    bm = np.zeros(9, np.int64)
    empties = np.empty(81, np.int64)
    n = _init_masks(g, rm, cm, bm, empties)
    if n < 0:
        return 0
    cell_stack = np.empty(81, np.int64)
    cand_stack = np.empty(81, np.int64)
    depth = 0
    count = 0
    descend = True
    while True:
        if descend:
            if depth == n:
                count += 1
                if count == 1:
                    for i in range(81):
                        out[i] = g[i]
                if count >= limit:
                    return count
                descend = False
                continue
            best, bestc, bestm = -1, 10, 0
            for k in range(n):
                i = empties[k]
                if g[i] != 0:
                    continue
                r, c = i // 9, i % 9
                m = ALL & ~(rm[r] | cm[c] | bm[3 * (r // 3) + c // 3])
                pc = _popcount(m)
                if pc < bestc:
                    best, bestc, bestm = i, pc, m
                    if pc <= 1:
                        break
            if bestc == 0:
                descend = False
                continue
            cell_stack[depth] = best
            cand_stack[depth] = bestm
        else:
            if depth == 0:
                return count
            depth -= 1
            i = cell_stack[depth]
            r, c = i // 9, i % 9
            bit = ~(1 << g[i])
            rm[r] &= bit
            cm[c] &= bit
            bm[3 * (r // 3) + c // 3] &= bit
            g[i] = 0
        m = cand_stack[depth]
        if m == 0:
            descend = False
            continue
        low = m & -m
        cand_stack[depth] = m ^ low
        i = cell_stack[depth]
        r, c = i // 9, i % 9
        g[i] = _lowbit_digit(low)
        rm[r] |= low
        cm[c] |= low
        bm[3 * (r // 3) + c // 3] |= low
        depth += 1
        descend = True


@njit(cache=True, parallel=True)
def _count_batch(grids, limit):
    out = np.zeros(grids.shape[0], np.int64)
    for b in prange(grids.shape[0]):
        tmp = np.zeros(81, np.int8)
        out[b] = search(grids[b], limit, tmp)
    return out


@njit(cache=True, parallel=True)
def _solve_batch(grids):
    sol = np.zeros(grids.shape, np.int8)
    cnt = np.zeros(grids.shape[0], np.int64)
    for b in prange(grids.shape[0]):
        cnt[b] = search(grids[b], 2, sol[b])
    return sol, cnt


@keeps_torch_threads
def count_solutions(grids: np.ndarray, limit: int = 2) -> np.ndarray:
    """(B,) number of solutions of each grid, capped at ``limit``. grids: (B, 81) or (81,)."""
    g = np.ascontiguousarray(np.asarray(grids, dtype=np.int8).reshape(-1, 81))
    return _count_batch(g, int(limit))


@keeps_torch_threads
def solve(grids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First solution (B, 81) int8 (zeros where none) and the solution count capped at 2, (B,)."""
    g = np.ascontiguousarray(np.asarray(grids, dtype=np.int8).reshape(-1, 81))
    return _solve_batch(g)
