"""Readers/writers for the original Sudoku data formats (data.md, "What Shah et al. built").

- Shah et al. ``.npy``: (n, 325) ints per puzzle: [k, then 81 quadruples (row, col, value, strategy)], rows/cols
  0-indexed, the k givens first (strategy 0), then the blanks in solver order (strategy 2-8). We write blanks the
  step solver could not place (hard puzzles) last, row-major, with strategy 1 (unused by Shah et al.).
- Radcliffe's Kaggle CSV: header ``id,puzzle,solution,clues,difficulty``; '.' or '0' for blanks.
- Plain text, the one-line format of published collections: 81 characters per line ('0' or '.' for blanks),
  optionally ``,SOLUTION``; '#' lines are comments. A headerless ``.csv`` of such lines reads the same way.
``load_any`` dispatches on the path and returns a ``SudokuData`` (rated by our step solver where needed).
"""
from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

from anyorder.errors import InputError
from anyorder.io import read_text
from anyorder.tasks.sudoku import dataset
from anyorder.tasks.sudoku.board import COL, ROW, from_strings, to_string
from anyorder.tasks.sudoku.dataset import SudokuData, concat, rated_arrays

UNPLACED = 1  # strategy id for blanks the 7 techniques did not place


def to_shah(data: SudokuData) -> np.ndarray:
    """(n, 325) int64 Shah rows from a dataset (vectorized over puzzles)."""
    n = len(data)
    puzzles = data.puzzles.astype(np.int64)
    order = data.order.astype(np.int64)
    # rank of each cell: givens by position, then placed blanks by placement step, then unplaced blanks
    placed_step = np.full((n, 81), 200, np.int64)
    rows = np.repeat(np.arange(n), 81).reshape(n, 81)
    valid = order >= 0
    placed_step[rows[valid], order[valid]] = np.nonzero(valid)[1]
    key = np.where(puzzles > 0, np.arange(81) - 1000, np.where(placed_step < 200, placed_step, 100 + np.arange(81)))
    cells = np.argsort(key, axis=1, kind="stable")
    tech_full = np.full((n, 81), UNPLACED, np.int64)
    tech_full[rows[valid], order[valid]] = data.technique.astype(np.int64)[valid]
    tech_full[puzzles > 0] = 0
    strat = np.take_along_axis(tech_full, cells, 1)
    values = np.take_along_axis(data.solutions.astype(np.int64), cells, 1)
    quads = np.stack([ROW[cells], COL[cells], values, strat], axis=2).reshape(n, 324)
    return np.concatenate([(puzzles > 0).sum(1, keepdims=True), quads], axis=1)


def from_shah(rows: np.ndarray) -> SudokuData:
    """Dataset from Shah rows (n, 325). Order/technique come from the file (not re-rated)."""
    rows = np.asarray(rows)
    if rows.ndim != 2 or rows.shape[1] != 325:
        raise InputError(f"Shah Sudoku rows must have shape (n, 325), got {rows.shape}")
    n = rows.shape[0]
    k = rows[:, 0].astype(np.int64)
    q = rows[:, 1:].reshape(n, 81, 4).astype(np.int64)
    cell = 9 * q[..., 0] + q[..., 1]
    if ((q[..., :2] < 0) | (q[..., :2] > 8)).any() or ((q[..., 2] < 1) | (q[..., 2] > 9)).any():
        raise InputError("Shah Sudoku rows hold rows/cols outside 0-8 or values outside 1-9")
    solutions = np.zeros((n, 81), np.int8)
    np.put_along_axis(solutions, cell, q[..., 2].astype(np.int8), 1)
    is_given = np.arange(81)[None, :] < k[:, None]
    puzzles = np.zeros((n, 81), np.int8)
    np.put_along_axis(puzzles, cell, np.where(is_given, q[..., 2], 0).astype(np.int8), 1)
    placed = ~is_given & (q[..., 3] >= 2)
    rank = np.where(placed, np.arange(81), 200)  # compact placed blanks to the front, keeping their order
    srt = np.argsort(rank, axis=1, kind="stable")
    got = np.take_along_axis(placed, srt, 1)
    order = np.where(got, np.take_along_axis(cell, srt, 1), -1).astype(np.int8)
    tech = np.where(got, np.take_along_axis(q[..., 3], srt, 1), 0).astype(np.int8)
    arrays = {"puzzles": puzzles, "solutions": solutions, "order": order, "technique": tech,
              "n_givens": k.astype(np.int8), "hardest": tech.max(1).astype(np.int8),
              "solvable": placed.sum(1) == 81 - k, "index": np.arange(n, dtype=np.int64)}
    return SudokuData(arrays)


def write_shah(path: str | Path, data: SudokuData) -> None:
    np.save(path, to_shah(data))


def read_shah(path: str | Path) -> SudokuData:
    try:
        return from_shah(np.load(path, allow_pickle=False))
    except (OSError, ValueError) as e:
        raise InputError(f"{path}: cannot read Shah .npy: {e}") from e


def _clean(s: str, where: str) -> str:
    s = (s or "").strip().replace(".", "0")
    if len(s) != 81 or not all(c in "0123456789" for c in s):  # str.isdigit also takes '²' and other scripts
        raise InputError(f"{where}: expected 81 digits ('0' or '.' for blanks), got {s[:90]!r}")
    return s


