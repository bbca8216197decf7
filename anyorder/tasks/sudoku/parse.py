"""Parse and validate user-supplied Sudoku puzzles.

Accepted text: 81 cells, row-major, digits 1-9 for givens and '0' or '.' for blanks; whitespace (spaces,
tabs, newlines: e.g. a 9x9 layout) is ignored. Every failure raises a subclass of ``InputError`` whose
message names the problem: wrong length, bad characters, conflicting givens, no solution, several solutions.
"""
from __future__ import annotations

import numpy as np

from anyorder.errors import InputError
from anyorder.tasks.sudoku.board import COL, GROUPS, ROW


class PuzzleLengthError(InputError):
    """The text does not hold exactly 81 cells."""


class PuzzleCharacterError(InputError):
    """The text holds a character other than 0-9, '.' and whitespace."""


class PuzzleConflictError(InputError):
    """Two givens with the same digit share a row, column or box."""


class NoSolutionError(InputError):
    """The givens do not conflict directly but admit no completion."""


class MultipleSolutionsError(InputError):
    """The puzzle has more than one solution."""


_GROUP_NAMES = [f"row {i + 1}" for i in range(9)] + [f"column {i + 1}" for i in range(9)] + \
    [f"box {i + 1}" for i in range(9)]


def parse_grid(text: str) -> np.ndarray:
    """Text -> (81,) int8 grid (0 = blank), checking only length and characters."""
    cells = "".join(text.split())
    bad = sorted({ch for ch in cells if ch not in "0123456789."})
    if bad:
        first = next(i for i, ch in enumerate(cells) if ch in bad)
        raise PuzzleCharacterError(
            f"puzzle has invalid character(s) {bad} (first at cell {first + 1}); use digits 1-9 and 0 or '.' "
            "for blanks")
    if len(cells) != 81:
        raise PuzzleLengthError(f"puzzle has {len(cells)} cells, expected 81 (9x9; 0 or '.' for blanks)")
    return np.frombuffer(cells.replace(".", "0").encode("ascii"), dtype=np.uint8).astype(np.int8) - ord("0")


def check_conflicts(grid: np.ndarray) -> None:
    """Raise PuzzleConflictError naming the first group and digit that appear twice among the givens."""
    for gi, cells in enumerate(GROUPS):
        vals = grid[cells]
        for d in range(1, 10):
            where = cells[vals == d]
            if len(where) > 1:
                pos = ", ".join(f"r{ROW[c] + 1}c{COL[c] + 1}" for c in where)
                raise PuzzleConflictError(f"givens conflict: digit {d} appears twice in {_GROUP_NAMES[gi]} ({pos})")


def parse_puzzle(text: str, require_unique: bool = True) -> np.ndarray:
    """Parse and validate one puzzle. Returns (81,) int8 (0 = blank).

    Raises PuzzleLengthError, PuzzleCharacterError, PuzzleConflictError, NoSolutionError and (when
    ``require_unique``) MultipleSolutionsError.
    """
    from anyorder.tasks.sudoku.solver import count_solutions

    grid = parse_grid(text)
    check_conflicts(grid)
    n = int(count_solutions(grid, limit=2)[0])
    if n == 0:
        raise NoSolutionError(f"puzzle has no solution ({int((grid > 0).sum())} givens, none conflicting directly)")
    if n > 1 and require_unique:
        raise MultipleSolutionsError(
            f"puzzle has several solutions (at least 2; {int((grid > 0).sum())} givens): add givens to make it unique")
    return grid


__all__ = ["parse_grid", "parse_puzzle", "check_conflicts", "PuzzleLengthError", "PuzzleCharacterError",
           "PuzzleConflictError", "NoSolutionError", "MultipleSolutionsError"]
