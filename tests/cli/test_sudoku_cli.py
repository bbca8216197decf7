import re
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "experiments"))
import anyorder.cli.sudoku as cli_sudoku  # noqa: E402
from anyorder.cli import main  # noqa: E402

from sudoku_fakes import PUZZLE, SOLUTION, ArmOracle, digits, oracle  # noqa: E402


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


def _split_file(tmp_path, copies=3):
    """A .npz split (tasks.sudoku.dataset) with known solutions: ``copies`` of the golden puzzle."""
    from anyorder.tasks.sudoku.dataset import FIELDS, save_npz

    p, s = digits(PUZZLE), digits(SOLUTION)
    arrays = {"puzzles": np.stack([p] * copies), "solutions": np.stack([s] * copies),
              "order": np.full((copies, 81), -1, np.int8), "technique": np.full((copies, 81), 2, np.int8),
              "n_givens": np.full(copies, (p > 0).sum(), np.int8), "hardest": np.full(copies, 3, np.int8),
              "solvable": np.ones(copies, bool), "index": np.arange(copies)}
    assert set(arrays) == set(FIELDS)
    path = tmp_path / "split.npz"
    save_npz(path, arrays)
    return path


def test_known_solutions_print_the_accuracy(fake, tmp_path, capsys):
    fake(oracle(digits(SOLUTION), wrong_cell=2))  # every puzzle gets one wrong cell
    split, out = _split_file(tmp_path), tmp_path / "s.txt"
    assert main(["solve", "--file", str(split), "--output", str(out), "--limit", "2"]) == 1
    err = capsys.readouterr().err
    assert "accuracy (MDM top_prob_margin, noise none, unmask, budget schedule, 50 steps) on 2 puzzles: exact 0.0% (0/2)" in err
    assert len(out.read_text().split()) == 2
    fake(oracle(digits(SOLUTION)))
    assert main(["solve", "--file", str(split), "--output", str(out)]) == 0
    assert "exact 100.0% (3/3), valid 100.0%, cell 100.0%" in capsys.readouterr().err


def test_summary_json_has_the_accuracy_nfe_plan_and_files(fake, tmp_path, capsys):
    """--summary: the accuracy line as JSON for scripts (scripts/gpu_all.sh picks the better MDM from it)."""
    import json

    fake(oracle(digits(SOLUTION), wrong_cell=2))  # one wrong cell in each of 2 puzzles
    split, out, summary = _split_file(tmp_path), tmp_path / "s.txt", tmp_path / "summary.json"
    summary.write_text("old")
    argv = ["solve", "--file", str(split), "--output", str(out), "--limit", "2", "--summary", str(summary), "steps=20"]
    assert main(argv) == 1  # some output invalid: the summary is written all the same
    s = json.loads(summary.read_text())
    assert (s["task"], s["n"], s["n_exact"], s["exact_pct"], s["n_valid"]) == ("sudoku", 2, 0, 0.0, 0)
    assert 0 < s["cell_pct"] < 100 and 0 < s["mean_nfe"] <= 20
    assert (s["plan"]["steps"], s["plan"]["score"], s["file"], s["output"], s["limit"]) == \
        (20, "top_prob_margin", str(split), str(out), 2)
    fake(cli_sudoku.ARMSolver(ArmOracle(digits(SOLUTION)), "fake-arm"))
    assert main(["solve", "--file", str(split), "--summary", str(summary)]) == 0
    s = json.loads(summary.read_text())
    assert (s["n"], s["n_exact"], s["exact_pct"], s["cell_pct"], s["valid_pct"], s["mean_nfe"], s["checkpoint"]) == \
        (3, 3, 100.0, 100.0, 100.0, None, "fake-arm")
    text = tmp_path / "p.txt"
    text.write_text(f"{PUZZLE}\n")
    assert main(["solve", "--file", str(text), "--summary", str(summary)]) == 0
    s = json.loads(summary.read_text())
    assert (s["n"], s["n_valid"], s["n_exact"], s["exact_pct"], s["cell_pct"]) == (1, 1, None, None, None)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary left behind


def test_summary_path_is_checked_before_any_work(fake, tmp_path, capsys):
    fake(None)  # never reached
    split = _split_file(tmp_path)
    for summary, message in ((tmp_path / "no" / "s.json", "directory .* does not exist"),
                             (tmp_path, "is a directory"), (split, "is also an input"),
                             (tmp_path / "s.txt", "same file as --output")):
        argv = ["solve", "--file", str(split), "--output", str(tmp_path / "s.txt"), "--summary", str(summary)]
        assert main(argv) == 2
        assert re.search(f"^anyorder solve: error: --summary .*{message}", capsys.readouterr().err)
    from anyorder.io import output_lock

    with output_lock(tmp_path / "s.json"):  # another process writing the summary: refused, named
        assert main(["solve", "--file", str(split), "--summary", str(tmp_path / "s.json")]) == 2
    assert "s.json is being written by another anyorder process" in capsys.readouterr().err


