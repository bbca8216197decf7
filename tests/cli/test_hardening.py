"""Issue 18 probes, one row each: every user mistake is exit 2 with one line (decided before the model is loaded
where it can be), internal errors are exit 3 with a traceback file, and the documented behaviours hold.

``scripts/probes.py`` reruns the same probes as subprocesses and prints the before/after table."""
from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "experiments"))
import anyorder.cli.decode as cli_decode  # noqa: E402
import anyorder.cli.sudoku as cli_sudoku  # noqa: E402
from anyorder import __version__  # noqa: E402
from anyorder.cli import main  # noqa: E402
from anyorder.io import output_lock  # noqa: E402

from sudoku_fakes import PUZZLE, SOLUTION, digits, oracle  # noqa: E402

SHIPPED = Path(cli_sudoku.__file__).resolve().parents[1] / "assets" / "checkpoints" / "sudoku-mdm"
TOKENS = " ".join("[MASK]" if c == "0" else c for c in PUZZLE)  # the Sudoku tokenizer's symbols


def two_solution_puzzle() -> tuple[str, list[str]]:
    """SOLUTION with a swappable rectangle blanked (r1/r2 x two columns holding a/b and b/a): two solutions."""
    g = digits(SOLUTION).astype(int)
    for r1 in range(9):
        for r2 in range(r1 + 1, 3 * (r1 // 3) + 3):
            for c1 in range(9):
                for c2 in range(c1 + 1, 9):
                    if g[9 * r1 + c1] == g[9 * r2 + c2] and g[9 * r1 + c2] == g[9 * r2 + c1]:
                        cells = [9 * r1 + c1, 9 * r1 + c2, 9 * r2 + c1, 9 * r2 + c2]
                        p, other = g.copy(), g.copy()
                        p[cells] = 0
                        other[cells] = g[[cells[1], cells[0], cells[3], cells[2]]]
                        return "".join(map(str, p)), ["".join(map(str, g)), "".join(map(str, other))]
    raise AssertionError("no rectangle")


@pytest.fixture
def no_model(monkeypatch):
    """Loading a model fails the test: the probe must be decided before it."""
    def boom(*a, **k):
        raise AssertionError("the model was loaded before the input was checked")
    monkeypatch.setattr(cli_sudoku, "load_model", boom)
    monkeypatch.setattr(cli_decode, "load", boom)


@pytest.fixture
def fake(monkeypatch):
    def install(model):
        monkeypatch.setattr(cli_sudoku, "load_model", lambda checkpoint, device, allow_arm=False: model)
    return install


@pytest.fixture
def files(tmp_path):
    (tmp_path / "random.bin").write_bytes(bytes(np.random.default_rng(0).integers(0, 256, 300, dtype=np.uint8)))
    (tmp_path / "p.txt").write_text(PUZZLE + "\n")
    (tmp_path / "tokens.txt").write_text(TOKENS + "\n")
    (tmp_path / "adir").mkdir()
    (tmp_path / "afile").write_text("x")
    return tmp_path


# name, argv (with {w} = the files folder), message the one-line error must contain
USER_MISTAKES = [
    ("solve non-UTF-8 file", ["solve", "--file", "{w}/random.bin"], "not UTF-8 text"),
    ("decode non-UTF-8 input", ["decode", str(SHIPPED), "--input", "{w}/random.bin"], "not UTF-8 text"),
    ("solve missing --file", ["solve", "--file", "{w}/nope.txt"], "does not exist"),
    ("--output in a missing dir", ["solve", "--file", "{w}/p.txt", "--output", "{w}/nodir/o.txt"],
     "does not exist"),
    ("--output a directory", ["solve", "--file", "{w}/p.txt", "--output", "{w}/adir"], "is a directory"),
    ("--output under a file", ["solve", "--file", "{w}/p.txt", "--output", "{w}/afile/o.txt"], "not a directory"),
    ("--output in /proc", ["solve", "--file", "{w}/p.txt", "--output", "/proc/anyorder-o.txt"], "--output"),
    ("--output = --file", ["solve", "--file", "{w}/p.txt", "--output", "{w}/p.txt"], "is also an input"),
    ("decode --output = --input", ["decode", str(SHIPPED), "--input", "{w}/tokens.txt", "--output",
                                   "{w}/tokens.txt"], "is also an input"),
    ("demo --n -3", ["demo", "--n", "-3"], "--n must be >= 1"),
    ("demo --n 0", ["demo", "--n", "0"], "--n must be >= 1"),
    ("demo --batch-size 0", ["demo", "--batch-size", "0"], "--batch-size must be >= 1"),
    ("decode --batch-size 0", ["decode", str(SHIPPED), "--input", "{w}/tokens.txt", "--batch-size", "0"],
     "--batch-size must be >= 1"),
    ("solve --limit 0", ["solve", "--file", "{w}/p.txt", "--limit", "0"], "--limit must be >= 1"),
    ("--device bogus", ["solve", PUZZLE, "--device", "bogus"], "is not a torch device"),
    ("data sudoku --n -5", ["data", "sudoku", "{w}/ds", "--split", "test", "--n", "-5"], "--n must be >= 1"),
    ("data sudoku --test 0", ["data", "sudoku", "{w}/ds", "--test", "0"], "sizes must be >= 1"),
    ("data sudoku <existing file>", ["data", "sudoku", "{w}/afile", "--split", "test", "--n", "3"],
     "existing file"),
    ("data sudoku under a file", ["data", "sudoku", "{w}/afile/ds", "--split", "test", "--n", "3"],
     "is a file, not a directory"),
    ("export under a file", ["export", str(SHIPPED), "{w}/afile/sub"], "is a file, not a directory"),
    ("export onto an existing dir", ["export", str(SHIPPED), "{w}/adir"], "already exists"),
    ("train optim.lr=nan", ["train", "toy-mdm", "optim.lr=nan", "out_dir={w}/runs"], "not a finite number"),
    ("train optim.lr=inf", ["train", "toy-mdm", "optim.lr=inf", "out_dir={w}/runs"], "not a finite number"),
    ("train optim.betas", ["train", "toy-mdm", "optim.betas=[0.9, 1.5]", "out_dir={w}/runs"], "betas"),
    ("train config with NaN", ["train", "{w}/nan.json"], "not a finite number"),
    ("train --out-dir under a file", ["train", "toy-mdm", "--out-dir", "{w}/afile/runs"], "is a file, not a directory"),
]


@pytest.mark.parametrize("name, argv, message", USER_MISTAKES, ids=[m[0] for m in USER_MISTAKES])
def test_user_mistakes_exit_2_with_one_line(name, argv, message, files, no_model, capsys):
    cfg = json.loads(json.dumps({"name": "x", "task": "toy", "optim": {"lr": float("nan")}}))
    (files / "nan.json").write_text(json.dumps(cfg))  # json writes the NaN literal, which json.loads accepts
    before = {p.name: p.read_bytes() for p in files.iterdir() if p.is_file()}
    rc = main([a.replace("{w}", str(files)) for a in argv])
    err = capsys.readouterr().err
    assert rc == 2, err
    assert err.count("\n") == 1 and err.startswith("anyorder ") and ": error: " in err and message in err, err
    assert "Traceback" not in err
    assert {p.name: p.read_bytes() for p in files.iterdir() if p.is_file()} == before  # no input touched
    assert not (files / "runs").exists() and not (files / "ds").exists()


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a CPU-only machine")
def test_device_cuda_without_cuda(no_model, capsys):
    assert main(["solve", PUZZLE, "--device", "cuda"]) == 2
    assert "CUDA is not available" in capsys.readouterr().err


def test_output_kind_dir_accepts_a_folder(tmp_path):
    import argparse

    from anyorder.cli.errors import check_common
    from anyorder.errors import InputError

    check_common(argparse.Namespace(output=str(tmp_path), output_kind="dir"))
    with pytest.raises(InputError, match="is a directory"):
        check_common(argparse.Namespace(output=str(tmp_path)))


def test_device_auto_and_cpu_pass_the_check():
    from anyorder.cli.errors import check_device

    for device in ("auto", "cpu", None):
        check_device(device)


def test_concurrent_writer_fails_clearly(files, no_model, capsys):
    out = files / "o.txt"
    with output_lock(out):  # another run is writing o.txt
        assert main(["solve", "--file", str(files / "p.txt"), "--output", str(out)]) == 2
    assert "being written by another anyorder process" in capsys.readouterr().err and not out.exists()


def test_bom_is_accepted_and_output_is_atomic(files, fake, capsys):
    fake(oracle(digits(SOLUTION)))
    (files / "bom.txt").write_bytes(b"\xef\xbb\xbf" + PUZZLE.encode() + b"\r\n")
    out = files / "o.txt"
    out.write_text("old results\n")
    assert main(["solve", "--file", str(files / "bom.txt"), "--output", str(out)]) == 0
    assert out.read_text() == SOLUTION + "\n"
    assert sorted(p.name for p in files.iterdir() if p.name.startswith(".o.txt.") and "lock" not in p.name) == []


def test_internal_error_exit_3_with_traceback_file(files, monkeypatch, capsys):
    monkeypatch.setenv("ANYORDER_TRACEBACK_DIR", str(files))

    def bug(*a, **k):
        return {}["missing"]  # a KeyError: our bug, not the user's
    monkeypatch.setattr(cli_sudoku, "load_model", bug)
    assert main(["solve", PUZZLE]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "internal error: KeyError" in err and "Traceback" not in err
    written = list(files.glob("anyorder-traceback-*.txt"))
    assert len(written) == 1 and str(written[0]) in err
    assert "Traceback (most recent call last)" in written[0].read_text() and "def bug" not in err


def test_version(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--version"])
    assert e.value.code == 0 and capsys.readouterr().out.strip() == f"anyorder {__version__}"


def test_decode_checks_sequence_lengths_against_the_task(files, capsys):
    """The shipped Sudoku MDM has per-cell position tables: every line must be exactly 81 tokens."""
    short = " ".join(TOKENS.split()[:80])
    for line, n in ((short, 80), (" ".join(TOKENS.split()[:5]), 5)):
        (files / "short.txt").write_text(TOKENS + "\n" + line + "\n")
        assert main(["decode", str(SHIPPED), "--input", str(files / "short.txt")]) == 2
        err = capsys.readouterr().err
        assert f"line 2: {n} tokens, but this checkpoint's task needs exactly 81" in err


def test_fixed_length_rule():
    assert cli_decode.fixed_length({"model": {"max_len": 81, "position_tables": [[0] * 81]}})
    assert cli_decode.fixed_length({"model": {"max_len": 6}, "task": {"options": {"length": 6}}})
    assert not cli_decode.fixed_length({"model": {"max_len": 64, "position_tables": []}, "task": {"options": {}}})


def test_solve_reports_several_solutions(fake, capsys):
    puzzle, (first, second) = two_solution_puzzle()
    fake(oracle(digits(second)))  # the model finds the other completion: valid, and said to be ambiguous
    assert main(["solve", puzzle]) == 0
    err = capsys.readouterr().err
    assert "1 of 1 puzzles have more than one solution" in err


def test_solve_invalid_output_says_why(fake, capsys):
    fake(oracle(digits(SOLUTION), wrong_cell=2))
    assert main(["solve", PUZZLE]) == 1
    err = capsys.readouterr().err
    assert "1 of 1 outputs are not valid solutions: puzzle (digit 5 repeated in row 1)" in err  # r1c3 4 -> 5


def test_one_clue_puzzle_is_ambiguous_and_invalid_output_named(fake, capsys):
    fake(oracle(digits(SOLUTION)))  # SOLUTION keeps r1c1=5, so give that one clue: still many solutions
    one_clue = "5" + "0" * 80
    assert main(["solve", one_clue]) == 0
    assert "more than one solution" in capsys.readouterr().err
    fake(oracle(digits("1" * 81)))
    assert main(["solve", one_clue]) == 1
    err = capsys.readouterr().err
    assert "puzzle (digit 1 repeated in row 1)" in err  # givens stay fixed while decoding


@pytest.mark.parametrize("grid, reason", [
    (SOLUTION[:5] + "0" + SOLUTION[6:], "1 cells left blank (first r1c6)"),
    ("6" + SOLUTION[1:], "given r1c1 changed from 5 to 6"),
])
def test_invalid_reason(grid, reason):
    assert cli_sudoku.invalid_reason(digits(grid), digits(PUZZLE)) == reason


def test_invalid_reason_repeated_digit():
    g = digits(SOLUTION).copy()
    g[2], g[3] = g[3], g[2]  # r1c3 and r1c4 are blanks in PUZZLE: row 1 stays a permutation, columns break
    assert cli_sudoku.invalid_reason(g, digits(PUZZLE)) == f"digit {g[2]} repeated in column 3"


def test_help_texts(capsys):
    for argv in (["decode", "--help"], ["data", "sudoku", "--help"], ["demo", "--help"]):
        with pytest.raises(SystemExit):
            main(argv)
    out = " ".join(capsys.readouterr().out.split())  # argparse wraps lines
    assert "one masked sequence per line" in out
    assert out.count("(default: the paper's size of that split)") == 1 and "(default: None)" not in out
    assert "puzzles decoded together" in out


def test_export_writes_atomically(tmp_path, capsys):
    dst = tmp_path / "new" / "ckpt"
    assert main(["export", str(SHIPPED), str(dst)]) == 0
    assert (dst / "model.safetensors").is_file() and not list(tmp_path.glob("new/.ckpt.tmp"))
    shutil.rmtree(dst)
