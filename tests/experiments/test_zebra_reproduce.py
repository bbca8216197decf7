"""`anyorder reproduce zebra`: Table 3 rows with the paper's numbers and protocol notes (tiny random model)."""
import csv
import types

import numpy as np
import pytest
import torch

from anyorder.cli import main
from anyorder.decode.plan import Plan
from anyorder.evaluation.tasks import decode_problems
from anyorder.experiments.zebra.reproduce import mdm_evaluation
from anyorder.tasks.zebra import encode as E
from anyorder.tasks.zebra.formats import write_jsonl
from anyorder.tasks.zebra.generate import generate
from tests.tasks.zebra.fakes import tiny_zebra_arm_checkpoint, tiny_zebra_checkpoint


def test_reproduce_zebra(tmp_path):
    ckpt = tiny_zebra_checkpoint(tmp_path / "zebra")
    split = tmp_path / "t.jsonl"
    write_jsonl(split, generate(4, seed=3, sizes=((3, 3), (3, 4))))
    out = tmp_path / "rep"
    assert main(["reproduce", "zebra", "--checkpoint", str(ckpt), "--test-split", str(split), "--n", "4",
                 "--steps", "3", "--out", str(out)]) == 0
    rows = list(csv.DictReader(open(out / "table3.csv")))
    methods = [r["method"] for r in rows]
    assert methods[:3] == ["MDM (vanilla)", "MDM (Top probability)", "MDM (Top prob. margin)"]
    assert {r["paper_pct"] for r in rows} >= {"76.9", "98.5", "98.3", "80.31", "91.17"}
    assert all(r["n"] == "4" for r in rows[:3])
    md = (out / "table3.md").read_text()
    assert "paper does not describe its Zebra MDM format" in md and "ARM rows were not run" in md


def test_reproduce_zebra_with_arm(tmp_path):
    ckpt = tiny_zebra_checkpoint(tmp_path / "zebra")
    arm = tiny_zebra_arm_checkpoint(tmp_path / "arm")
    split = tmp_path / "t.jsonl"
    write_jsonl(split, generate(3, seed=4, sizes=((3, 3),)))
    out = tmp_path / "rep"
    assert main(["reproduce", "zebra", "--checkpoint", str(ckpt), "--arm-solver", str(arm), "--test-split",
                 str(split), "--n", "3", "--steps", "2", "--out", str(out)]) == 0
    rows = {r["method"]: r for r in csv.DictReader(open(out / "table3.csv"))}
    assert rows["ARM (with ordering)"]["n"] == "3" and rows["ARM (with ordering)"]["paper_pct"] == "91.17"
    assert "ARM (w/o ordering) [not run]" in rows
    assert main(["reproduce", "zebra", "--checkpoint", str(arm), "--test-split", str(split), "--out",
                 str(out)]) == 2  # an ARM is not an MDM checkpoint


@pytest.mark.parametrize("layout", ["table", "house"])
def test_checkpoint_evaluation_uses_the_checkpoints_answer_layout(layout):
    """An oracle of the layout the checkpoint was trained with solves every puzzle (a house-layout checkpoint read
    as the table layout decodes nothing: every cell -1)."""
    items = [(p, r.fills) for p, r in generate(4, seed=3, sizes=((3, 3), (4, 4)))]
    loaded = types.SimpleNamespace(task={"options": {"sizes": "3-4x3-4", "max_clues": 24, "answer_layout": layout}})
    ev = mdm_evaluation(loaded, items)
    problems = ev.problems()
    x0, _ = E.encode_mdm(problems.inputs.arrays, layout)
    truth = torch.from_numpy(x0)

    def oracle(tokens):
        return torch.nn.functional.one_hot(truth[:len(tokens)], E.MDM_TOKENIZER.vocab_size).float() * 20.0

    answers, _ = decode_problems(oracle, ev, problems, Plan(steps=16), E.MDM_TOKENIZER.mask_id)
    assert ev.layout == layout and np.array_equal(answers, problems.targets)
