import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "experiments"))
from sudoku_fakes import PUZZLE, SOLUTION, digits, oracle  # noqa: E402

import anyorder.cli.sudoku as cli_sudoku  # noqa: E402
from anyorder.cli import main  # noqa: E402


@pytest.fixture
def fake(monkeypatch):
    def install(model):
        monkeypatch.setattr(cli_sudoku, "load_model", lambda checkpoint, device, allow_arm=False: model)
    return install


def test_exact_oracle_solves_and_exits_0(fake, capsys):
    fake(oracle(digits(SOLUTION)))
    assert main(["solve", PUZZLE]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "5 3 4 | 6 7 8 | 9 1 2" and "------+-------+------" in out
    assert out.replace(" ", "").replace("|", "").replace("-", "").replace("+", "").split() == \
        [SOLUTION[9 * r:9 * r + 9] for r in range(9)]


def test_wrong_digit_exits_1(fake, capsys):
    fake(oracle(digits(SOLUTION), wrong_cell=2))  # r1c3 is blank in the puzzle
    assert main(["solve", PUZZLE, "--strategy", "top_prob", "--steps", "10"]) == 1
    assert "not valid solutions" in capsys.readouterr().err


@pytest.mark.parametrize("text, message", [
    ("123", "has 3 cells"),
    (PUZZLE[:-1] + "x", "invalid character"),
    ("55" + PUZZLE[2:], "r1c1"),
])
def test_parse_errors_exit_2(fake, capsys, text, message):
    fake(oracle(digits(SOLUTION)))
    assert main(["solve", text]) == 2
    err = capsys.readouterr().err
    assert err.startswith("anyorder solve: error:") and message in err


def test_file_output_and_bad_line(fake, tmp_path, capsys):
    fake(oracle(digits(SOLUTION)))
    f = tmp_path / "p.txt"
    layout = "\n".join(PUZZLE[9 * r:9 * r + 9].replace("0", ".") for r in range(9))
    f.write_text(f"# two copies\n{PUZZLE}\n\n{PUZZLE.replace('0', '.')}\n")
    out = tmp_path / "s.txt"
    assert main(["solve", "--file", str(f), "--output", str(out)]) == 0
    assert out.read_text().split() == [SOLUTION, SOLUTION]
    assert main(["solve", layout]) == 0  # 9x9 layout accepted
    f.write_text(f"{PUZZLE}\n12345\n")
    assert main(["solve", "--file", str(f)]) == 2
    assert "p.txt:2:" in capsys.readouterr().err
    assert main(["solve"]) == 2 and main(["solve", PUZZLE, "--output", "x"]) == 2


def test_show_prints_steps(fake, capsys):
    fake(oracle(digits(SOLUTION)))
    assert main(["solve", PUZZLE, "--show", "--steps", "5"]) == 0
    out = capsys.readouterr().out
    assert "step 1:" in out and "step 5:" in out and "r1c3=4" in out


def test_missing_checkpoint_is_a_clear_error(capsys, tmp_path):
    assert main(["solve", PUZZLE, "--checkpoint", str(tmp_path / "nope")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_solve_takes_plan_key_values_after_the_puzzle_or_file(fake, tmp_path, capsys):
    fake(oracle(digits(SOLUTION)))
    assert main(["solve", PUZZLE, "score=top_prob", "steps=10", "mode=remask"]) == 0
    capsys.readouterr()
    f = tmp_path / "p.txt"
    f.write_text(PUZZLE + "\n")
    assert main(["solve", "--file", str(f), "score=entropy", "--noise", "gumbel0.5-annealed"]) == 0
    assert capsys.readouterr().out.strip() == SOLUTION
    assert main(["solve", PUZZLE, "scor=top_prob"]) == 2
    assert "unknown key 'scor'" in capsys.readouterr().err
