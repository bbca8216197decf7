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


def test_cell_accuracy_of_a_puzzle_with_one_blank():
    from anyorder.tasks.sudoku.metrics import per_puzzle
    puzzle = SOLUTION.copy()
    puzzle[7] = 0
    wrong = SOLUTION.copy()
    wrong[7] = SOLUTION[7] % 9 + 1
    m = per_puzzle(np.stack([SOLUTION, wrong]), np.stack([puzzle, puzzle]), np.stack([SOLUTION, SOLUTION]))
    assert m["cell"].tolist() == [1.0, 0.0] and m["exact"].tolist() == [True, False]


def test_sudoku_option_errors_name_the_option(monkeypatch):
    import pytest

    from anyorder.errors import ConfigError
    from anyorder.tasks.sudoku.task import SudokuARMOptions, load_train
    with pytest.raises(ConfigError, match=r"^unknown Sudoku eval_split 'easy'; valid: \['hard', 'test'\]$"):
        SudokuARMOptions(eval_split="easy")
    with pytest.raises(ConfigError, match="^order='solver' needs the solver order$"):
        encode.cell_sequence(SOLUTION[None], None, "solver")
    monkeypatch.delenv("ANYORDER_SUDOKU_TRAIN", raising=False)
    with pytest.raises(ConfigError, match="needs option train_path .* or set ANYORDER_SUDOKU_TRAIN$"):
        load_train(None, 10)


def test_generated_training_puzzles_exclude_the_shipped_test_split(monkeypatch):
    from anyorder.tasks.sudoku import task
    from anyorder.tasks.sudoku.dataset import shipped
    test = shipped("test", 4)
    fresh = np.tile(SOLUTION, (3, 1))
    for i in range(3):
        fresh[i, [i, 20 + i, 40 + i]] = 0  # three blanks: solvable by singles, not shipped
    monkeypatch.setattr(task, "generate", lambda n, seed: (np.concatenate([test.puzzles, fresh]).astype(np.int8),
                                                           np.concatenate([test.solutions,
                                                                           np.tile(SOLUTION, (3, 1))]).astype(np.int8)))
    data = task.load_train("generate", 7)
    assert np.array_equal(data.puzzles, fresh)


def test_build_split_creates_missing_parent_directories(tmp_path):
    from anyorder.tasks.sudoku.dataset import build_split, load
    out = build_split(tmp_path / "a" / "b" / "train", "train", 3, seed=3, chunk=8, progress=False)
    assert out == tmp_path / "a" / "b" / "train" and len(load(out)) == 3


def test_groups_are_the_rows_columns_and_boxes():
    # called here, not only at import: module-level constants are built before a test can observe them
    from anyorder.tasks.sudoku.board import _groups
    g = _groups()
    assert g.shape == (27, 9)
    assert g[0].tolist() == list(range(9)) and g[9].tolist() == list(range(0, 81, 9))
    assert g[18].tolist() == [0, 1, 2, 9, 10, 11, 18, 19, 20] and g[26].tolist() == [60, 61, 62, 69, 70, 71, 78, 79, 80]
    assert (np.bincount(g.ravel(), minlength=81) == 3).all()  # every cell in one row, one column, one box


def test_rules_for_each_layout():
    import torch

    from anyorder.tasks.sudoku.rules import SudokuRules
    board, prompt = SudokuRules.for_layout("board81"), SudokuRules.for_layout("prompt164")
    assert (board.digit_ids, board.vocab_size, board.offset) == ((-1,) + tuple(range(1, 10)), 10, 0)
    assert (prompt.digit_ids, prompt.vocab_size, prompt.offset) == ((-1,) + tuple(range(1, 10)), 13, 82)
    sol = torch.as_tensor(SOLUTION)[None]
    assert board.digits(sol).tolist() == [SOLUTION.tolist()] and board.verify(sol).tolist() == [True]
    assert board.allowed(sol).shape == (1, 81, 10)


def test_shipped_reads_an_explicit_path(tmp_path):
    import pytest

    from anyorder.errors import InputError
    from anyorder.tasks.sudoku.dataset import SHIPPED, shipped
    data = shipped("any name", 2, path=SHIPPED / "hard.npz")
    assert np.array_equal(data.puzzles, shipped("hard", 2).puzzles)
    with pytest.raises(InputError, match=f"looked for {tmp_path / 'none.npz'}\\)"):
        shipped("test", 2, path=tmp_path / "none.npz")
