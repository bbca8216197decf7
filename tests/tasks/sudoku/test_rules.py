"""Sudoku rule hooks in token space (tasks.sudoku.rules, MDMEvaluation.consistent / verify / allowed)."""
import numpy as np
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from anyorder.tasks.base import checker_of
from anyorder.tasks.sudoku.board import is_complete_valid
from anyorder.tasks.sudoku.dataset import shipped
from anyorder.tasks.sudoku.encode import board_input, prompt_input
from anyorder.tasks.sudoku.rules import SudokuRules
from anyorder.tasks.sudoku.task import MDMEvaluation

DATA = shipped("test", 8)
RULES = SudokuRules.for_layout("board81")


def test_solutions_verify_and_puzzles_are_consistent():
    sol = torch.as_tensor(np.asarray(DATA.solutions, np.int64))
    puz = torch.as_tensor(board_input(DATA.puzzles)[0])
    assert RULES.verify(sol).all() and RULES.consistent(sol).all()
    assert RULES.consistent(puz).all() and not RULES.verify(puz).any()


def test_allowed_contains_the_solution_and_excludes_peers():
    puz = torch.as_tensor(board_input(DATA.puzzles)[0])
    sol = torch.as_tensor(np.asarray(DATA.solutions, np.int64))
    allowed = RULES.allowed(puz)
    assert allowed.shape == (8, 81, 10)
    assert allowed.gather(2, sol[..., None]).all()  # the solution digit is always allowed
    assert not allowed[..., 0].any()  # [MASK] never allowed at a cell
    # cell 0's row peers' digits are not allowed at cell 0
    row0 = puz[0, 1:9]
    assert not allowed[0, 0, row0[row0 > 0]].any()


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 7), st.lists(st.tuples(st.integers(0, 80), st.integers(1, 9)), min_size=1, max_size=6))
def test_verify_never_accepts_an_invalid_grid(i, changes):
    grid = np.asarray(DATA.solutions[i], np.int64).copy()
    for cell, d in changes:
        grid[cell] = d
    ok = bool(RULES.verify(torch.as_tensor(grid)[None])[0])
    assert ok == bool(is_complete_valid(grid[None])[0])
    if not (grid == DATA.solutions[i]).all():
        assert not ok  # a changed solution grid is never a solution (unique completion)


def test_prompt164_layout_and_task_hooks():
    ev = MDMEvaluation("test", 8, "prompt164")
    assert checker_of(ev) is ev
    tokens, _ = prompt_input(DATA.puzzles)
    tokens = torch.as_tensor(tokens)
    full = tokens.clone()
    full[:, 82:163] = torch.as_tensor(np.asarray(DATA.solutions, np.int64))
    assert ev.verify(full).all() and not ev.verify(tokens).any()
    bad = full.clone()
    bad[:, 82], bad[:, 83] = bad[:, 83].clone(), bad[:, 82].clone()
    assert not ev.consistent(bad).any()
    assert ev.allowed(tokens).shape == (8, 164, 13)
    implied = ev.implied(tokens)
    sol = torch.as_tensor(np.asarray(DATA.solutions, np.int64))
    assert implied[:, 82:163].gather(2, sol[..., None]).all() and implied[:, :82].all()  # outside the board: any
    assert not (implied & ~ev.allowed(tokens)).any()


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 7), st.floats(0.0, 1.0), st.integers(0, 2**31 - 1))
def test_implied_never_excludes_the_solution_and_narrows_allowed(i, keep, seed):
    """Sound: any revealed subset of a solution leaves the solution's digit implied at every blank."""
    sol = torch.as_tensor(np.asarray(DATA.solutions[i], np.int64))
    puz = torch.as_tensor(np.asarray(DATA.puzzles[i], np.int64))
    extra = torch.rand(81, generator=torch.Generator().manual_seed(seed)) < keep
    tokens = torch.where((puz > 0) | extra, sol, 0)[None]
    implied, allowed = RULES.implied(tokens), RULES.allowed(tokens)
    assert not (implied & ~allowed).any()  # a subset of allowed
    assert implied[0].gather(1, sol[:, None]).all()


def _pin_grid():
    """Row 0 blank at cells 0-2 except that digit 1 can only go to cell 0 (1s placed in the rows/boxes that
    block cells 1 and 2): a hidden single; cells 0-2 otherwise allow several digits."""
    grid = torch.zeros(1, 81, dtype=torch.int64)
    grid[0, 3:9] = torch.tensor([4, 5, 6, 7, 8, 9])  # row 0: 1, 2, 3 missing at cells 0-2
    grid[0, 9 * 3 + 1] = 1  # column 1 holds a 1 (row 3)
    grid[0, 9 * 6 + 2] = 1  # column 2 holds a 1 (row 6)
    return grid


def test_implied_pins_a_hidden_single():
    grid = _pin_grid()
    allowed, implied = RULES.allowed(grid), RULES.implied(grid)
    assert allowed[0, 0, 1:4].tolist() == [True, True, True]  # peers alone leave 1, 2, 3 at cell 0
    assert implied[0, 0, 1:10].nonzero()[:, 0].tolist() == [0]  # the only place of 1 in row 0: cell 0 is 1
    assert implied[0, 1, 2:4].tolist() == [True, True] and not implied[0, 1, 1]


def test_implied_finds_a_digit_with_no_place():
    grid = _pin_grid()
    grid[0, 9 * 1 + 0] = 1  # a 1 in column 0 too: digit 1 has no cell left in row 0
    implied = RULES.implied(grid)
    assert not implied[0, 0:3, 1:10].any()  # every blank of row 0: a dead end
    assert implied[0, 40, 1:10].any()  # elsewhere unaffected
