import numpy as np
import pytest

from anyorder.errors import InputError
from anyorder.tasks.sudoku import formats
from anyorder.tasks.sudoku.dataset import load, shipped

SAME = ("puzzles", "solutions", "order", "technique", "n_givens", "solvable")


@pytest.fixture(scope="module")
def mixed():
    return load_mixed()


def load_mixed():
    from anyorder.tasks.sudoku.dataset import SudokuData, concat

    t, h = shipped("test").subset(slice(0, 30)), shipped("hard").subset(slice(0, 30))
    return SudokuData(concat([t.arrays, h.arrays]))


def test_shah_npy_round_trip(tmp_path, mixed):
    path = tmp_path / "s.npy"
    formats.write_shah(path, mixed)
    rows = np.load(path)
    assert rows.shape == (60, 325)
    assert (rows[:, 0] == mixed.n_givens).all()
    quads = rows[:, 1:].reshape(60, 81, 4)
    k0 = rows[0, 0]
    assert (quads[0, :k0, 3] == 0).all() and set(quads[0, k0:, 3].tolist()) <= set(range(2, 9))
    back = formats.load_any(path)
    for k in SAME:
        assert np.array_equal(back.arrays[k], mixed.arrays[k]), k
    # "hardest" is re-derived from the techniques in the file: the same for puzzles the rater solves
    ok = mixed.solvable
    assert ok.sum() > 10 and np.array_equal(back.hardest[ok], mixed.hardest[ok])
    assert np.array_equal(back.hardest, back.technique.max(1))


def test_shah_rejects_bad_shape(tmp_path):
    np.save(tmp_path / "bad.npy", np.zeros((3, 324), np.int64))
    with pytest.raises(InputError, match="325"):
        formats.load_any(tmp_path / "bad.npy")


def test_csv_and_plain_round_trip(tmp_path, mixed):
    formats.write_radcliffe_csv(tmp_path / "r.csv", mixed)
    head = (tmp_path / "r.csv").read_text().splitlines()[:2]
    assert head[0] == "id,puzzle,solution,clues,difficulty" and "." in head[1]
    formats.write_plain(tmp_path / "p.txt", mixed.puzzles)
    for name in ("r.csv", "p.txt"):
        back = formats.load_any(tmp_path / name)
        for k in SAME:  # re-rated by our step solver: identical to the stored rating
            assert np.array_equal(back.arrays[k], mixed.arrays[k]), (name, k)


def test_plain_errors(tmp_path):
    # the error names the line of the file (comments counted)
    (tmp_path / "x.txt").write_text("# comment\n123\n")
    with pytest.raises(InputError, match="line 2"):
        formats.load_any(tmp_path / "x.txt")
    with pytest.raises(InputError, match="does not exist"):
        formats.load_any(tmp_path / "missing.txt")
    with pytest.raises(InputError, match="does not exist"):
        load(tmp_path / "nothing")
