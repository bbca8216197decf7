"""``anyorder decode``: input parsing, batching invariance and an end-to-end run on a tiny checkpoint."""
from __future__ import annotations

import pytest
import torch

from anyorder.cli import main
from anyorder.cli.decode import decode_rows, format_row, parse_lines
from anyorder.decode import Plan
from anyorder.errors import InputError
from anyorder.tokenizers.symbols import SymbolTable

TOK = SymbolTable(tuple("0123456789") + ("_",), mask_id=10)
WORDS = SymbolTable(("red", "green", "blue", "[MASK]"), mask_id=3)


def test_parse_single_char_and_word_symbols():
    assert parse_lines(["1_3", "", " 4 5_"], TOK, 9) == [[1, 10, 3], [4, 5, 10]]
    assert parse_lines(["red [MASK] blue"], WORDS, 4) == [[0, 3, 2]]
    assert format_row([0, 1, 2], WORDS) == "red green blue" and format_row([1, 2], TOK) == "12"


@pytest.mark.parametrize("lines, message", [(["12", "1x"], "line 2"), (["1234567890"], "max_len"), ([], "no input")])
def test_parse_errors_name_the_line(lines, message):
    with pytest.raises(InputError, match=message):
        parse_lines(lines, TOK, 9)


def test_decode_rows_independent_of_batch_size():
    g = torch.Generator().manual_seed(0)
    table = torch.randn(9, 11, generator=g)
    model = lambda x: table[: x.shape[1]].expand(x.shape[0], -1, -1) + x[..., None] * 0.1  # noqa: E731
    rows = parse_lines(["1___", "__2_", "___", "9__8", "_____"], TOK, 9)
    plan = Plan(steps=4, score="vanilla", value="sample")
    a, _ = decode_rows(model, rows, 10, plan, seed=3, batch_size=1)
    b, _ = decode_rows(model, rows, 10, plan, seed=3, batch_size=64)
    assert a == b
    assert all(10 not in ids for ids, _, _ in a) and a[0][0][0] == 1 and a[3][0][3] == 8


def test_cli_end_to_end(tmp_path, capsys):
    ckpt = pytest.importorskip("anyorder.train.checkpoint")
    from anyorder.models.transformer import ModelConfig, Transformer

    cfg = ModelConfig(vocab_size=11, max_len=9, n_layers=1, d_model=16, n_heads=2)
    torch.manual_seed(0)
    meta = {"model": cfg.to_dict(), "tokenizer": TOK.to_dict(),
            "task": {"name": "toy", "options": {}, "metadata": {}}, "objective": "mdm", "train": None}
    path = ckpt.save_checkpoint(tmp_path / "run", 1, meta, Transformer(cfg).state_dict())
    src = tmp_path / "in.txt"
    src.write_text("1_3_5\n_________\n")
    assert main(["decode", str(path), "--input", str(src), "--steps", "5", "--show-order",
                 "--noise", "gumbel", "--noise-scale", "0.5", "--anneal"]) == 0
    out = capsys.readouterr()
    lines = out.out.splitlines()
    assert len(lines) == 4 and lines[0][0::2] == "135" and "_" not in lines[0] + lines[2]
    assert lines[1].split()[0] == "." and "NFE" in out.err
    src.write_text("1_3\n12x\n")
    assert main(["decode", str(path), "--input", str(src)]) == 2
    assert "line 2" in capsys.readouterr().err


def test_plan_key_values_flags_and_presets_build_one_plan():
    from anyorder.cli import build_parser, parse_args
    from anyorder.cli.plan_args import plan_from_args

    args = parse_args(build_parser(), ["decode", "ck", "--strategy", "top_prob", "--noise", "gumbel0.5-annealed",
                                      "steps=7", "mode=remask", "remask_visible=repredict"])
    assert plan_from_args(args) == Plan(score="top_prob", noise="gumbel", noise_scale=0.5, noise_anneal=True,
                                        steps=7, mode="remask", remask_visible="repredict")
    args = parse_args(build_parser(), ["decode", "ck", "beam_width=3", "mode=beam", "score=top_prob_margin"])
    assert plan_from_args(args) == Plan(mode="beam", beam_width=3)  # order of KEY=VALUE items does not matter


@pytest.mark.parametrize("argv, message", [(["stepz=3"], "unknown key 'stepz'; valid: .*'steps'"),
                                           (["mode=remask", "budget=threshold"], "does not use budget"),
                                           (["score=nope"], "valid: .*top_prob_margin"),
                                           (["steps=x"], "cannot parse as int")])
def test_plan_errors_exit_2_with_valid_names(tmp_path, capsys, argv, message):
    import re

    assert main(["decode", str(tmp_path), *argv]) == 2
    assert re.search(message, capsys.readouterr().err)


def test_help_lists_every_plan_field_and_registry(capsys):
    with pytest.raises(SystemExit):
        main(["decode", "--help"])
    out = capsys.readouterr().out
    assert all(f"  {name}=" in out for name in Plan.field_names())
    assert "top_prob_margin" in out and "remask" in out and "threshold" in out
