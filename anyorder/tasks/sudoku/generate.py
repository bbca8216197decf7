"""Random minimal Sudoku puzzles (data.md, "Generating our own Radcliffe-like puzzles").

A random complete grid, then the 81 cells visited in random order: blank each one and put it back when the
puzzle stops having exactly one solution. The result is minimal (no given can be removed), 21-29 givens.
Puzzle i of seed s is a pure function of (s, i): its own xorshift64* RNG starts from splitmix64(s, i) (64-bit, so
streams do not collide), so the output does not depend on how many threads or chunks share the work. Compiled with numba, parallel over puzzles.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from anyorder.tasks.sudoku.numba_threads import keeps_torch_threads
from anyorder.tasks.sudoku.solver import search


def puzzle_seeds(seed: int, start: int, n: int) -> np.ndarray:
    """(n,) uint64 per-puzzle seeds for indices start..start+n-1: splitmix64 of (seed, index)."""
    with np.errstate(over="ignore"):
        x = np.uint64(seed) * np.uint64(0x9E3779B97F4A7C15) + np.arange(start, start + n, dtype=np.uint64)
        x = x + np.uint64(0x9E3779B97F4A7C15)
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        x = x ^ (x >> np.uint64(31))
    return np.where(x == 0, np.uint64(0x2545F4914F6CDD1D), x)


@njit(cache=True)
def _next(state):
    """xorshift64*: advance state[0] (uint64, nonzero) and return 64 random bits."""
    x = state[0]
    x ^= x >> np.uint64(12)
    x ^= x << np.uint64(25)
    x ^= x >> np.uint64(27)
    state[0] = x
    return x * np.uint64(2685821657736338717)


@njit(cache=True)
def _shuffle(arr, state):
    """Fisher-Yates shuffle of arr in place."""
    for i in range(arr.shape[0] - 1, 0, -1):
        j = int(_next(state) >> np.uint64(11)) % (i + 1)
        arr[i], arr[j] = arr[j], arr[i]


@njit(cache=True)
def _random_grid(out, state):
    """Fill ``out`` (81 int8) with a uniformly shuffled backtracking fill: a random complete grid."""
    for i in range(81):
        out[i] = 0
    digits = np.arange(1, 10)
    # fill the three diagonal boxes independently (always consistent), then complete by search
    for b in range(3):
        _shuffle(digits, state)
        for k in range(9):
            out[9 * (3 * b + k // 3) + 3 * b + k % 3] = digits[k]
    # complete with the exact solver on a randomly relabelled grid so the completion is not biased to low digits
    perm = np.arange(1, 10)
    _shuffle(perm, state)
    tmp = np.zeros(81, np.int8)
    inv = np.zeros(10, np.int64)
    for k in range(9):
        inv[perm[k]] = k + 1
    relab = np.zeros(81, np.int8)
    for i in range(81):
        relab[i] = 0 if out[i] == 0 else inv[out[i]]
    search(relab, 1, tmp)
    for i in range(81):
        out[i] = perm[tmp[i] - 1]


@njit(cache=True)
def generate_one(seed, puzzle, solution):
    """Write one minimal puzzle and its solution for the given uint64 seed."""
    state = np.empty(1, np.uint64)
    state[0] = seed
    _random_grid(solution, state)
    for i in range(81):
        puzzle[i] = solution[i]
    cells = np.arange(81)
    _shuffle(cells, state)
    tmp = np.zeros(81, np.int8)
    for k in range(81):
        c = cells[k]
        v = puzzle[c]
        puzzle[c] = 0
        if search(puzzle, 2, tmp) != 1:
            puzzle[c] = v


@njit(cache=True, parallel=True)
def _generate_batch(seeds):
    n = seeds.shape[0]
    puzzles = np.zeros((n, 81), np.int8)
    solutions = np.zeros((n, 81), np.int8)
    for i in prange(n):
        generate_one(seeds[i], puzzles[i], solutions[i])
    return puzzles, solutions


@keeps_torch_threads
def generate(n: int, seed: int, start: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Puzzles start..start+n-1 of stream ``seed``: (n, 81) int8 puzzles (0 = blank) and solutions."""
    return _generate_batch(puzzle_seeds(seed, start, n))
