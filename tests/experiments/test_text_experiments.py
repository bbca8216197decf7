"""Text experiments on tiny shards: IsoFLOP bookkeeping, a pi-learner checkpoint's recorded order, GenPPL
pieces, and the three reproduce commands end to end (slow)."""
from __future__ import annotations

import argparse
import csv
import math
import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).parents[1] / "tasks" / "text"))
from anyorder.configs import text_model, text_train_config  # noqa: E402
from anyorder.experiments.text import genppl, scaling  # noqa: E402
from anyorder.tasks.registry import build_task  # noqa: E402
from anyorder.train.checkpoint import load  # noqa: E402
from anyorder.train.trainer import fit  # noqa: E402

from text_fixtures import build_tiny_shards  # noqa: E402


@pytest.fixture(scope="module")
def shards(tmp_path_factory):
    return build_tiny_shards(tmp_path_factory.mktemp("text"), seq_len=16)


def _train(shards, tmp, name, arm, steps=3, **options):
    cfg = text_train_config(name, text_model(1, 16, 2, causal=arm), arm, {"data": str(shards), "n_eval": 4, **options},
                            batch_size=4, max_steps=steps, log_every=1, eval_every=0, ckpt_every=0, out_dir=str(tmp))
    return fit(cfg, progress=False)


def test_pi_learner_checkpoint_records_the_order_it_was_trained_on(shards, tmp_path):
    run = _train(shards, tmp_path, "pi", True, family="closer", perm_seed=2)
    loaded = load(run)
    perm = loaded.config["task"]["metadata"]["permutation"]
    bundle = build_task("text-pi", loaded.config["task"]["options"], seed=0)
    x0 = build_task("text", {"data": str(shards)}, seed=0).source.batch(0, 0, 4)["x0"]
    assert torch.equal(bundle.source.batch(0, 0, 4)["tokens"][:, 1:], x0[:, perm])
    assert sorted(perm) == list(range(16)) and perm != list(range(16))
    assert loaded.config["model"]["causal"] and loaded.config["model"]["max_len"] == 17


def test_isoflop_steps_match_the_budget_and_summary():
    args = argparse.Namespace(data="", lr=1e-3, seed=0)
    s = {"seq_len": 16, "batch_size": 4, "n_eval": 4}
    cfg, step_flops = scaling.run_config("closer", 1, (2, 32), 1e9, s, args)
    assert abs(cfg.max_steps * step_flops - 1e9) <= step_flops / 2 + 1
    assert cfg.task == "text-pi" and cfg.task_options["family"] == "closer" and cfg.model.causal
    mdm, _ = scaling.run_config("mdm", 0, (2, 32), 1e9, s, args)
    rope, _ = scaling.run_config("mdm_rope", 0, (2, 32), 1e9, s, args)
    assert (mdm.task, mdm.objective, mdm.model.causal, mdm.model.positions) == ("text", "mdm", False, "learned")
    assert (rope.task, rope.model.positions, rope.name) == ("text", "rope", "mdm_rope-2x32-1e+09")
    assert cfg.model.positions == "learned"
    rows = [{"family": "uniform", "perm_seed": p, "size": z, "budget": 1.0, "val_nll": v}
            for p, z, v in ((0, "a", 5.0), (0, "b", 4.0), (1, "a", 6.0), (1, "b", 7.0))]
    (row,) = scaling.summarize(rows)
    assert row["best_val_nll"] == 5.0 and row["min_over_perms"] == 4.0 and row["max_over_perms"] == 6.0


def test_unigram_entropy_and_judge_nll():
    ent = genppl.unigram_entropy(torch.tensor([[1, 1, 1, 1], [1, 2, 3, 4], [5, 5, 6, 6]]))
    assert torch.allclose(ent, torch.tensor([0.0, math.log(4), math.log(2)], dtype=torch.float64))
    uniform = lambda t: torch.zeros(*t.shape, 10)  # noqa: E731 - a judge that spreads mass evenly over 10 tokens
    nll = genppl.judge_nll(uniform, torch.tensor([[1, 2, 3], [4, 5, 6]]), bos_id=0, batch_size=1)
    assert torch.allclose(nll, torch.full((2,), math.log(10), dtype=torch.float64))


