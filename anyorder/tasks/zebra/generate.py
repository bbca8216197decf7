"""Random Zebra puzzle generator (Shah et al.'s recipe, our code; data.md "Zebra").

Sample a solution (one random permutation per attribute), then keep adding random *true* clues until the
deductive solver (``solver.Solver``, no search) decides every cell; clue types are drawn with Shah et al.'s
weights (= 4, != 1, nbr 2, ends 2, immediate-left 2, left-of 2, inbetween 1), operands are biased towards cells
the solver has not decided yet, duplicates and clues whose operands are all placed already are skipped. Then
clues that never eliminated a candidate are dropped (Shah: "filter clues unused by the solver"), the operands of
the symmetric types (=, !=, nbr) are swapped with probability 1/4, and the solver runs once more from scratch
for the fill order. Every puzzle is checked unique by ``uniqueness.count_solutions`` when ``check_unique``.
"""
from __future__ import annotations

import numpy as np

from anyorder.errors import ConfigError
from anyorder.tasks.zebra.puzzle import CLUE_TYPES, MAX_SIZE, Clue, Puzzle
from anyorder.tasks.zebra.solver import Solver, SolveResult, solve

CLUE_WEIGHTS = {"=": 4, "!=": 1, "nbr": 2, "ends": 2, "immediate-left": 2, "left-of": 2, "inbetween": 1}
SIZES = tuple((n, m) for n in range(3, 7) for m in range(3, 7))  # the paper's 3-6 houses x 3-6 attributes
MAX_TRIES = 10_000  # clue draws per puzzle before giving up (never reached in practice)


def _entity(row: int, value: int) -> tuple:
    return ("n", 0, int(value)) if row == 0 else ("c", int(row) - 1, int(value))


class _Draw:
    """Operand sampling for one puzzle: ``answer`` (R, n), ``pos[r, v]`` = house of value v in row r."""

    def __init__(self, answer: np.ndarray, rng: np.random.Generator):
        self.answer, self.rng = answer, rng
        self.R, self.n = answer.shape
        self.pos = np.argsort(answer, axis=1)

    def row(self, filled: np.ndarray, allow_house: bool = True) -> int:
        w = 1.0 + (~filled).sum(1).astype(float)  # favour rows with undecided cells
        w[0] = w[0] * 0.2 if allow_house else 0.0  # house-number operands stay rare (Shah: weight / 5)
        return int(self.rng.choice(self.R, p=w / w.sum()))

    def entity_at(self, filled: np.ndarray, houses: np.ndarray, allow_house: bool = True) -> tuple[int, int]:
        """(row, house) among ``houses`` (bool (n,)), favouring undecided cells."""
        r = self.row(filled, allow_house)
        w = np.where(filled[r], 0.2, 1.0) * houses
        if w.sum() == 0:
            return -1, -1
        return r, int(self.rng.choice(self.n, p=w / w.sum()))

    def clue(self, kind: str, filled: np.ndarray) -> Clue | None:
        n, a, rng = self.n, self.answer, self.rng
        every = np.ones(n, bool)
        if kind in ("=", "!=", "nbr", "immediate-left", "left-of"):
            lhs_ok = every.copy()
            if kind in ("immediate-left", "left-of"):
                lhs_ok[n - 1] = False
            r1, h1 = self.entity_at(filled, lhs_ok)
            r2 = self.row(filled, allow_house=r1 != 0)
            if kind in ("=", "!=") and r2 == r1:
                return None
            if kind == "=":
                h2 = h1
            elif kind == "!=":
                h2 = int(rng.choice([h for h in range(n) if h != h1]))
            elif kind == "nbr":
                h2 = int(rng.choice([h for h in (h1 - 1, h1 + 1) if 0 <= h < n]))
            elif kind == "immediate-left":
                h2 = h1 + 1
            else:
                h2 = int(rng.integers(h1 + 1, n))
            return Clue(kind, (_entity(r1, a[r1, h1]),), (_entity(r2, a[r2, h2]),))
        if kind == "ends":
            r = self.row(filled, allow_house=False)
            h = int(rng.choice([0, n - 1]))
            return Clue(kind, (_entity(r, a[r, h]),))
        if kind == "inbetween":
            lhs_ok = np.arange(n) <= n - 3
            r1, h1 = self.entity_at(filled, lhs_ok)
            r3 = self.row(filled, allow_house=False)
            h3 = int(rng.integers(h1 + 2, n))
            r2 = self.row(filled, allow_house=False)
            h2 = int(rng.integers(h1 + 1, h3))
            c = Clue(kind, (_entity(r1, a[r1, h1]),), (_entity(r2, a[r2, h2]), _entity(r3, a[r3, h3])))
            return c if len(set(c.operands)) == 3 else None
        raise ConfigError(f"unknown clue type {kind!r}; valid: {list(CLUE_TYPES)}")


