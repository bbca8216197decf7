"""`anyorder data zebra` and `anyorder solve --task zebra`: outputs, exit codes, errors with line numbers."""
import json

import pytest

from anyorder.cli import main
from anyorder.tasks.zebra.formats import read_file, write_jsonl
from anyorder.tasks.zebra.generate import generate
from tests.tasks.zebra.fakes import tiny_zebra_checkpoint


def test_data_zebra(tmp_path, capsys):
    assert main(["data", "zebra", str(tmp_path), "--train", "6", "--test", "3", "--sizes", "3x3"]) == 0
    train, test = read_file(tmp_path / "train.jsonl"), read_file(tmp_path / "test.jsonl")
    assert len(test) == 3 and 0 < len(train) <= 6
    assert all(p.size == "3x3" and o is not None for p, o in train + test)
    assert main(["data", "zebra", str(tmp_path), "--sizes", "7x7"]) == 2
    assert "out of range" in capsys.readouterr().err


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory):
    return tiny_zebra_checkpoint(tmp_path_factory.mktemp("ck") / "zebra")


def test_solve_zebra_writes_json_lines(tmp_path, ckpt, capsys):
    f = tmp_path / "p.jsonl"
    write_jsonl(f, generate(3, seed=2, sizes=((3, 3), (4, 4))))
    out = tmp_path / "a.jsonl"
    summary = tmp_path / "summary.json"
    rc = main(["solve", "--task", "zebra", "--file", str(f), "--output", str(out), "--checkpoint", str(ckpt),
               "--show", "steps=4", "--summary", str(summary)])
    assert rc in (0, 1)
    recs = [json.loads(x) for x in out.read_text().splitlines()]
    assert len(recs) == 3 and all(len(r["answer"][0]) in (3, 4) and "exact" in r for r in recs)
    s = json.loads(summary.read_text())
    assert (s["task"], s["n"], s["n_with_answers"], s["plan"]["steps"], s["checkpoint"]) == ("zebra", 3, 3, 4, str(ckpt))
    assert s["n_exact"] == sum(r["exact"] for r in recs) and s["n_valid"] == sum(r["valid"] for r in recs)
    assert s["exact_pct"] == round(100 * s["n_exact"] / 3, 4) and 0 < s["mean_nfe"] <= 4
    err = capsys.readouterr().err
    assert "attr\\house" in err and "exact:" in err


def test_solve_zebra_bad_input(tmp_path, ckpt, capsys):
    f = tmp_path / "bad.txt"
    f.write_text("ends LHS c 0 1 RHS CLUE_END\nfoo LHS c 0 1 RHS CLUE_END\n")
    assert main(["solve", "--task", "zebra", "--file", str(f), "--checkpoint", str(ckpt)]) == 2
    assert "line 2: unknown clue type 'foo'" in capsys.readouterr().err
    big = tmp_path / "big.jsonl"
    write_jsonl(big, generate(1, seed=1, sizes=((6, 6),)))
    assert main(["solve", "--task", "zebra", "--file", str(big), "--checkpoint", str(ckpt)]) == 2
    assert "exceeds what the checkpoint was trained on" in capsys.readouterr().err


def test_solve_zebra_sizes_keeps_the_puzzles_the_checkpoint_reads(tmp_path, ckpt, capsys):
    mixed = tmp_path / "mixed.jsonl"
    write_jsonl(mixed, generate(4, seed=5, sizes=((3, 3), (6, 6))))
    sizes = [p.size for p, _ in read_file(mixed)]
    assert main(["solve", "--task", "zebra", "--file", str(mixed), "--checkpoint", str(ckpt)]) == 2
    assert "; solve only the sizes it reads with --sizes 3-" in capsys.readouterr().err
    out = tmp_path / "a.jsonl"
    rc = main(["solve", "--task", "zebra", "--file", str(mixed), "--checkpoint", str(ckpt), "--sizes", "3x3",
               "--output", str(out), "steps=4"])
    assert rc in (0, 1)
    assert [len(json.loads(x)["answer"][0]) for x in out.read_text().splitlines()] == [3] * sizes.count("3x3")
    assert main(["solve", "--task", "zebra", "--file", str(mixed), "--checkpoint", str(ckpt), "--sizes", "5x5"]) == 2
    assert "no puzzle of sizes 5x5 in the input" in capsys.readouterr().err


@pytest.mark.parametrize("argv, message", [
    (["--task", "zebra", "--size", "3-4x3-4"], "--size 3-4x3-4: one size"),
    (["--sizes", "3x3"], "--size and --sizes apply to --task zebra only"),
])
def test_solve_size_options_misused_exit_2_naming_them(tmp_path, argv, message, capsys):
    f = tmp_path / "p.txt"
    f.write_text("= LHS c 0 1 RHS n 0 2 CLUE_END\n")
    assert main(["solve", "--file", str(f), *argv]) == 2
    assert message in capsys.readouterr().err
