"""Sudoku ARM decoding over triples, invalid-triple handling and metrics (anyorder.experiments.sudoku.arm)."""
import numpy as np
import pytest
import torch

from anyorder.errors import ConfigError, InputError
from anyorder.experiments.sudoku.arm import (
    arm_prompt,
    filled_cells,
    solve_sudoku_arm,
    triple_constraint,
    triples_to_grid,
)

from sudoku_fakes import PATTERN_SOLUTION as SOLUTION
from sudoku_fakes import blanked


def puzzles(n=4, blanks=30, seed=0):
    return blanked(n, blanks, seed)


class Oracle:
    """Causal 'model' writing the first empty cell (row-major) of SOLUTION; ``bad`` always proposes (0, 0, 0)."""

    def __init__(self, bad=False):
        self.bad = bad

    def __call__(self, prefix):
        n, t = prefix.shape
        target = torch.zeros(n, dtype=torch.long)
        if not self.bad:
            first = (~filled_cells(prefix)).float().argmax(1)  # first empty cell
            if t % 3 == 0:
                target = first // 9
            elif t % 3 == 1:
                row = prefix[:, -1]
                empty = ~filled_cells(prefix).view(n, 9, 9)[torch.arange(n), row]
                target = empty.float().argmax(1)
            else:
                target = torch.from_numpy(SOLUTION)[9 * prefix[:, -2] + prefix[:, -1]]
        logits = torch.zeros(n, t, 11)
        logits[torch.arange(n), -1, target] = 10.0
        return logits


def test_arm_prompt_lists_the_givens():
    p = puzzles(2)
    tokens, n_prompt = arm_prompt(p)
    assert tokens.shape == (2, 243) and n_prompt.tolist() == [3 * int((row > 0).sum()) for row in p]
    g = triples_to_grid(tokens[:1, :n_prompt[0]])
    assert np.array_equal(g.grid.numpy()[0], p[0]) and g.n_out_of_range.item() == g.n_filled_cell.item() == 0
    with pytest.raises(InputError):
        arm_prompt(np.zeros((1, 81), np.int64))


def test_triples_to_grid_skips_and_counts_invalid_triples():
    tokens = torch.tensor([[0, 0, 5,   0, 0, 7,   9, 1, 3,   1, 2, 0,   2, 2, 4,   2, 2, 4]])
    g = triples_to_grid(tokens)
    assert g.grid[0, 0] == 5 and g.grid[0, 20] == 4 and g.grid.count_nonzero() == 2  # first triple wins
    assert g.n_out_of_range.tolist() == [2] and g.n_filled_cell.tolist() == [2]
    with pytest.raises(InputError):
        triples_to_grid(torch.zeros(1, 4, dtype=torch.long))


def test_constraint_allows_only_empty_in_range_cells():
    prefix = torch.tensor([[0, 0, 5, 0, 1, 6]])
    prefix_full_row = torch.tensor([[0, c, c + 1][i % 3] for c in range(9) for i in range(3)])[None]
    rows = triple_constraint(prefix_full_row, 27)
    assert rows[0, :9].tolist() == [False] + [True] * 8 and not rows[0, 9:].any()
    cols = triple_constraint(torch.cat([prefix, torch.tensor([[0]])], 1), 7)
    assert cols[0].tolist() == [False, False] + [True] * 7 + [False, False]
    vals = triple_constraint(torch.cat([prefix, torch.tensor([[0, 3]])], 1), 8)
    assert vals[0].tolist() == [False] + [True] * 9 + [False]


@pytest.mark.parametrize("width", [1, 3])
def test_oracle_solves_every_puzzle(width):
    p = puzzles(3)
    res = solve_sudoku_arm(Oracle(), p, np.tile(SOLUTION, (3, 1)), beam_width=width, batch_size=2)
    assert res.metrics["exact"] == 1.0 and res.metrics["valid"] == 1.0 and res.metrics["cell"] == 1.0
    assert res.metrics["invalid_argmax"] == 0.0 and res.n_filled_cell.sum() == res.n_out_of_range.sum() == 0


def test_invalid_triples_are_counted_not_crashed_on():
    p = puzzles(2)
    sols = np.tile(SOLUTION, (2, 1))
    free = solve_sudoku_arm(Oracle(bad=True), p, sols, constrain="none")
    n_blank = (p == 0).sum(1)
    assert free.n_out_of_range.tolist() == n_blank.tolist()  # every generated triple has value 0
    assert free.metrics["exact"] == 0.0 and np.array_equal(free.grid, p)  # givens never overwritten
    fixed = solve_sudoku_arm(Oracle(bad=True), p, sols, constrain="format")
    assert fixed.n_out_of_range.sum() == fixed.n_filled_cell.sum() == 0
    assert (fixed.grid > 0).all() and (fixed.n_invalid_argmax > 0).all()
    assert fixed.metrics["invalid_argmax"] == float(fixed.n_invalid_argmax.mean())
    with pytest.raises(ConfigError):
        solve_sudoku_arm(Oracle(), p, sols, constrain="sudoku")
