"""Sudoku symmetry augmentation (data.md, "Symmetries"), vectorized over a batch.

Validity-preserving transforms: digit relabelling (9!), row permutations within each band and column
permutations within each stack (3!^6), band and stack permutations (3!^2), transpose (2): ~1.2e12 variants.
They preserve uniqueness. The step solver's *order* is not simply permuted (its ties are broken by scan order),
so consumers that need it recompute it with ``techniques.rate`` on the transformed puzzles.
All randomness comes from the ``numpy.random.Generator`` passed in (reproducible from a seed).
"""
from __future__ import annotations

import numpy as np


def _perm3(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """Random permutations of (0, 1, 2): shape + (3,)."""
    return np.argsort(rng.random(shape + (3,)), axis=-1)


def _line_map(rng: np.random.Generator, b: int) -> np.ndarray:
    """(b, 9) new line -> old line: a band (stack) permutation and a permutation inside each band."""
    outer = _perm3(rng, (b,))                     # (b, 3)
    inner = _perm3(rng, (b, 3))                   # (b, 3, 3)
    return (3 * outer[:, :, None] + inner).reshape(b, 9)


def sample_transform(rng: np.random.Generator, b: int) -> tuple[np.ndarray, np.ndarray]:
    """Draw b random symmetries.

    Returns src (b, 81) int64: new cell i takes old cell src[:, i]; and relabel (b, 10) int64: new digit of old
    digit d is relabel[:, d] (relabel[:, 0] = 0 keeps blanks blank).
    """
    rows, cols = _line_map(rng, b), _line_map(rng, b)
    transpose = rng.random(b) < 0.5
    r = np.arange(81) // 9
    c = np.arange(81) % 9
    src_plain = 9 * rows[:, r] + cols[:, c]       # new (r, c) <- old (rows[r], cols[c])
    src_trans = 9 * rows[:, c] + cols[:, r]       # then transposed
    src = np.where(transpose[:, None], src_trans, src_plain)
    digits = np.argsort(rng.random((b, 9)), axis=1) + 1
    relabel = np.concatenate([np.zeros((b, 1), np.int64), digits], axis=1)
    return src, relabel


def apply_transform(grids: np.ndarray, src: np.ndarray, relabel: np.ndarray) -> np.ndarray:
    """Transform grids (b, 81) (0 = blank) with symmetries from ``sample_transform``; same dtype."""
    moved = np.take_along_axis(np.asarray(grids).astype(np.int64), src, axis=1)
    return np.take_along_axis(relabel, moved, axis=1).astype(np.asarray(grids).dtype)


def map_cells(cells: np.ndarray, src: np.ndarray) -> np.ndarray:
    """Map old cell indices (b, k) (-1 = padding, kept) to their new indices under ``src``."""
    inv = np.argsort(src, axis=1)
    safe = np.where(cells >= 0, cells, 0).astype(np.int64)
    return np.where(cells >= 0, np.take_along_axis(inv, safe, axis=1), -1)


def augment(puzzles: np.ndarray, solutions: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Apply one random symmetry per row to puzzles and solutions (b, 81), drawn from ``rng``."""
    src, relabel = sample_transform(rng, puzzles.shape[0])
    return apply_transform(puzzles, src, relabel), apply_transform(solutions, src, relabel)
