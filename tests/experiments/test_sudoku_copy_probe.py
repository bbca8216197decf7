"""experiments.sudoku.copy_probe: fake models with known behaviour pin the copy rate and the fill-in accuracy."""
import numpy as np
import pytest
import torch

from anyorder.experiments.sudoku.copy_probe import copy_rates
from anyorder.tasks.sudoku import encode

from sudoku_fakes import PUZZLE, SOLUTION, digits

PUZZLES = np.tile(digits(PUZZLE), (5, 1))
SOLUTIONS = np.tile(digits(SOLUTION), (5, 1))


class Copier(torch.nn.Module):
    """Predicts the input token everywhere (a masked position gets the [MASK] id: never right)."""

    def __init__(self, vocab):
        super().__init__()
        self.vocab = vocab

    def forward(self, x):
        return torch.nn.functional.one_hot(x, self.vocab).float()


class Oracle(torch.nn.Module):
    """Predicts the true token everywhere (it knows x0)."""

    def __init__(self, x0, vocab):
        super().__init__()
        self.x0, self.vocab = x0, vocab

    def forward(self, x):
        return torch.nn.functional.one_hot(self.x0[: len(x)], self.vocab).float()


class Constant(torch.nn.Module):
    """Always predicts digit 5 (the token id ``five``)."""

    def __init__(self, five, vocab):
        super().__init__()
        self.five, self.vocab = five, vocab

    def forward(self, x):
        return torch.nn.functional.one_hot(torch.full_like(x, self.five), self.vocab).float()


@pytest.mark.parametrize("layout, mask_id, vocab", [("board81", 0, 10), ("prompt164", 12, 13)])
def test_a_copier_copies_and_cannot_fill(layout, mask_id, vocab):
    rows = copy_rates(Copier(vocab), PUZZLES, SOLUTIONS, layout, mask_id, rates=(0.3, 0.7), batch_size=2)
    assert [r["mask_rate"] for r in rows] == [0.3, 0.7]
    assert all(r["copy"] == 1.0 and r["masked_acc"] == 0.0 and r["visible"] > 0 and r["masked"] > 0 for r in rows)
    assert rows[1]["masked"] > rows[0]["masked"]  # the rate is applied


def test_an_oracle_is_right_everywhere_and_a_constant_copies_only_its_digit():
    x0, _ = encode.encode_board(PUZZLES, SOLUTIONS)
    (row,) = copy_rates(Oracle(torch.as_tensor(x0), 10), PUZZLES, SOLUTIONS, "board81", 0, rates=(0.5,))
    assert row["copy"] == 1.0 and row["masked_acc"] == 1.0
    (row,) = copy_rates(Constant(5, 10), PUZZLES, SOLUTIONS, "board81", 0, rates=(0.5,))
    blanks = digits(PUZZLE) == 0
    share_of_fives = float((digits(SOLUTION)[blanks] == 5).mean())
    assert row["copy"] == pytest.approx(share_of_fives, abs=0.12) and row["masked_acc"] == pytest.approx(
        share_of_fives, abs=0.12)


def test_givens_are_never_counted_and_unknown_layouts_are_refused():
    solved = np.tile(digits(SOLUTION), (3, 1))  # no blanks: nothing maskable on the board
    (row,) = copy_rates(Copier(10), solved, solved, "board81", 0, rates=(0.5,))
    assert row["visible"] == 0 and row["masked"] == 0
    with pytest.raises(ValueError, match="unknown Sudoku layout"):
        copy_rates(Copier(10), PUZZLES, SOLUTIONS, "board82", 0)
