"""Infill report files, the order check of the likelihood evaluator, sandbox limit bounds (exact contents)."""
import json

import pytest
import torch

from anyorder.errors import ConfigError, InputError
from anyorder.evaluation.infill import InfillOptions, InfillRow, table, write_report
from anyorder.evaluation.likelihood import chain_rule_nll
from anyorder.evaluation.sandbox import Limits

SUMMARIES = {"single": {"vanilla": {"pass@1": 0.5, "n": 2, "nfe": 3.0}},
             "multi": {"vanilla": {"pass@1": 0.25, "n": 4, "nfe": 5.0}}}


def test_table_is_exact_markdown():
    assert table(SUMMARIES).splitlines() == [
        "| strategy | single (n=2) | multi (n=4) |",
        "|---|---|---|",
        "| vanilla | 50.0% | 25.0% |",
    ]


def test_write_report_writes_every_row_into_a_nested_directory_and_can_rewrite(tmp_path):
    rows = [InfillRow("t/0", "vanilla", "x = 1", "passed", 3, 3), InfillRow("t/1", "vanilla", "", "failed", 2, 2)]
    out = write_report(tmp_path / "a" / "b", rows, SUMMARIES, {"command": "anyorder infill"})
    assert out == tmp_path / "a" / "b"
    lines = (out / "completions.jsonl").read_text().splitlines()
    assert [json.loads(line) for line in lines] == [
        {"task_id": "t/0", "strategy": "vanilla", "completion": "x = 1", "status": "passed", "gap": 3, "nfe": 3},
        {"task_id": "t/1", "strategy": "vanilla", "completion": "", "status": "failed", "gap": 2, "nfe": 2}]
    assert json.loads((out / "summary.json").read_text()) == {"meta": {"command": "anyorder infill"},
                                                              "summary": SUMMARIES}
    assert (out / "table.md").read_text() == table(SUMMARIES) + "\n"
    write_report(out, rows[:1], SUMMARIES, {})  # an existing report directory is rewritten
    assert len((out / "completions.jsonl").read_text().splitlines()) == 1


def test_order_that_is_not_a_permutation_is_named():
    x0 = torch.zeros(1, 3, dtype=torch.long)
    with pytest.raises(InputError, match=r"^order must be a permutation of range\(L\) \(shape \(L,\) or \(B, L\)\)$"):
        chain_rule_nll(lambda t: torch.zeros(*t.shape, 4), x0, torch.tensor([0, 0, 1]), mask_id=3)


def test_sandbox_limit_bounds_are_inclusive_where_documented():
    assert Limits(timeout=0.5, workers=1).workers == 1  # any positive timeout, one worker
    with pytest.raises(ConfigError, match="workers must be >= 1, got 0"):
        Limits(workers=0)
    with pytest.raises(ConfigError, match="timeout > 0, memory_mb >= 64, file_mb >= 1"):
        Limits(memory_mb=63)
    assert Limits(memory_mb=64, file_mb=1).memory_mb == 64


@pytest.mark.parametrize("kw", [dict(steps=0), dict(batch_size=0), dict(fixed_length=0), dict(length="exact")])
def test_infill_options_are_checked(kw):
    with pytest.raises(ConfigError, match="length must be|must be >= 1"):
        InfillOptions(**kw)
