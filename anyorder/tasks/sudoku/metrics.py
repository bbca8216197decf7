"""Sudoku metrics (data.md, "Metrics"; paper Tables 2 and 5).

exact: all 81 cells equal the solution. valid: every row, column and box is a permutation of 1-9 and every given
is kept (for unique puzzles valid == exact). cell: fraction of blanks filled correctly. Breakdowns by the number
of givens and by the hardest technique the step solver needed (techniques.TECHNIQUES ids; 0 = none).
"""
from __future__ import annotations

import numpy as np

from anyorder.tasks.sudoku.board import is_complete_valid
from anyorder.tasks.sudoku.techniques import TECHNIQUES


def per_puzzle(pred: np.ndarray, puzzles: np.ndarray, solutions: np.ndarray | None) -> dict[str, np.ndarray]:
    """Per-puzzle exact (B,) bool, valid (B,) bool, cell (B,) float. All inputs (B, 81), 0 = blank; without
    ``solutions`` only valid."""
    pred, puzzles = (np.asarray(a, np.int64).reshape(-1, 81) for a in (pred, puzzles))
    blanks = puzzles == 0
    kept = ((pred == puzzles) | blanks).all(1)
    valid = is_complete_valid(pred) & kept
    if solutions is None:
        return {"valid": valid}
    solutions = np.asarray(solutions, np.int64).reshape(-1, 81)
    exact = (pred == solutions).all(1)
    cell = ((pred == solutions) & blanks).sum(1) / np.maximum(blanks.sum(1), 1)
    return {"exact": exact, "valid": valid, "cell": cell}


def summarize(pred: np.ndarray, puzzles: np.ndarray, solutions: np.ndarray,
              hardest: np.ndarray | None = None) -> dict[str, float]:
    """Mean metrics plus breakdowns "exact/givens=24", "exact/hardest=xy_wing" (and the same for valid, cell)."""
    m = per_puzzle(pred, puzzles, solutions)
    out = {k: float(v.mean()) for k, v in m.items()}
    groups = {"givens": (np.asarray(puzzles).reshape(-1, 81) > 0).sum(1)}
    if hardest is not None:
        groups["hardest"] = np.asarray(hardest)
    for gname, key in groups.items():
        for val in np.unique(key):
            sel = key == val
            label = TECHNIQUES.get(int(val), "none") if gname == "hardest" else str(int(val))
            for k, v in m.items():
                out[f"{k}/{gname}={label}"] = float(v[sel].mean())
            out[f"count/{gname}={label}"] = float(sel.sum())
    return out
