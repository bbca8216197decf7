"""``anyorder solve --save order.png --html order.html`` (pictures of the first puzzle's decoding order)."""
import json
import re

import pytest

import anyorder.cli.sudoku as cli_sudoku
from anyorder.cli import main
from anyorder.experiments.sudoku.evaluate import SudokuCodec, SudokuModel
from tests.experiments.visual.visual_fakes import PUZZLE, Oracle


@pytest.fixture
def board81_oracle(monkeypatch):
    sm = SudokuModel(Oracle(), SudokuCodec((-1,) + tuple(range(1, 10)), mask_id=0), {}, "oracle")
    monkeypatch.setattr(cli_sudoku, "load_model", lambda checkpoint, device, allow_arm=False: sm)


def test_save_png_and_html(board81_oracle, tmp_path, capsys):
    png, page = tmp_path / "out" / "order.png", tmp_path / "order.html"
    assert main(["solve", PUZZLE, "--show", "--save", str(png), "--html", str(page), "score=top_prob",
                 "steps=51"]) == 0
    err = capsys.readouterr().err
    assert f"wrote {png}" in err and f"wrote {page}" in err
    assert png.read_bytes()[:4] == b"\x89PNG"
    data = json.loads(re.search(r"id='data'>(.*?)</script>", page.read_text(), re.S).group(1))
    order = data["lanes"][0]["replay"]["order"]
    assert [order[i] for i, c in enumerate(PUZZLE) if c == "0"] == list(range(51))
    assert data["solver"] is not None and data["lanes"][0]["name"] == "top_prob"


def test_bad_picture_suffix_is_an_input_error(board81_oracle, tmp_path, capsys):
    assert main(["solve", PUZZLE, "--save", str(tmp_path / "order.txt")]) == 2
    assert ".png" in capsys.readouterr().err


def test_mask_mismatch_is_a_checkpoint_error(monkeypatch, tmp_path, capsys):
    sm = SudokuModel(Oracle(), SudokuCodec((-1,) + tuple(range(1, 10)), mask_id=10), {}, "odd")
    monkeypatch.setattr(cli_sudoku, "load_model", lambda checkpoint, device, allow_arm=False: sm)
    assert main(["solve", PUZZLE, "--save", str(tmp_path / "o.png")]) == 2
    assert "[MASK] id 10" in capsys.readouterr().err
