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