def _from_puzzles(puzzles: np.ndarray, solutions: np.ndarray | None, where: str = "") -> SudokuData:
    from anyorder.tasks.sudoku.board import is_complete_valid
    from anyorder.tasks.sudoku.solver import solve

    if solutions is not None:
        bad = ~(is_complete_valid(solutions) & ((puzzles == solutions) | (puzzles == 0)).all(1))
        if bad.any():
            raise InputError(f"{where}: puzzle {int(np.argmax(bad)) + 1}: the given solution is not a valid grid "
                             "that keeps the givens")
    if solutions is None:
        solutions, counts = solve(puzzles)
        if (counts != 1).any():
            first = int(np.argmax(counts != 1))  # 1-based in the message, like the check of given solutions
            raise InputError(f"{where}: puzzle {first + 1} has {int(counts[first])} solutions (capped at 2)")
    parts = [rated_arrays(puzzles[i:i + 50000], solutions[i:i + 50000], np.arange(i, min(i + 50000, len(puzzles))))
             for i in range(0, len(puzzles), 50000)]
    return SudokuData(concat(parts))


PUZZLE_COLUMNS = ("puzzle", "quizzes", "quiz")  # Radcliffe; Park's 1M Kaggle set (quizzes,solutions)
SOLUTION_COLUMNS = ("solution", "solutions")


def read_radcliffe_csv(path: str | Path, limit: int | None = None) -> SudokuData:
    """A CSV with a header naming the puzzle column (Radcliffe's Kaggle ``id,puzzle,solution,clues,difficulty``,
    Park's ``quizzes,solutions``), rated by our step solver. A CSV whose first line is already a puzzle (no
    header) is read as one-line puzzles (``read_plain``)."""
    text = read_text(path, "CSV file")
    first = text.split("\n", 1)[0].split(",")[0].strip().replace(".", "0")
    if len(first) == 81 and first.isdigit():
        return read_plain(path, limit)
    puzzles, solutions = [], []
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        names = reader.fieldnames or []
        pcol = next((c for c in PUZZLE_COLUMNS if c in names), None)
        scol = next((c for c in SOLUTION_COLUMNS if c in names), None)
        if pcol is None:
            raise InputError(f"{path}: CSV needs a puzzle column ({' / '.join(PUZZLE_COLUMNS)}; Radcliffe: "
                             "id,puzzle,solution,clues,difficulty), or no header and one puzzle per line")
        for i, row in enumerate(reader):
            if limit is not None and i >= limit:
                break
            puzzles.append(_clean(row[pcol], f"{path} row {i + 2}"))
            if scol and row.get(scol):
                solutions.append(_clean(row[scol], f"{path} row {i + 2}"))
    except csv.Error as e:
        raise InputError(f"{path}: invalid CSV near line {reader.line_num}: {e}") from None
    if not puzzles:
        raise InputError(f"{path}: no puzzles found")
    sols = from_strings(solutions) if len(solutions) == len(puzzles) and puzzles else None
    return _from_puzzles(from_strings(puzzles), sols, str(path))


def write_radcliffe_csv(path: str | Path, data: SudokuData) -> None:
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "puzzle", "solution", "clues", "difficulty"])
        for i in range(len(data)):
            w.writerow([i, to_string(data.puzzles[i], "."), to_string(data.solutions[i]),
                        int(data.n_givens[i]), int(data.hardest[i])])


def read_plain(path: str | Path, limit: int | None = None) -> SudokuData:
    """One puzzle per line, the one-line format of published collections: 81 characters ('0' or '.' for
    blanks), optionally followed by a comma (or whitespace) and the 81-digit solution; anything after that
    (ratings, names) is ignored; blank lines and '#' lines are skipped. Without solutions on every line the
    puzzles are solved (and must have exactly one solution). Rated by our step solver."""
    puzzles, solutions = [], []
    number = 0
    for i, ln in enumerate(read_text(path, "puzzle file").splitlines()):
        text = ln.strip()
        if not text or text.startswith("#"):
            continue
        if limit is not None and number >= limit:
            break
        number += 1
        parts = [p for p in text.replace(",", " ").replace(";", " ").split() if p]
        if len(parts[0]) < 81 and len(text) >= 81:  # puzzle written with spaces inside: first 81 characters
            parts = [text[:81]]
        puzzles.append(_clean(parts[0][:81], f"{path} line {i + 1}"))
        if len(parts) > 1 and len(parts[1]) == 81 and parts[1].isdigit():
            solutions.append(_clean(parts[1], f"{path} line {i + 1} (solution)"))
    if not puzzles:
        raise InputError(f"{path}: no puzzles found")
    sols = from_strings(solutions) if len(solutions) == len(puzzles) else None
    return _from_puzzles(from_strings(puzzles), sols, str(path))


def write_plain(path: str | Path, puzzles: np.ndarray) -> None:
    Path(path).write_text("".join(to_string(p) + "\n" for p in np.asarray(puzzles).reshape(-1, 81)))


def load_any(path: str | Path) -> SudokuData:
    """Load a Sudoku dataset by path: our .npz/dir, Shah .npy, Radcliffe .csv, or plain text."""
    p = Path(path)
    if p.is_dir() or p.suffix == ".npz":
        return dataset.load(p)
    if not p.exists():
        raise InputError(f"Sudoku data file {p} does not exist")
    if p.suffix == ".npy":
        return read_shah(p)
    if p.suffix == ".csv":
        return read_radcliffe_csv(p)
    return read_plain(p)