@pytest.mark.slow
def test_reproduce_commands_end_to_end(shards, tmp_path):
    from anyorder.cli import main

    out = tmp_path / "scaling"
    assert main(["reproduce", "text-scaling", "--out", str(out), "--data", str(shards), "--seq-len", "8",
                 "--sizes", "1x16", "--budgets", "2e6", "--batch-size", "4", "--n-eval", "4", "--perms", "2",
                 "--families", "identity,uniform,mdm"]) == 0
    text = (out / "scaling.md").read_text()
    assert "identity" in text and "uniform" in text and (out / "scaling.png").is_file()
    mdm = _train(shards, tmp_path, "mdm", False)
    judge = _train(shards, tmp_path, "judge", True)
    assert main(["reproduce", "text-order-nll", "--checkpoint", str(mdm), "--smoke", "--out", str(tmp_path / "o")]) == 0
    report = (tmp_path / "o" / "order_nll.md").read_text()
    assert "uniform" in report and "INTERMEDIATE" not in report  # the trained run's last checkpoint
    rows = {r["order"]: r for r in csv.DictReader((tmp_path / "o" / "order_nll.csv").open())}
    assert float(rows["identity"]["minus_first"]) == 0.0  # paired differences against the first order
    diff = float(rows["uniform"]["val_nll_per_token"]) - float(rows["identity"]["val_nll_per_token"])
    assert abs(float(rows["uniform"]["minus_first"]) - diff) < 0.05  # mean of per-window differences ~ difference
    assert main(["reproduce", "text-genppl", "--mdm", str(mdm), "--judge", str(judge), "--smoke",
                 "--out", str(tmp_path / "g")]) == 0
    assert "adaptive" in (tmp_path / "g" / "genppl.md").read_text()
    rows = list(csv.DictReader((tmp_path / "g" / "genppl.csv").open()))
    real = [r for r in rows if r["method"] == "validation text"]
    assert len(real) == 1 and real[0]["steps"] == "0" and float(real[0]["judge_nll"]) > 0  # real text, same judge
    assert all(float(r["judge_nll_stderr"]) > 0 for r in rows)
    assert main(["reproduce", "text-genppl", "--mdm", str(judge), "--judge", str(mdm), "--smoke",
                 "--out", str(tmp_path / "g2")]) == 2  # roles swapped: a clear error


def test_shards_of_prefers_explicit_then_recorded_if_present_then_default(tmp_path, monkeypatch):
    from anyorder.experiments.text import order_nll

    monkeypatch.setattr(order_nll, "default_data_dir", lambda: tmp_path / "default")
    here = tmp_path / "here"
    here.mkdir()
    config = {"task": {"options": {"data": str(here)}}}
    assert order_nll.shards_of(config, "/explicit") == "/explicit"
    assert order_nll.shards_of(config) == str(here)
    assert order_nll.shards_of({"task": {"options": {"data": str(tmp_path / "gone")}}}) == str(tmp_path / "default")
    assert order_nll.shards_of({}) == str(tmp_path / "default")


def test_the_shipped_text_mdm_loads_and_continues_a_prompt(capsys):
    from anyorder.cli import main
    from anyorder.experiments.text.order_nll import SHIPPED_MDM
    from anyorder.train.checkpoint import load

    loaded = load(SHIPPED_MDM)
    assert loaded.config["model"]["max_len"] == 128 and loaded.tokenizer.vocab_size == 4096
    assert main(["decode", str(SHIPPED_MDM), "--prompt", "It is a truth universally acknowledged", "--length", "24",
                 "steps=8"]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("It is a truth universally acknowledged") and "NFE mean 8.00" in captured.err
