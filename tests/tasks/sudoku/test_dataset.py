import json

import numpy as np
import pytest

from anyorder.cli import main
from anyorder.errors import ConfigError
from anyorder.tasks.sudoku.dataset import build_split, load, puzzle_keys, shipped


def test_build_resume_and_load(tmp_path):
    out = build_split(tmp_path / "tr", "train", 50, seed=3, chunk=40, progress=False)
    data = load(out)
    assert len(data) == 50 and data.solvable.all()
    assert (data.order[:, 0] >= 0).all() and (data.n_givens == (data.puzzles > 0).sum(1)).all()
    first = (out / "chunk_00000.npz").stat().st_mtime_ns
    build_split(out, "train", 80, seed=3, chunk=40, progress=False)  # resumes: chunk 0 reused
    assert (out / "chunk_00000.npz").stat().st_mtime_ns == first
    more = load(out)
    assert len(more) == 80 and np.array_equal(more.puzzles[:50], data.puzzles)
    with pytest.raises(ConfigError, match="different build"):
        build_split(out, "train", 80, seed=4, chunk=40, progress=False)


def test_hard_split_and_exclusion(tmp_path):
    hard = load(build_split(tmp_path / "h", "hard", 20, seed=3, chunk=60, progress=False))
    assert not hard.solvable.any()
    excl = puzzle_keys(hard.subset(slice(0, 5)))
    again = load(build_split(tmp_path / "h2", "hard", 20, seed=3, chunk=60, exclude=excl, progress=False))
    assert not (puzzle_keys(again) & excl)


def test_cli_packed_file(tmp_path, capsys):
    out = tmp_path / "t.npz"
    rc = main(["data", "sudoku", str(out), "--split", "test", "--n", "10", "--seed", "1", "--chunk", "30",
               "--no-progress"])
    assert rc == 0 and out.exists() and not (tmp_path / "t.npz.chunks").exists()
    assert len(load(out)) == 10
    assert main(["data", "sudoku", str(tmp_path / "x"), "--split", "test", "--n", "5", "--chunk", "0"]) == 2


def test_shipped_splits_are_disjoint_and_classified():
    test, hard = shipped("test"), shipped("hard")
    assert len(test) == 1000 and len(hard) == 1000
    assert test.solvable.all() and not hard.solvable.any()
    assert not (puzzle_keys(test) & puzzle_keys(hard))
    assert 21 <= test.n_givens.min() and hard.n_givens.max() <= 31


def test_meta_json(tmp_path):
    out = build_split(tmp_path / "m", "test", 5, seed=2, chunk=20, progress=False)
    meta = json.loads((out / "meta.json").read_text())
    assert meta["format"] == "anyorder-sudoku" and meta["n"] == 5 and meta["seed"] == 2