def test_plain_text_has_no_accuracy_line(fake, tmp_path, capsys):
    fake(oracle(digits(SOLUTION)))
    f = tmp_path / "p.txt"
    f.write_text(f"{PUZZLE}\n")
    assert main(["solve", "--file", str(f), "--output", str(tmp_path / "s.txt")]) == 0
    assert "accuracy" not in capsys.readouterr().err


def test_arm_checkpoint_solves_greedy_by_default(fake, tmp_path, capsys):
    arm = ArmOracle(digits(SOLUTION))
    fake(cli_sudoku.ARMSolver(arm, "fake-arm"))
    split, out = _split_file(tmp_path), tmp_path / "s.txt"
    assert main(["solve", "--file", str(split), "--output", str(out)]) == 0
    assert out.read_text().split() == [SOLUTION] * 3
    assert "accuracy (ARM greedy) on 3 puzzles: exact 100.0% (3/3)" in capsys.readouterr().err
    assert set(arm.rows) == {3}  # greedy: one row per puzzle
    assert main(["solve", PUZZLE]) == 0  # a single puzzle, printed as a grid
    assert capsys.readouterr().out.splitlines()[0] == "5 3 4 | 6 7 8 | 9 1 2"


def test_arm_beam_search_and_errors(fake, tmp_path, capsys):
    arm = ArmOracle(digits(SOLUTION), wrong_cell=2)
    fake(cli_sudoku.ARMSolver(arm, "fake-arm"))
    split, out = _split_file(tmp_path, copies=2), tmp_path / "s.txt"
    assert main(["solve", "--file", str(split), "--output", str(out), "--beam", "3"]) == 1
    assert "accuracy (ARM beam 3) on 2 puzzles: exact 0.0% (0/2)" in capsys.readouterr().err
    assert set(arm.rows) == {6}  # beam: width x puzzles rows per model call
    assert main(["solve", PUZZLE, "--show"]) == 2 and "needs an MDM" in capsys.readouterr().err
    fake(oracle(digits(SOLUTION)))
    assert main(["solve", PUZZLE, "--beam", "2"]) == 2 and "needs an ARM" in capsys.readouterr().err
    assert main(["solve", PUZZLE, "mode=beam", "beam_width=2"]) == 2 and "needs an ARM" in capsys.readouterr().err


def test_arm_beam_plan_spelling_and_beam_alias_agree(fake, tmp_path, capsys):
    """mode=beam beam_width=N is the spelling; --beam N is its alias (KEY=VALUE wins over it)."""
    split, out = _split_file(tmp_path, copies=2), tmp_path / "s.txt"
    for argv in (["mode=beam", "beam_width=3"], ["--beam", "3"], ["--beam", "5", "beam_width=3"]):
        arm = ArmOracle(digits(SOLUTION))
        fake(cli_sudoku.ARMSolver(arm, "fake-arm"))
        assert main(["solve", "--file", str(split), "--output", str(out)] + argv) == 0
        assert "accuracy (ARM beam 3) on 2 puzzles: exact 100.0% (2/2)" in capsys.readouterr().err
        assert set(arm.rows) == {6}
    fake(cli_sudoku.ARMSolver(ArmOracle(digits(SOLUTION)), "fake-arm"))
    assert main(["solve", PUZZLE, "--beam", "0"]) == 2 and "--beam must be >= 1" in capsys.readouterr().err
    assert main(["solve", PUZZLE, "mode=remask"]) == 2 and "mode=greedy or mode=beam" in capsys.readouterr().err


def test_solve_expresses_algorithm1_as_key_values(fake, tmp_path, capsys):
    """The paper's Algorithm 1 (vanilla, Binomial budget) through the Plan KEY=VALUE options."""
    seen = []
    model = oracle(digits(SOLUTION))
    fake(model)
    real = cli_sudoku.decode_puzzles

    def spy(sm, puzzles, plan, *a, **kw):
        seen.append(plan)
        return real(sm, puzzles, plan, *a, **kw)

    cli_sudoku.decode_puzzles, old = spy, cli_sudoku.decode_puzzles
    try:
        split = _split_file(tmp_path, copies=2)
        assert main(["solve", "--file", str(split), "--output", str(tmp_path / "s.txt"), "score=vanilla",
                     "budget=binomial"]) == 0
    finally:
        cli_sudoku.decode_puzzles = old
    assert (seen[0].score, seen[0].budget, seen[0].mode) == ("vanilla", "binomial", "unmask")
    assert "accuracy (MDM vanilla, noise none, unmask, budget binomial, 50 steps) on 2 puzzles: exact 100.0%" in \
        capsys.readouterr().err


