"""Paired comparison of two `anyorder solve` outputs on the same Sudoku puzzles (exact McNemar test).

    python scripts/compare_solves.py anyorder/assets/sudoku/test.npz A.txt B.txt [--names A B] [--limit N]

A.txt / B.txt are the plain `--output` files of `anyorder solve` (one 81-digit grid a line, in the puzzle file's
order; with `--limit N`, of its first N puzzles, as `anyorder solve --limit N` writes). Prints both accuracies, the 2 x 2 table of per-puzzle outcomes, and the two-sided exact McNemar p-value
(binomial test on the discordant puzzles): whether the two models differ on these puzzles beyond chance.
"""
from __future__ import annotations

import argparse

import numpy as np

from anyorder.errors import AnyorderError
from anyorder.evaluation.paired import paired_outcome
from anyorder.io import read_text
from anyorder.tasks.sudoku.board import from_strings
from anyorder.tasks.sudoku.dataset import load


def exact_per_puzzle(solutions: np.ndarray, output_path: str) -> np.ndarray:
    """(n,) bool: the output grid equals the solution."""
    lines = [ln.strip() for ln in read_text(output_path, "solve output").splitlines() if ln.strip()]
    if any(len(ln) != 81 or not ln.isdigit() for ln in lines):
        raise SystemExit(f"{output_path}: expected one 81-digit grid a line")
    grids = from_strings(lines)
    if grids.shape != solutions.shape:
        raise SystemExit(f"{output_path}: {grids.shape[0]} grids, the puzzle file has {solutions.shape[0]} "
                         "(outputs of `anyorder solve --limit N`: pass the same --limit here)")
    return (grids == solutions).all(axis=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("puzzles", help="puzzle file with solutions (.npz)")
    parser.add_argument("a")
    parser.add_argument("b")
    parser.add_argument("--names", nargs=2, default=("A", "B"))
    parser.add_argument("--limit", type=int, help="only the first N puzzles of the file (both outputs cover them)")
    args = parser.parse_args()
    try:
        solutions = load(args.puzzles).solutions[: args.limit]
        a, b = exact_per_puzzle(solutions, args.a), exact_per_puzzle(solutions, args.b)
    except AnyorderError as e:
        raise SystemExit(f"error: {e}") from None
    out = paired_outcome(a, b)
    name_a, name_b = args.names
    print(f"{name_a}: {a.mean():.1%} exact, {name_b}: {b.mean():.1%} exact, n = {a.size}")
    print(f"both right {out.both}, only {name_a} {out.only_a}, only {name_b} {out.only_b}, both wrong {out.neither}")
    print(f"exact McNemar p = {out.p_value:.3g}")


if __name__ == "__main__":
    main()
