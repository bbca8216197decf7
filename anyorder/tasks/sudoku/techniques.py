"""The 7-technique human-strategy step solver that defines the Sudoku data (data.md, "The step solver").

Procedure (the behaviour of the `dokusan` step solver used by Shah et al.; re-implemented, not copied):
pencil-mark every blank, then repeat: try lone single, hidden single, naked pair, naked triplet, locked
candidate, XY-wing, unique rectangle in that priority; apply the FIRST step the first applicable technique
finds (a step counts only if it changes something) and restart from lone single. Stop when solved, or when no
technique applies ("unsolvable": the hard set). Only the two singles place digits; their order is the
"solver order". Scan orders: cells row-major; groups rows, then columns, then boxes; pair/triple searches
over bivalue cells in row-major lexicographic order.

Candidate order: the reference iterates candidate *sets*; the order in which a set yields its digits decides
which of several equally valid steps comes first (hidden/locked candidate key order) and whether two cells with
equal candidates count as a pair (naked pair/triplet compare ordered tuples). candidates.py keeps each cell's
candidates as an ordered list following CPython's set layout.

Technique ids follow Shah et al.'s .npy files: 0 given, 2 lone single, 3 hidden single, 4 naked pair,
5 naked triplet, 6 locked candidate, 7 XY-wing, 8 unique rectangle.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from anyorder.tasks.sudoku.board import GROUPS, SEES
from anyorder.tasks.sudoku.candidates import (
    digit_map,
    eliminate_common,
    pencil_mark,
    place,
    popcount,
    remove_candidates,
    same_order,
)
from anyorder.tasks.sudoku.numba_threads import keeps_torch_threads

TECHNIQUES = {2: "lone_single", 3: "hidden_single", 4: "naked_pair", 5: "naked_triplet",
              6: "locked_candidate", 7: "xy_wing", 8: "unique_rectangle"}
_SEES = SEES.astype(np.bool_)


@njit(cache=True)
def _lone_single(values, cand, cn, cmask, sees):
    for c in range(81):
        if cn[c] == 1:
            place(values, cand, cn, cmask, c, cand[c, 0], sees)
            return c
    return -1


@njit(cache=True)
def _hidden_single(values, cand, cn, cmask, groups, sees):
    keys = np.empty(9, np.int64)
    cnt = np.zeros(10, np.int64)
    first = np.zeros(10, np.int64)
    second = np.zeros(10, np.int64)
    for gi in range(27):
        nk = digit_map(groups[gi], cn, cand, keys, cnt, first, second)
        for k in range(nk):
            d = keys[k]
            if cnt[d] == 1:
                place(values, cand, cn, cmask, first[d], d, sees)
                return first[d]
    return -1


@njit(cache=True)
def _tuple_reps(g, cand, cn, reps, count, partner):
    """Distinct ordered candidate tuples of group g in first-appearance order: rep cell, count, 2nd cell."""
    nr = 0
    for k in range(9):
        c = g[k]
        if cn[c] == 0:
            continue
        found = -1
        for r in range(nr):
            if same_order(cand, cn, reps[r], c):
                found = r
                break
        if found == -1:
            reps[nr] = c
            count[nr] = 1
            nr += 1
        else:
            if count[found] == 1:
                partner[found] = c
            count[found] += 1
    return nr


@njit(cache=True)
def _naked_pair(cand, cn, cmask, groups, sees):
    reps = np.empty(9, np.int64)
    count = np.empty(9, np.int64)
    partner = np.empty(9, np.int64)
    cells = np.empty(3, np.int64)
    for gi in range(27):
        nr = _tuple_reps(groups[gi], cand, cn, reps, count, partner)
        for r in range(nr):
            if cn[reps[r]] == 2 and count[r] == 2:
                cells[0] = reps[r]
                cells[1] = partner[r]
                if eliminate_common(cand, cn, cmask, cells, 2, cmask[reps[r]], sees):
                    return True
    return False


@njit(cache=True)
def _naked_triplet(cand, cn, cmask, groups, sees):
    reps = np.empty(9, np.int64)
    count = np.empty(9, np.int64)
    partner = np.empty(9, np.int64)
    cells = np.empty(9, np.int64)
    for gi in range(27):
        g = groups[gi]
        nr = _tuple_reps(g, cand, cn, reps, count, partner)
        for r in range(nr):
            if count[r] < 2 or count[r] >= 4:
                continue
            pm = cmask[reps[r]]
            nt = 0
            union = 0
            for k in range(9):
                c = g[k]
                if cn[c] > 0 and popcount(cmask[c] | pm) < 4:
                    cells[nt] = c
                    nt += 1
                    union |= cmask[c]
            if nt == 3 and eliminate_common(cand, cn, cmask, cells, 3, union, sees):
                return True
    return False


@njit(cache=True)
def _locked_candidate(cand, cn, cmask, groups, sees):
    keys = np.empty(9, np.int64)
    cnt = np.zeros(10, np.int64)
    first = np.zeros(10, np.int64)
    second = np.zeros(10, np.int64)
    cells = np.empty(2, np.int64)
    for gi in range(27):
        nk = digit_map(groups[gi], cn, cand, keys, cnt, first, second)
        for k in range(nk):
            d = keys[k]
            if cnt[d] == 2:
                cells[0] = first[d]
                cells[1] = second[d]
                if eliminate_common(cand, cn, cmask, cells, 2, 1 << d, sees):
                    return True
    return False


@njit(cache=True)
def _bivalue(cn):
    out = np.empty(81, np.int64)
    n = 0
    for c in range(81):
        if cn[c] == 2:
            out[n] = c
            n += 1
    return out[:n]


@njit(cache=True)
def _is_xy_wing(a, b, c, cmask, sees):
    ma, mb, mc = cmask[a], cmask[b], cmask[c]
    if popcount(ma | mb | mc) != 3:
        return False
    if int(sees[a, b]) + int(sees[a, c]) + int(sees[b, c]) != 2:
        return False
    return popcount(ma & mb) == 1 and popcount(ma & mc) == 1 and popcount(mb & mc) == 1


@njit(cache=True)
def _xy_wing(cand, cn, cmask, sees):
    """Triples of bivalue cells; the eliminated digit is shared by the first and last cell by position."""
    bv = _bivalue(cn)
    n = bv.shape[0]
    cells = np.empty(2, np.int64)
    for i in range(n):
        for j in range(i + 1, n):
            for k in range(j + 1, n):
                if _is_xy_wing(bv[i], bv[j], bv[k], cmask, sees):
                    cells[0] = bv[i]
                    cells[1] = bv[k]
                    if eliminate_common(cand, cn, cmask, cells, 2, cmask[bv[i]] & cmask[bv[k]], sees):
                        return True
    return False


@njit(cache=True)
def _is_ur_edges(a, b, c, cmask):
    if popcount(cmask[a] & cmask[b] & cmask[c]) != 2:
        return False
    rows = int(a // 9 == b // 9) + int(a // 9 == c // 9) + int(b // 9 == c // 9)
    cols = int(a % 9 == b % 9) + int(a % 9 == c % 9) + int(b % 9 == c % 9)
    ba, bb, bc = 3 * (a // 27) + (a % 9) // 3, 3 * (b // 27) + (b % 9) // 3, 3 * (c // 27) + (c % 9) // 3
    boxes = int(ba == bb) + int(ba == bc) + int(bb == bc)
    return rows == 1 and cols == 1 and boxes == 1


@njit(cache=True)
def _ur_apply(a, b, c, cand, cn, cmask):
    """Unique rectangle type 1 on the rectangle spanned by edge cells a, b, c. True if anything changed."""
    r1, r2 = a // 9, b // 9 if b // 9 != a // 9 else c // 9
    c1, c2 = a % 9, b % 9 if b % 9 != a % 9 else c % 9
    corners = np.array([9 * r1 + c1, 9 * r1 + c2, 9 * r2 + c1, 9 * r2 + c2])
    inter = 0x3FE
    for q in corners:
        if cn[q] == 0:
            return False
        inter &= cmask[q]
    if popcount(inter) != 2:
        return False
    changed = False
    for q in corners:
        if cmask[q] & ~inter:
            remove_candidates(cand, cn, cmask, q, inter)
            changed = True
    return changed


@njit(cache=True)
def _unique_rectangle(cand, cn, cmask):
    bv = _bivalue(cn)
    n = bv.shape[0]
    for i in range(n):
        for j in range(i + 1, n):
            for k in range(j + 1, n):
                if _is_ur_edges(bv[i], bv[j], bv[k], cmask) and _ur_apply(bv[i], bv[j], bv[k], cand, cn, cmask):
                    return True
    return False


@njit(cache=True)
def _solved(values, groups):
    for gi in range(27):
        seen = 0
        for k in range(9):
            v = values[groups[gi, k]]
            if v == 0 or (seen >> v) & 1:
                return False
            seen |= 1 << v
    return True


@njit(cache=True)
def _step(values, cand, cn, cmask, groups, sees, placed):
    """Apply the first step of the first applicable technique. Returns its id (0: none); placed[0] = cell."""
    placed[0] = _lone_single(values, cand, cn, cmask, sees)
    if placed[0] >= 0:
        return 2
    placed[0] = _hidden_single(values, cand, cn, cmask, groups, sees)
    if placed[0] >= 0:
        return 3
    if _naked_pair(cand, cn, cmask, groups, sees):
        return 4
    if _naked_triplet(cand, cn, cmask, groups, sees):
        return 5
    if _locked_candidate(cand, cn, cmask, groups, sees):
        return 6
    if _xy_wing(cand, cn, cmask, sees):
        return 7
    if _unique_rectangle(cand, cn, cmask):
        return 8
    return 0


@njit(cache=True)
def rate_one(puzzle, groups, sees, order, tech, counts):
    """Run the step solver on one puzzle (81 ints, 0 = blank).

    Writes order[k] = cell of the k-th placement, tech[k] = hardest technique id used since the previous
    placement (2/3 when the singles alone sufficed), counts[t] += number of steps of technique t.
    Returns (solved: bool, number of placements).
    """
    values = puzzle.astype(np.int64)
    cand = np.zeros((81, 9), np.int64)
    cn = np.zeros(81, np.int64)
    cmask = np.zeros(81, np.int64)
    pencil_mark(values, cand, cn, cmask, sees)
    placed = np.zeros(1, np.int64)
    n_place = 0
    hardest = 0
    while not _solved(values, groups):
        t = _step(values, cand, cn, cmask, groups, sees, placed)
        if t == 0:
            return False, n_place
        counts[t] += 1
        hardest = max(hardest, t)
        if t <= 3:
            order[n_place] = placed[0]
            tech[n_place] = hardest
            n_place += 1
            hardest = 0
    return True, n_place


@njit(cache=True, parallel=True)
def _rate_batch(puzzles, groups, sees):
    b = puzzles.shape[0]
    solved = np.zeros(b, np.bool_)
    order = np.full((b, 81), -1, np.int8)
    tech = np.zeros((b, 81), np.int8)
    counts = np.zeros((b, 9), np.int32)
    for i in prange(b):
        o = np.full(81, -1, np.int64)
        t = np.zeros(81, np.int64)
        c = np.zeros(9, np.int64)
        ok, n = rate_one(puzzles[i], groups, sees, o, t, c)
        solved[i] = ok
        for k in range(n):
            order[i, k] = o[k]
            tech[i, k] = t[k]
        for k in range(9):
            counts[i, k] = c[k]
    return solved, order, tech, counts


@keeps_torch_threads
def rate(puzzles: np.ndarray) -> dict[str, np.ndarray]:
    """Rate a batch with the 7-technique step solver (both cores via numba prange).

    puzzles: (B, 81) ints, 0 = blank. Returns dict with
      solvable (B,) bool: the 7 techniques finish the puzzle;
      order (B, 81) int8: blank cells in placement ("solver") order, padded with -1 (partial when unsolvable);
      technique (B, 81) int8: per placement, the hardest technique id used since the previous placement;
      counts (B, 9) int32: steps applied per technique id (index 2..8);
      hardest (B,) int8: largest technique id used (0 when nothing was needed).
    """
    p = np.ascontiguousarray(np.asarray(puzzles, dtype=np.int8).reshape(-1, 81))
    solved, order, tech, counts = _rate_batch(p, GROUPS, _SEES)
    hardest = np.where(counts > 0, np.arange(9), 0).max(axis=1).astype(np.int8)
    return {"solvable": solved, "order": order, "technique": tech, "counts": counts, "hardest": hardest}
