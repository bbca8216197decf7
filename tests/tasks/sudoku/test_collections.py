"""One-line formats of published Sudoku collections (formats.read_plain / read_radcliffe_csv) and
``anyorder data sudoku OUT --from FILE``."""
import numpy as np
import pytest

from anyorder.cli import main
from anyorder.errors import InputError
from anyorder.tasks.sudoku.board import to_string
from anyorder.tasks.sudoku.dataset import load, shipped
from anyorder.tasks.sudoku.formats import load_any, read_plain

DATA = shipped("test", 3)


def lines(sep=",", dots=True, with_solution=True):
    out = []
    for p, s in zip(DATA.puzzles, DATA.solutions):
        text = to_string(p, "." if dots else "0")
        out.append(text + (sep + to_string(s) if with_solution else ""))
    return out


@pytest.mark.parametrize("sep, dots, with_solution", [(",", True, True), (" ", False, True), (",", True, False)])
def test_one_line_formats(tmp_path, sep, dots, with_solution):
    path = tmp_path / "c.txt"
    path.write_text("# a collection\n" + "\n".join(lines(sep, dots, with_solution)) + "\n\n")
    data = read_plain(path)
    assert np.array_equal(data.puzzles, DATA.puzzles) and np.array_equal(data.solutions, DATA.solutions)
    assert np.array_equal(data.n_givens, DATA.n_givens)
    assert len(read_plain(path, limit=2)) == 2


def test_headerless_and_kaggle_csv(tmp_path):
    plain = tmp_path / "h.csv"
    plain.write_text("\n".join(lines()) + "\n")
    assert np.array_equal(load_any(plain).solutions, DATA.solutions)
    kaggle = tmp_path / "k.csv"
    kaggle.write_text("quizzes,solutions\n" + "\n".join(lines(dots=False)) + "\n")
    assert np.array_equal(load_any(kaggle).puzzles, DATA.puzzles)


def test_a_wrong_solution_is_named(tmp_path):
    bad = lines()
    bad[1] = bad[1][:-1] + ("1" if bad[1][-1] != "1" else "2")
    path = tmp_path / "bad.txt"
    path.write_text("\n".join(bad))
    with pytest.raises(InputError, match="puzzle 2"):
        read_plain(path)


def test_data_sudoku_from_collection(tmp_path, capsys):
    src = tmp_path / "c.txt"
    src.write_text("\n".join(lines()) + "\n")
    assert main(["data", "sudoku", str(tmp_path / "c.npz"), "--from", str(src), "--limit", "2"]) == 0
    assert "2 puzzles" in capsys.readouterr().out
    assert np.array_equal(load(tmp_path / "c.npz").puzzles, DATA.puzzles[:2])
    assert main(["data", "sudoku", str(tmp_path / "dir"), "--from", str(src)]) == 0
    assert len(load(tmp_path / "dir")) == 3
    assert main(["data", "sudoku", str(tmp_path / "x.npz"), "--from", str(tmp_path / "none.txt")]) == 2


def test_headerless_csv_of_puzzles_only_and_missing_solutions(tmp_path):
    plain = tmp_path / "p.csv"
    plain.write_text("\n".join(lines(with_solution=False)) + "\n")  # one field per line, no header
    assert np.array_equal(load_any(plain).puzzles, DATA.puzzles)
    partial = tmp_path / "r.csv"  # Radcliffe header; one row without its solution: all are solved by the solver
    rows = [f"{i},{to_string(p, '.')},{to_string(s) if i != 1 else ''}"
            for i, (p, s) in enumerate(zip(DATA.puzzles, DATA.solutions))]
    partial.write_text("id,puzzle,solution\n" + "\n".join(rows) + "\n")
    assert np.array_equal(load_any(partial).solutions, DATA.solutions)
    empty = tmp_path / "e.csv"
    empty.write_text("id,puzzle,solution\n")
    with pytest.raises(InputError, match=f"^{empty}: no puzzles found$"):
        load_any(empty)


def test_puzzles_without_exactly_one_solution_are_named(tmp_path):
    empty, broken = "0" * 81, to_string(DATA.solutions[0])
    broken = "00" + broken[2] + broken[2] + broken[4:]  # a repeated digit in row 1: no solution
    path = tmp_path / "c.txt"
    path.write_text(to_string(DATA.puzzles[0]) + "\n" + empty + "\n")
    with pytest.raises(InputError, match=f"^{path}: puzzle 2 has 2 solutions \\(capped at 2\\)$"):
        read_plain(path)
    path.write_text(broken + "\n")
    with pytest.raises(InputError, match=f"^{path}: puzzle 1 has 0 solutions"):
        read_plain(path)


def test_a_line_longer_than_a_puzzle_keeps_its_first_81_characters(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text(to_string(DATA.puzzles[0]) + "0\n")  # 82 digits, no separator
    assert np.array_equal(read_plain(path).puzzles, DATA.puzzles[:1])
