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
