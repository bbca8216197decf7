"""Grid helpers for 9x9 Sudoku: index tables, peers, string conversion and validity checks.

A grid is an int8 array of 81 cells in row-major order (cell = 9 * row + col); 0 means blank, 1-9 a digit.
Batches are (B, 81). Boxes are numbered row-major (box = 3 * (row // 3) + col // 3). data.md, "Sudoku".
"""
from __future__ import annotations

import numpy as np

N_CELLS = 81
ROW = np.arange(81, dtype=np.int64) // 9
COL = np.arange(81, dtype=np.int64) % 9
BOX = 3 * (ROW // 3) + COL // 3


def _groups() -> np.ndarray:
    """(27, 9) cell indices: rows 0-8, then columns 0-8, then boxes 0-8 (each box row-major)."""
    rows = [[9 * r + c for c in range(9)] for r in range(9)]
    cols = [[9 * r + c for r in range(9)] for c in range(9)]
    boxes = [[9 * (3 * (b // 3) + i) + 3 * (b % 3) + j for i in range(3) for j in range(3)] for b in range(9)]
    return np.array(rows + cols + boxes, dtype=np.int64)


GROUPS = _groups()
# SEES[a, b]: a and b share a row, column or box (a cell sees itself).
SEES = (ROW[:, None] == ROW[None, :]) | (COL[:, None] == COL[None, :]) | (BOX[:, None] == BOX[None, :])
PEERS = np.array([np.flatnonzero(SEES[i] & (np.arange(81) != i)) for i in range(81)], dtype=np.int64)  # (81, 20)


def to_string(grid: np.ndarray, blank: str = "0") -> str:
    """81-character string of one grid (blanks written as ``blank``)."""
    return "".join(blank if v == 0 else str(int(v)) for v in np.asarray(grid).reshape(81))


def from_strings(lines: list[str]) -> np.ndarray:
    """(n, 81) int8 grids from already-clean 81-char strings of '0'-'9' or '.' (no validation)."""
    raw = np.frombuffer("".join(lines).replace(".", "0").encode("ascii"), dtype=np.uint8)
    return (raw.reshape(len(lines), 81) - ord("0")).astype(np.int8)


def conflicts(grids: np.ndarray) -> np.ndarray:
    """(B,) bool: some row, column or box holds a digit twice (blanks ignored). grids: (B, 81)."""
    g = np.asarray(grids).reshape(-1, 81)
    onehot = (g[:, GROUPS][..., None] == np.arange(1, 10)).sum(axis=2)  # (B, 27, 9) count per digit
    return (onehot > 1).any(axis=(1, 2))


def is_complete_valid(grids: np.ndarray) -> np.ndarray:
    """(B,) bool: every row, column and box is a permutation of 1-9. grids: (B, 81)."""
    g = np.asarray(grids).reshape(-1, 81)
    onehot = (g[:, GROUPS][..., None] == np.arange(1, 10)).sum(axis=2)
    return (onehot == 1).all(axis=(1, 2))
