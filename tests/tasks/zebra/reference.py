"""An independently written brute-force propagation solver (tests only).

Same documented semantics as anyorder.tasks.zebra.solver (fill all decided cells; else clues in order, the first
clue after which a cell is decided fills them all; restart), but every clue is propagated by enumerating all
combinations of its operands' possible houses with ``puzzle.holds`` (no per-type rules), on Python sets.
"""
from __future__ import annotations

import itertools

from anyorder.tasks.zebra.puzzle import Puzzle, entity_row, holds


def reference_fills(puzzle: Puzzle) -> tuple[str, list[tuple[int, int, int, int, int]]]:
    n, m = puzzle.n, puzzle.m
    cand = {(r, h): set(range(n)) for r in range(1, m + 1) for h in range(n)}
    for h in range(n):
        cand[(0, h)] = {h}
    filled = {(0, h) for h in range(n)}
    fills: list[tuple[int, int, int, int, int]] = []
    step = 0

    def houses(r, v):
        return {h for h in range(n) if v in cand[(r, h)]}

    def decided():
        got = {}
        for (r, h), vals in cand.items():
            if not vals:
                return None
            if (r, h) not in filled and len(vals) == 1:
                got[(r, h)] = next(iter(vals))
        for r in range(1, m + 1):
            for v in range(n):
                hs = houses(r, v)
                if not hs:
                    return None
                if len(hs) == 1:
                    h = next(iter(hs))
                    if (r, h) not in filled:
                        if got.get((r, h), v) != v:
                            return None
                        got[(r, h)] = v
        return got

    def fill(rule):
        nonlocal step
        got = decided()
        if got is None:
            raise ValueError("contradiction")
        if not got:
            return False
        for (r, h), v in sorted(got.items()):
            cand[(r, h)] = {v}
            for h2 in range(n):
                if h2 != h:
                    cand[(r, h2)].discard(v)
            filled.add((r, h))
            fills.append((r, h, v, step, rule))
        step += 1
        return True

    def propagate(clue):
        ops = [(entity_row(e), e[2]) for e in clue.operands]
        locs = [sorted(houses(r, v)) for r, v in ops]
        support = [set() for _ in ops]
        for pos in itertools.product(*locs):
            if holds(clue.kind, pos, n):
                for k, h in enumerate(pos):
                    support[k].add(h)
        changed = False
        for (r, v), loc, sup in zip(ops, locs, support):
            for h in loc:
                if h not in sup:
                    cand[(r, h)].discard(v)
                    changed = True
        return changed

    while True:
        if fill(-1):
            continue
        if len(filled) == (m + 1) * n:
            return "solved", fills
        any_change, any_fill = False, False
        for i, clue in enumerate(puzzle.clues):
            if propagate(clue):
                any_change = True
                if fill(i):
                    any_fill = True
                    break
        if not any_fill and not any_change:
            return "stuck", fills