def _key(c: Clue) -> tuple:
    """Semantic identity of a clue (= / != / nbr are symmetric)."""
    if c.kind in ("=", "!=", "nbr"):
        return (c.kind,) + tuple(sorted(c.operands))
    return (c.kind,) + c.operands


def _placed(c: Clue, s: Solver) -> bool:
    """Every operand's house is already known (the clue can teach nothing)."""
    return all(s.dom[r, :, v].sum() == 1 for r, v in ((0 if e[0] == "n" else e[1] + 1, e[2]) for e in c.operands))


def generate_one(n: int, m: int, rng: np.random.Generator,
                 weights: dict[str, float] | None = None) -> tuple[Puzzle, SolveResult]:
    """One puzzle of n houses x m attributes that the deductive solver decides, and its solve result."""
    if not (3 <= n <= MAX_SIZE and 2 <= m <= MAX_SIZE):
        raise ConfigError(f"puzzle size {n}x{m} out of range 3..{MAX_SIZE} houses x 2..{MAX_SIZE} attributes")
    w = dict(CLUE_WEIGHTS, **(weights or {}))
    kinds = list(CLUE_TYPES)
    p = np.array([w[k] for k in kinds], float)
    p /= p.sum()
    answer = np.stack([np.arange(n)] + [rng.permutation(n) for _ in range(m)])
    draw = _Draw(answer, rng)
    s = Solver(n, m)
    seen: set = set()
    for _ in range(MAX_TRIES):
        c = draw.clue(kinds[int(rng.choice(len(kinds), p=p))], s.filled)
        if c is None or _key(c) in seen or _placed(c, s):
            continue
        seen.add(_key(c))
        s.add(c)
        if s.run() == "solved":
            break
    else:  # pragma: no cover - the loop always ends with a solved puzzle
        raise RuntimeError(f"no solvable {n}x{m} puzzle after {MAX_TRIES} clue draws")
    first = solve(Puzzle(n, m, s.clues))
    clues = []
    for c, used in zip(s.clues, first.used):
        if not used:
            continue
        if c.kind in ("=", "!=", "nbr") and rng.random() < 0.25:
            c = Clue(c.kind, c.rhs, c.lhs)
        clues.append(c)
    puzzle = Puzzle(n, m, clues, answer)
    res = solve(puzzle)
    if not res.solved or not (res.answer == answer).all():  # pragma: no cover - propagation is sound
        raise RuntimeError("generator invariant broken: the solver does not decide the pruned puzzle")
    return puzzle, res


def sample_size(rng: np.random.Generator, sizes: tuple = SIZES) -> tuple[int, int]:
    return tuple(int(x) for x in sizes[int(rng.integers(len(sizes)))])


def generate(count: int, seed: int, sizes: tuple = SIZES, check_unique: bool = False,
             start: int = 0) -> list[tuple[Puzzle, SolveResult]]:
    """Puzzles ``start .. start + count - 1`` of stream ``seed``, sizes drawn uniformly from ``sizes``; puzzle i
    depends only on (seed, i), so ranges can be generated in parallel and concatenated."""
    out = []
    for i in range(start, start + count):
        rng = np.random.default_rng([seed, i])
        n, m = sample_size(rng, sizes)
        puzzle, res = generate_one(n, m, rng)
        if check_unique:
            from anyorder.tasks.zebra.uniqueness import count_solutions
            if count_solutions(puzzle, limit=2) != 1:  # pragma: no cover - deduction implies uniqueness
                raise RuntimeError(f"puzzle {i} of seed {seed} is not unique")
        out.append((puzzle, res))
    return out


def _range(args):
    return generate(*args)


def generate_parallel(count: int, seed: int, sizes: tuple = SIZES, workers: int = 1
                      ) -> list[tuple[Puzzle, SolveResult]]:
    """``generate(count, seed, sizes)`` split over ``workers`` processes (identical output)."""
    if workers <= 1 or count < 2 * workers:
        return generate(count, seed, sizes)
    import multiprocessing as mp
    bounds = np.linspace(0, count, workers + 1).astype(int)
    jobs = [(int(b - a), seed, sizes, False, int(a)) for a, b in zip(bounds[:-1], bounds[1:])]
    with mp.get_context("spawn").Pool(workers) as pool:
        parts = pool.map(_range, jobs)
    return [x for part in parts for x in part]