def test_shipped_arm_checkpoint_is_loaded_as_an_arm():
    from anyorder.experiments.sudoku.arm import decode_sudoku_arm

    ckpt = Path(cli_sudoku.__file__).resolve().parents[1] / "assets" / "checkpoints" / "sudoku-arm-solver"
    if not ckpt.exists():
        pytest.skip("shipped ARM checkpoint not installed")
    arm = cli_sudoku.load_model(str(ckpt), "cpu", allow_arm=True)
    assert isinstance(arm, cli_sudoku.ARMSolver)
    p = digits(SOLUTION)[None].astype(np.int64)
    p[0, [2, 40, 80]] = 0  # three blanks: nine model calls
    grid = decode_sudoku_arm(arm.model, p).grid.numpy()
    assert ((grid[0] == p[0]) | (p[0] == 0)).all() and (grid[0] > 0).all()  # givens kept, every cell filled
    with pytest.raises(Exception, match="not an MDM"):
        cli_sudoku.load_model(str(ckpt), "cpu")


@pytest.mark.parametrize("decoder", ["selfcorrect", "bestofn", "backtrack", "orderbeam"])
def test_solve_decoder_flag_exposes_the_correcting_decoders(fake, capsys, decoder):
    fake(oracle(digits(SOLUTION)))
    assert main(["solve", PUZZLE, "--decoder", decoder, "max_nfe=120"]) == 0
    out = capsys.readouterr().out
    assert out.replace(" ", "").replace("|", "").replace("-", "").replace("+", "").split() == \
        [SOLUTION[9 * r:9 * r + 9] for r in range(9)]


def test_solve_backtrack_repairs_a_conflicting_wrong_digit(fake, capsys):
    fake(oracle(digits(SOLUTION), wrong_cell=2))  # plain decoding keeps the wrong digit (see above)
    assert main(["solve", PUZZLE, "--decoder", "backtrack"]) == 0


@pytest.mark.parametrize("decoder", ["selfcorrect", "backtrack"])
def test_show_works_with_the_stepwise_correcting_decoders(fake, capsys, decoder):
    fake(oracle(digits(SOLUTION)))
    assert main(["solve", PUZZLE, "--decoder", decoder, "--show"]) == 0
    assert "step" in capsys.readouterr().out.lower()


def test_orderbeam_show_is_a_clear_error(fake, capsys):
    fake(oracle(digits(SOLUTION)))
    assert main(["solve", PUZZLE, "--decoder", "orderbeam", "--show"]) == 2
    assert "no step trace" in capsys.readouterr().err


@pytest.mark.parametrize("objective, routed", [("mdm", "mdm"), ("puma", "mdm"), ("ar", "ARM task")])
def test_load_model_routes_by_is_mdm_checkpoint(tmp_path, monkeypatch, objective, routed):
    """allow_arm: MDM checkpoints (mdm, puma) go to the MDM loader; an "ar" one is checked as an ARM."""
    import json

    from anyorder.train.checkpoint import FORMAT, FORMAT_VERSION

    config = {"format": FORMAT, "format_version": FORMAT_VERSION, "model": {}, "tokenizer": {}, "files": {},
              "task": {"name": "zebra-arm"}, "objective": objective}
    (tmp_path / "config.json").write_text(json.dumps(config))
    monkeypatch.setattr(cli_sudoku, "load_sudoku_model", lambda checkpoint, device: "mdm")
    if routed == "mdm":
        assert cli_sudoku.load_model(str(tmp_path), "cpu", allow_arm=True) == "mdm"
    else:
        with pytest.raises(cli_sudoku.CheckpointError, match="'zebra-arm' is not sudoku-arm"):
            cli_sudoku.load_model(str(tmp_path), "cpu", allow_arm=True)


def test_solve_backtrack_with_rule_fills_says_so_and_shows_them(fake, capsys):
    fake(oracle(digits(SOLUTION)))
    assert main(["solve", PUZZLE, "--decoder", "backtrack", "propagate=implied", "--show"]) == 0
    out = capsys.readouterr().out
    blanks = sum(c in "0." for c in PUZZLE)
    assert out.count("(rule)") + len(re.findall(r"=\d(?:,|\n)", out)) == blanks  # every blank filled once
    assert out.count("(rule)") > 0 and "-inf" not in out  # the rules' fills are labelled, no score is faked


def test_precision_bf16_runs_the_model_under_autocast_and_is_recorded(fake, tmp_path, capsys):
    import json

    import torch

    from anyorder.experiments.sudoku.evaluate import SudokuModel

    seen = []
    base = oracle(digits(SOLUTION))

    def model(tokens):
        seen.append(torch.get_autocast_dtype("cpu") if torch.is_autocast_enabled("cpu") else None)
        return base.model(tokens)

    fake(SudokuModel(model, base.codec, base.config, "autocast-probe"))
    summary = tmp_path / "s.json"
    assert main(["solve", PUZZLE, "--precision", "bf16", "--summary", str(summary), "steps=5"]) == 0
    assert seen and set(seen) == {torch.bfloat16}
    assert json.loads(summary.read_text())["precision"] == "bf16"
    seen.clear()
    assert main(["solve", PUZZLE, "steps=5"]) == 0
    assert set(seen) == {None}
    assert main(["solve", PUZZLE, "--precision", "fp16"]) == 2
    assert "fp16 needs a CUDA device" in capsys.readouterr().err
