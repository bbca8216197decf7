"""Sudoku behaviour pinned by mutants that survived tests/tasks/sudoku (scripts/mutation.sh; docs/testing.md)."""
import numpy as np

from anyorder.tasks.sudoku import encode
from anyorder.tasks.sudoku.board import conflicts

# a valid solution grid: row r is 1..9 shifted by 3 r + r // 3
SOLUTION = np.array([(r * 3 + r // 3 + c) % 9 + 1 for r in range(9) for c in range(9)], np.int64)


def test_conflicts_flag_only_a_repeated_digit():
    empty = np.zeros(81, np.int64)
    one = empty.copy()
    one[40] = 5  # a single given breaks nothing
    assert conflicts(np.stack([empty, one, SOLUTION])).tolist() == [False, False, False]
    row, col, box = one.copy(), one.copy(), one.copy()
    row[44], col[4], box[30] = 5, 5, 5  # same row, same column, same box as cell 40
    assert conflicts(np.stack([row, col, box])).tolist() == [True, True, True]


def test_prompt_tables_segments():
    row, col, box, seg = encode.prompt_tables()
    assert seg == (0,) * 81 + (1,) + (2,) * 81 + (3,)
    assert row[:81] == row[82:163] == tuple(int(i) // 9 for i in range(81)) and row[81] == row[163] == 9
    assert len(col) == len(box) == 164


def test_arm81_tokens_round_trip_and_decoding_input():
    puzzle = SOLUTION.copy()
    puzzle[[0, 10, 80]] = 0  # three blanks
    cells = encode.cell_sequence(puzzle[None], None, "fixed")
    tokens, loss_mask = encode.encode_arm81(puzzle[None], SOLUTION[None], cells)
    assert tokens.shape == (1, 82) and tokens[0, 0] == encode.ARM81_BOS
    assert tokens[0, 1] == 9 * 1 + SOLUTION[1] - 1  # first given cell (1) and its value
    assert tokens[0, -3:].tolist() == [9 * c + SOLUTION[c] - 1 for c in (0, 10, 80)]  # blanks last, in order
    assert loss_mask[0].tolist() == [False] * 79 + [True] * 3
    assert np.array_equal(encode.decode_arm81(tokens), SOLUTION[None])
    inp, is_fixed = encode.arm81_input(puzzle)
    assert inp.shape == (1, 82) and inp[0, -3:].tolist() == [encode.ARM81_PAD] * 3
    assert np.array_equal(inp[0, :79], tokens[0, :79]) and is_fixed[0].tolist() == [True] * 79 + [False] * 3
    assert np.array_equal(encode.decode_arm81(inp), puzzle[None])
