"""``anyorder eval infill`` and ``anyorder make-tiny-hf`` end to end on a tiny random LLaDA."""
import json

import pytest

pytest.importorskip("transformers")

from anyorder.cli import main  # noqa: E402


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "tiny-llada"
    assert main(["make-tiny-hf", "llada", str(path), "--d-model", "16", "--layers", "1", "--bpe-size", "1000"]) == 0
    return path


@pytest.mark.slow
def test_eval_infill_runs_end_to_end_and_writes_a_report(tiny_dir, tmp_path, capsys):
    out = tmp_path / "report"
    rc = main(["eval", "infill", "--model", str(tiny_dir), "--category", "single", "--limit", "1",
               "--strategies", "top_prob,top_prob_margin", "--batch-size", "1", "--timeout", "5",
               "--out", str(out), "noise=gumbel", "noise_scale=0.5"])
    assert rc == 0
    printed = capsys.readouterr().out
    assert "| top_prob |" in printed and "| top_prob_margin |" in printed and "single (n=1)" in printed
    summary = json.loads((out / "summary.json").read_text())
    assert set(summary["summary"]["single"]) == {"top_prob", "top_prob_margin"}
    assert "noise='gumbel'" in summary["meta"]["strategies"]["top_prob"]
    rows = [json.loads(line) for line in (out / "completions.jsonl").read_text().splitlines()]
    assert len(rows) == 2 and {r["status"] for r in rows} <= {"passed", "failed", "timeout", "exited", "killed"}


@pytest.mark.parametrize("argv,message", [
    (["--strategies", "best"], "unknown strategies"),
    (["--category", "double"], "unknown HumanEval-Infilling category"),
    (["steps_per_token=3"], "unknown key"),
])
def test_bad_arguments_exit_2_with_one_line(tiny_dir, capsys, argv, message):
    assert main(["eval", "infill", "--model", str(tiny_dir), "--limit", "1", *argv]) == 2
    assert message in capsys.readouterr().err


def test_missing_model_directory_is_a_clean_error(tmp_path, capsys):
    assert main(["eval", "infill", "--model", str(tmp_path / "nope"), "--limit", "1"]) == 2
    assert "no such checkpoint" in capsys.readouterr().err


def test_decode_cli_reads_a_hf_directory(tiny_dir, tmp_path, capsys):
    lines = tmp_path / "in.txt"
    lines.write_text("def f(x):<|mdm_mask|><|mdm_mask|> x\n")
    assert main(["decode", str(tiny_dir), "--input", str(lines), "steps=2", "score=top_prob_margin"]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("def f(x):") and "<|mdm_mask|>" not in captured.out
    assert "model calls 2" in captured.out + captured.err
