"""Independent uniqueness checks: a SAT encoding (pycosat, extra ``zebra``) and brute force for tiny sizes.

Neither uses the deductive solver. SAT variables x[r, h, v] (attribute rows r = 1..m): each cell holds one
value and each value one house; a clue forbids every combination of operand houses for which it is false.
"""
from __future__ import annotations

import itertools

import numpy as np

from anyorder.errors import ConfigError
from anyorder.tasks.zebra.puzzle import Puzzle, entity_row, holds


def _var(n: int, r: int, h: int, v: int) -> int:
    return int(((r - 1) * n + h) * n + v + 1)


def cnf(puzzle: Puzzle) -> list[list[int]]:
    """CNF clauses (DIMACS ints) whose models are the answer tables satisfying the puzzle."""
    n, m = puzzle.n, puzzle.m
    out: list[list[int]] = []
    for r in range(1, m + 1):
        for h in range(n):
            cell = [_var(n, r, h, v) for v in range(n)]
            out.append(cell)
            out += [[-a, -b] for a, b in itertools.combinations(cell, 2)]
        for v in range(n):
            out.append([_var(n, r, h, v) for h in range(n)])
    for clue in puzzle.clues:
        ops = clue.operands
        for pos in itertools.product(range(n), repeat=len(ops)):
            if holds(clue.kind, pos, n):
                continue
            lits, trivially_true = [], False
            for e, h in zip(ops, pos):
                r = entity_row(e)
                if r == 0:  # "n 0 h'": the operand is at house h' for sure
                    if h != e[2]:
                        trivially_true = True  # this combination cannot happen
                    continue
                lits.append(-_var(n, r, h, e[2]))
            if not trivially_true:
                out.append(lits)
    return out


def count_solutions(puzzle: Puzzle, limit: int = 2) -> int:
    """Number of answer tables satisfying the puzzle, counted up to ``limit`` (SAT, pycosat)."""
    try:
        import pycosat
    except ImportError:  # pragma: no cover - depends on the installation
        raise ConfigError("the Zebra uniqueness check needs pycosat: pip install 'anyorder[zebra]'") from None
    count = 0
    for _ in pycosat.itersolve(cnf(puzzle)):
        count += 1
        if count >= limit:
            break
    return count


def brute_force_solutions(puzzle: Puzzle, limit: int = 10 ** 9) -> list[np.ndarray]:
    """All satisfying answer tables by enumerating (n!)^m tables; only for tiny sizes (tests)."""
    n, m = puzzle.n, puzzle.m
    perms = [np.array(p) for p in itertools.permutations(range(n))]
    out = []
    for rows in itertools.product(perms, repeat=m):
        table = np.stack([np.arange(n), *rows])
        if puzzle.satisfied_by(table):
            out.append(table)
            if len(out) >= limit:
                break
    return out
