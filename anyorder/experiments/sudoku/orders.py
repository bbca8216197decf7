"""How an MDM's adaptive decoding order relates to a human-strategy step solver's order (paper Sec. 4.3).

Two measurements per decoded puzzle (blanks only; givens carry order -1):
- rank correlation (Spearman rho and Kendall tau-b, ties allowed) between the step at which the MDM revealed
  each blank and the index at which the 7-technique solver placed it;
- the fraction of the MDM's reveals that were *placeable* at that moment, i.e. a lone single or a hidden single
  of the grid as the MDM had filled it just before that step.

``placeable_cells`` works on plain row/column/box candidates (digits not yet used in the cell's row, column and
box). The step solver also eliminates candidates with pairs, triplets, locked candidates, XY-wings and unique
rectangles before finding some singles; those are not singles of the plain candidates, so for puzzles that need
the harder techniques the solver's own order can score below 1. For puzzles solvable by singles alone it scores 1.
"""
from __future__ import annotations

import numpy as np
from scipy import stats

ROWS = np.arange(81).reshape(9, 9)
UNITS = np.concatenate(
    [ROWS, ROWS.T, ROWS.reshape(3, 3, 3, 3).transpose(0, 2, 1, 3).reshape(9, 9)]
)  # (27, 9): cell ids of each row, column and box
CELL_UNITS = np.stack([np.nonzero((UNITS == c).any(1))[0] for c in range(81)])  # (81, 3): units of each cell


def candidates(grid: np.ndarray) -> np.ndarray:
    """grid (B, 81) ints, 0 = blank, 1..9 = digit -> (B, 81, 9) bool: digit d+1 is legal in the blank cell.

    Filled cells have no candidates. Digits are legal when not present in the cell's row, column or box.
    """
    grid = np.asarray(grid)
    onehot = np.zeros(grid.shape + (10,), dtype=bool)
    np.put_along_axis(onehot, grid[..., None].astype(np.int64), True, axis=-1)
    used_in_unit = onehot[:, UNITS, 1:].any(axis=2)  # (B, 27, 9)
    used = used_in_unit[:, CELL_UNITS].any(axis=2)  # (B, 81, 9)
    return ~used & (grid == 0)[..., None]


def placeable_cells(grid: np.ndarray) -> np.ndarray:
    """grid (B, 81) -> (B, 81) bool: blank cells holding a lone single or a hidden single.

    Lone single: exactly one candidate. Hidden single: some candidate digit of the cell is a candidate in no
    other cell of one of the cell's three units (row, column, box).
    """
    cand = candidates(grid)
    lone = cand.sum(-1) == 1
    per_unit = cand[:, UNITS].sum(axis=2)  # (B, 27, 9): cells of the unit where each digit fits
    single_in_unit = per_unit[:, CELL_UNITS] == 1  # (B, 81, 3, 9)
    hidden = (single_in_unit & cand[:, :, None, :]).any(axis=(2, 3))
    return lone | hidden


def placeable_fraction(puzzles: np.ndarray, values: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Per puzzle, the fraction of reveals that were placeable just before their step.

    puzzles: (B, 81) 0 = blank; values: (B, 81) the decoded digits; order: (B, 81) reveal step, -1 for givens.
    Cells revealed in the same step are all judged against the grid before that step. Returns (B,) float.
    """
    puzzles, values, order = (np.asarray(a) for a in (puzzles, values, order))
    grid = puzzles.copy()
    hits = np.zeros(len(grid), dtype=np.int64)
    for step in range(int(order.max(initial=-1)) + 1):
        now = order == step
        if not now.any():
            continue
        hits += (placeable_cells(grid) & now).sum(1)
        grid = np.where(now, values, grid)
    n_revealed = (order >= 0).sum(1)
    return hits / np.maximum(n_revealed, 1)


def rank_correlations(order: np.ndarray, solver_index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per puzzle Spearman rho and Kendall tau-b between MDM reveal steps and solver placement indices.

    order, solver_index: (B, 81); blanks are the cells with order >= 0 (solver_index must be >= 0 there).
    Puzzles with fewer than 2 blanks or a constant order give NaN. Returns two (B,) float arrays.
    """
    order, solver_index = np.asarray(order), np.asarray(solver_index)
    rho = np.full(len(order), np.nan)
    tau = np.full(len(order), np.nan)
    for b in range(len(order)):  # analysis only, not a decoding hot path
        blank = order[b] >= 0
        x, y = order[b, blank], solver_index[b, blank]
        if blank.sum() < 2 or np.ptp(x) == 0 or np.ptp(y) == 0:
            continue
        rho[b] = stats.spearmanr(x, y).statistic
        tau[b] = stats.kendalltau(x, y).statistic
    return rho, tau


def order_summary(puzzles, values, order, solver_index) -> dict[str, float]:
    """Mean rank correlations and placeable fraction over a batch (NaN correlations are skipped)."""
    rho, tau = rank_correlations(order, solver_index)
    frac = placeable_fraction(puzzles, values, order)
    return {
        "spearman": float(np.nanmean(rho)) if np.isfinite(rho).any() else float("nan"),
        "kendall": float(np.nanmean(tau)) if np.isfinite(tau).any() else float("nan"),
        "placeable_fraction": float(frac.mean()) if len(frac) else float("nan"),
        "n_puzzles": int(len(frac)),
    }


def singles_order(puzzle: np.ndarray, solution: np.ndarray) -> np.ndarray | None:
    """A solver order using singles only: place the first placeable cell (row-major) each step.

    puzzle, solution: (81,) -> (81,) placement index (-1 for givens), or None when singles get stuck.
    Used as a reference order (and in tests); the 7-technique solver lives in ``anyorder.tasks.sudoku``.
    """
    grid = np.asarray(puzzle).copy()[None]
    index = np.full(81, -1, dtype=np.int64)
    for k in range(int((grid == 0).sum())):
        cells = np.nonzero(placeable_cells(grid)[0])[0]
        if not len(cells):
            return None
        grid[0, cells[0]] = solution[cells[0]]
        index[cells[0]] = k
    return index
