"""Deductive step solver for Zebra puzzles (no search): the fill order and the rule behind each fill.

State: ``dom`` (R, n, n) bool, ``dom[r, h, v]`` = "row r may hold value v at house h" (R = m + 1; row 0, the house
numbers, is fixed). Each clue type has an exact propagator (generalised arc consistency of that one clue over
its operands' possible houses, the meaning of Shah et al.'s per-type rules: "grounded", "possible-locations",
"middle-positions", bounds for left-of / inbetween); the all-different rule of every attribute row decides
cells with one candidate value ("naked single") or values with one candidate house ("hidden single").

Fill order (our convention, docs/zebra.md):
1. fill every decided cell at once (rule ``"single"``), remove the filled values from the rest of their row,
   repeat while anything is decided;
2. else propagate the clues in clue order; eliminations persist; the first clue after which a cell is decided
   fills all cells decided at that moment (rule = that clue's index); then back to 1 (the scan restarts at clue 0,
   as Shah's solver restarts at its first clue tuple after each progress);
3. a full pass without any change: stop (solved, or stuck when cells remain).
Cells filled at the same step are listed by (row, house). Difference to Shah's solver: it keeps eliminations only
when a chain of at most 3 clues fills a cell; ours keeps all of them, so it decides a superset of its puzzles.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from anyorder.tasks.zebra.puzzle import Clue, Puzzle, entity_row

SINGLE = -1  # rule id of an all-different fill ("single"); clue-driven fills carry the clue index


def _shift_up(x: np.ndarray) -> np.ndarray:
    """y[h] = x[h - 1] (False at h = 0)."""
    y = np.zeros_like(x)
    y[1:] = x[:-1]
    return y


def _shift_down(x: np.ndarray) -> np.ndarray:
    """y[h] = x[h + 1] (False at h = n - 1)."""
    y = np.zeros_like(x)
    y[:-1] = x[1:]
    return y


def _after_min(x: np.ndarray) -> np.ndarray:
    """y[h] = some x[h'] with h' < h."""
    return _shift_up(np.logical_or.accumulate(x))


def _before_max(x: np.ndarray) -> np.ndarray:
    """y[h] = some x[h'] with h' > h."""
    return _shift_down(np.logical_or.accumulate(x[::-1])[::-1])


def propagate_clue(kind: str, locs: list[np.ndarray], n: int) -> list[np.ndarray]:
    """Possible houses of a clue's operands (lhs then rhs; (n,) bool each) after generalised arc consistency of
    this clue alone."""
    if kind == "=":
        both = locs[0] & locs[1]
        return [both, both.copy()]
    if kind == "!=":
        a, b = locs
        b = b & ((a.sum() - a) > 0)  # house h keeps b if a has a house other than h
        a = a & ((b.sum() - b) > 0)
        return [a, b]
    if kind == "nbr":
        a, b = locs
        b = b & (_shift_up(a) | _shift_down(a))
        a = a & (_shift_up(b) | _shift_down(b))
        return [a, b]
    if kind == "ends":
        ends = np.zeros(n, bool)
        ends[[0, n - 1]] = True
        return [locs[0] & ends]
    if kind == "immediate-left":
        a, b = locs
        b = b & _shift_up(a)
        a = a & _shift_down(b)
        return [a, b]
    if kind == "left-of":
        a, b = locs
        b = b & _after_min(a)
        a = a & _before_max(b)
        return [a, b]
    if kind == "inbetween":
        a, b, c = locs
        b = b & _after_min(a)
        c = c & _after_min(b)
        b = b & _before_max(c)
        a = a & _before_max(b)
        return [a, b, c]
    raise ValueError(kind)


@dataclass
class SolveResult:
    """Outcome of ``solve``.

    status: "solved" | "stuck" (cells left undecided) | "contradiction" (the clues admit no table).
    answer: (m + 1, n) int64, -1 where undecided. fills: (k, 5) int64 rows (row, house, value, step, rule) in
    fill order, rule = SINGLE or a clue index. used: (n_clues,) bool, clue eliminated at least one candidate.
    """

    status: str
    answer: np.ndarray
    fills: np.ndarray
    used: np.ndarray

    @property
    def solved(self) -> bool:
        return self.status == "solved"


class Solver:
    """Incremental deductive solver: ``add(clue)`` then ``run()`` (propagation is monotone, so a state reached
    with some clues is a valid start for more clues; the generator relies on this)."""

    def __init__(self, n: int, m: int):
        self.n, self.m = n, m
        self.dom = np.ones((m + 1, n, n), bool)
        self.dom[0] = np.eye(n, dtype=bool)
        self.filled = np.zeros((m + 1, n), bool)
        self.filled[0] = True
        self.clues: list[Clue] = []
        self.ops: list[list[tuple[int, int]]] = []
        self.used: list[bool] = []
        self.fills: list[tuple[int, int, int, int, int]] = []
        self.step = 0
        self.contradiction = False

    def add(self, clue: Clue) -> None:
        self.clues.append(clue)
        self.ops.append([(entity_row(e), int(e[2])) for e in clue.operands])
        self.used.append(False)

    def _decided(self) -> list[tuple[int, int, int]]:
        """Undecided cells that now have one candidate value, or hold the only candidate house of a value."""
        d = self.dom
        counts = d.sum(2)  # (R, n) candidates per cell
        places = d.sum(1)  # (R, n) candidate houses per value
        if (counts == 0).any() or (places == 0).any():
            self.contradiction = True
            return []
        cells = {}
        rs, hs = np.nonzero((counts == 1) & ~self.filled)
        for r, h, v in zip(rs.tolist(), hs.tolist(), d[rs, hs].argmax(1).tolist()):
            cells[(r, h)] = v
        house = d.argmax(1)  # (R, n): the house of a value with one candidate house
        rs, vs = np.nonzero((places == 1) & ~np.take_along_axis(self.filled, house, axis=1))
        for r, v, h in zip(rs.tolist(), vs.tolist(), house[rs, vs].tolist()):
            if cells.setdefault((r, h), v) != v:
                self.contradiction = True
                return []
        out = [(r, h, v) for (r, h), v in sorted(cells.items())]
        if len({(r, v) for r, _, v in out}) < len(out):  # one value decided at two houses
            self.contradiction = True
            return []
        return out

    def _fill(self, rule: int) -> bool:
        cells = self._decided()
        if not cells:
            return False
        for r, h, v in cells:
            self.dom[r, h] = False
            self.dom[r, h, v] = True
            self.dom[r, np.arange(self.n) != h, v] = False
            self.filled[r, h] = True
            self.fills.append((r, h, v, self.step, rule))
        self.step += 1
        return True

    def _propagate(self, i: int) -> bool:
        ops = self.ops[i]
        locs = [self.dom[r, :, v].copy() for r, v in ops]
        new = propagate_clue(self.clues[i].kind, locs, self.n)
        changed = False
        for (r, v), old, loc in zip(ops, locs, new):
            if (loc != old).any():
                self.dom[r, :, v] = loc
                changed = True
        if changed:
            self.used[i] = True
        return changed

    def run(self, fast: bool = True) -> str:
        """Propagate to the fixed point, recording fills; returns the status. ``fast``: the numba loop
        (``fast.run``, same semantics); otherwise this Python loop."""
        if fast and self.clues:
            return self._run_fast()
        while not self.contradiction:
            if self._fill(SINGLE):
                continue
            if self.contradiction or self.filled.all():
                break
            changed, filled = False, False
            for i in range(len(self.clues)):
                if not self._propagate(i):
                    continue  # nothing eliminated: nothing newly decided
                changed = True
                if self._fill(i) or self.contradiction:
                    filled = True
                    break
            if not filled and not changed:
                break
        return self.status

    def _run_fast(self) -> str:
        from anyorder.tasks.zebra import fast
        from anyorder.tasks.zebra.puzzle import CLUE_TYPES
        k = len(self.clues)
        kinds = np.array([CLUE_TYPES.index(c.kind) for c in self.clues], np.int64)
        ops = np.zeros((k, 3, 2), np.int64)
        nops = np.zeros(k, np.int64)
        for i, o in enumerate(self.ops):
            ops[i, :len(o)] = o
            nops[i] = len(o)
        used = np.array(self.used, bool)
        fills = np.zeros((self.filled.size, 5), np.int64)
        counters = np.array([0, self.step], np.int64)
        code = fast.run(self.dom, self.filled, kinds, ops, nops, used, fills, counters)
        self.fills += [tuple(int(x) for x in row) for row in fills[:counters[0]]]
        self.step = int(counters[1])
        self.used = used.tolist()
        self.contradiction = code == 2
        return self.status

    @property
    def status(self) -> str:
        if self.contradiction:
            return "contradiction"
        return "solved" if self.filled.all() else "stuck"

    def result(self) -> SolveResult:
        answer = np.where(self.filled, np.argmax(self.dom, axis=2), -1).astype(np.int64)
        fills = np.array(self.fills, np.int64).reshape(-1, 5)
        return SolveResult(self.status, answer, fills, np.array(self.used, bool))


def solve(puzzle: Puzzle, fast: bool = True) -> SolveResult:
    """Run the deductive solver on a puzzle from scratch (see the module docstring for the order); ``fast``
    uses the numba loop, else the Python one (identical results)."""
    s = Solver(puzzle.n, puzzle.m)
    for c in puzzle.clues:
        s.add(c)
    s.run(fast)
    return s.result()
