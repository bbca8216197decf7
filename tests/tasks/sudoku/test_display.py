"""Sudoku's display hooks (``tasks.sudoku.display``; the ``tasks.base.Display`` contract)."""
import numpy as np
import pytest
import torch

from anyorder.errors import CheckpointError, InputError
from anyorder.tasks.registry import get_task
from anyorder.tasks.sudoku import encode
from anyorder.tasks.sudoku.display import SudokuDisplay, display, solver_index
from anyorder.tasks.sudoku.techniques import rate

PUZZLE = "530070000600195000098000060800060003400803001700020006060000280000419005000080079"
SOLUTION = "534678912672195348198342567859761423426853791713924856961537284287419635345286179"


def grid(s):
    return np.array([int(c) for c in s], np.int8)


@pytest.mark.parametrize("layout", ["board81", "prompt164"])
def test_encode_cells_labels_round_trip(layout):
    d = display({"name": "sudoku", "metadata": {"layout": layout}})
    assert get_task("sudoku").display is display and d.layout_name == layout
    tokens, is_fixed = d.encode([d.parse(PUZZLE)])
    assert tokens.shape == (1, 81 if layout == "board81" else 164)
    # prompt164 masks the whole response, clues included (the model writes all 81 cells; none is fixed there)
    shown = PUZZLE if layout == "board81" else "0" * 81
    assert "".join(c or "0" for c in d.labels(tokens)[0]) == shown
    assert [bool(g) for g in d.cells(is_fixed)[0]] == [c != "0" for c in shown]
    board = torch.zeros_like(tokens)
    board[:, d.offset:d.offset + 81] = torch.arange(81)
    assert d.cells(board)[0].tolist() == list(range(81))
    solved = tokens.clone()
    solved[:, d.offset:d.offset + 81] = torch.as_tensor(grid(SOLUTION).astype(np.int64))
    assert d.check([grid(PUZZLE)], solved)["valid"] == [True]
    assert d.check([grid(PUZZLE)], tokens)["valid"] == [False]
    assert d.format(grid(PUZZLE)) == PUZZLE


def test_token_labels_and_errors():
    d = SudokuDisplay()
    assert d.token_labels([1, 9, 0]) == ["1", "9", encode.BOARD_TOKENIZER.symbols[0]]
    with pytest.raises(InputError, match="too long"):
        d.parse("0" * 2000)
    with pytest.raises(InputError, match="expected 81"):
        d.parse("123")
    with pytest.raises(CheckpointError, match="layout"):
        SudokuDisplay("arm243")
    with pytest.raises(InputError, match="difficulty"):
        d.generate("extreme", 0)


def test_reference_order_is_the_step_solvers():
    d = SudokuDisplay()
    ref = d.reference_order(grid(PUZZLE))
    stored = rate(grid(PUZZLE)[None])["order"][0]
    assert (ref[grid(PUZZLE) > 0] == -1).all()
    assert sorted(ref[ref >= 0]) == list(range(PUZZLE.count("0")))
    assert [int(np.nonzero(ref == k)[0][0]) for k in range(3)] == list(stored[:3])
    assert solver_index(np.array([5, 2, -1]))[[5, 2, 0]].tolist() == [0, 1, -1]


@pytest.mark.slow
def test_generate_by_difficulty():
    d = SudokuDisplay()
    easy = d.generate("easy", 1)
    r = rate(easy[None])
    assert r["solvable"][0] and r["hardest"][0] <= 3 and 17 <= (easy > 0).sum() <= 40


def test_examples_are_the_first_shipped_puzzles_of_each_split():
    from anyorder.tasks.sudoku.dataset import shipped
    ex = SudokuDisplay().examples()
    assert list(ex) == [f"shipped {s} #{i}" for s in ("test", "hard") for i in (1, 2, 3)]
    assert np.array_equal(ex["shipped test #1"], shipped("test", 1).puzzles[0])
    assert np.array_equal(ex["shipped hard #3"], shipped("hard", 3).puzzles[2])
    assert all(v.dtype == np.int8 and v.shape == (81,) for v in ex.values())
