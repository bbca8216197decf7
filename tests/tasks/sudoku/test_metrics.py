import numpy as np

from anyorder.tasks.sudoku.board import from_strings
from anyorder.tasks.sudoku.metrics import per_puzzle, summarize

from .test_solver import EASY, EASY_SOL


def test_hand_made_cases():
    p = from_strings([EASY] * 4)
    s = from_strings([EASY_SOL] * 4)
    exact = s[0].copy()
    wrong_cell = s[0].copy()
    blanks = np.flatnonzero(p[0] == 0)
    wrong_cell[blanks[0]] = wrong_cell[blanks[0]] % 9 + 1
    # a different valid grid: relabel digits 1<->2 everywhere (breaks the givens, stays a valid Sudoku)
    swapped = np.where(s[0] == 1, 2, np.where(s[0] == 2, 1, s[0]))
    empty = p[0].copy()
    m = per_puzzle(np.stack([exact, wrong_cell, swapped, empty]), p, s)
    assert m["exact"].tolist() == [True, False, False, False]
    assert m["valid"].tolist() == [True, False, False, False]
    nb = len(blanks)
    assert np.allclose(m["cell"], [1.0, (nb - 1) / nb, ((p[0] == 0) & (swapped == s[0])).sum() / nb, 0.0])


def test_valid_without_exact_for_non_unique_input():
    p = from_strings([EASY_SOL])
    p[0, [0, 1]] = 0  # still unique, but pretend the reference is a different grid
    other = from_strings([EASY_SOL])
    ref = other.copy()
    ref[0, 0], ref[0, 1] = ref[0, 1], ref[0, 0]  # an invalid "solution" reference
    m = per_puzzle(other, p, ref)
    assert m["valid"][0] and not m["exact"][0]


def test_breakdowns():
    p = from_strings([EASY, EASY])
    s = from_strings([EASY_SOL, EASY_SOL])
    pred = np.stack([s[0], p[1]])
    out = summarize(pred, p, s, hardest=np.array([2, 7]))
    assert out["exact"] == 0.5
    assert out["exact/hardest=lone_single"] == 1.0 and out["exact/hardest=xy_wing"] == 0.0
    assert out["exact/givens=30"] == 0.5 and out["count/givens=30"] == 2.0
