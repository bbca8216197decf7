import argparse
import csv
import json
import shutil

import numpy as np
import pytest
import torch

from anyorder.configs import CONFIGS, lo_train_config
from anyorder.experiments.lo import imbalance as lo_imbalance
from anyorder.experiments.lo import table1 as lo_table1
from anyorder.tasks.lo import make_distribution


def _oracle_model(dist):
    """Knows the latents shown; predicts NAE of them at observations, uniform elsewhere."""

    def model(xt):
        lat = xt[:, torch.tensor(dist.latent_positions)]
        obs = torch.from_numpy(dist.noiseless_observations(lat.clamp(max=1).cpu().numpy()))
        known = (lat < 2)[:, torch.tensor(dist.subsets)].all(-1)
        logits = torch.zeros(*xt.shape, dist.mask_id + 1)
        logits[..., dist.pad_id] = -30.0
        hot = torch.nn.functional.one_hot(obs, dist.mask_id + 1).float() * 20
        logits[:, torch.tensor(dist.obs_positions)] = torch.where(known[..., None], hot, logits[:, :1])
        return logits

    return model


def test_table1_adaptive_beats_vanilla_with_oracle():
    dist = make_distribution({"N": 6, "P": 30})
    model = _oracle_model(dist)
    acc = {name: lo_table1.sample_accuracy(model, dist, lo_table1.inference_plan(score, 36, None), 64, 32, 0, "cpu")
           for name, score in lo_table1.INFERENCE.items()}
    # the oracle is uniform (margin 0) until an observation's triple is known, then certain: margin decoding
    # fills every determined observation before guessing, so it is always consistent
    assert acc["adaptive"] == 1.0
    assert acc["vanilla"] < 0.9


def test_masks_hide_requested_counts():
    dist = make_distribution({"N": 20, "P": 280})
    mask = lo_imbalance.random_masks(dist, 50, 11, np.random.default_rng(0))
    assert (mask[:, dist.latent_positions].sum(1) == 11).all()
    assert (mask[:, dist.obs_positions].sum(1) == 154).all()


def test_squared_errors_zero_for_identical_models():
    dist = make_distribution({"N": 6, "P": 30})
    model = _oracle_model(dist)
    x0 = dist.sample(4, np.random.default_rng(0))
    mask = lo_imbalance.random_masks(dist, 4, 3, np.random.default_rng(1))
    err = lo_imbalance.squared_log_errors(model, model, dist, x0, mask, "cpu")
    assert np.isnan(err[~mask]).all() and (err[mask] == 0).all()


def test_presets_are_lo_tasks():
    assert {CONFIGS[n].task for n in ("lo-nae-cpu", "lo-nae-19m")} == {"lo"}
    assert lo_train_config(25, 275, "paper").task_options["pad_to"] == 512
    assert lo_train_config(25, 275, "paper").model.positions == "rope"


def test_deeper_cpu_model_uses_the_cpu_recipe_and_its_own_runs():
    cpu, deep = lo_train_config(16, 104, "cpu"), lo_train_config(16, 104, "cpu-4x64")
    assert (cpu.model.n_layers, deep.model.n_layers) == (2, 4)
    assert (deep.model.d_model, deep.optim, deep.batch_size) == (cpu.model.d_model, cpu.optim, cpu.batch_size)
    assert deep.name == "lo-nae-cpu-4x64-N16-P104" and deep.task_options["pad_to"] is None
    parser = argparse.ArgumentParser()
    lo_table1.add_arguments(parser)
    cfg = lo_table1.config_from_args(parser.parse_args(["--config", "cpu-4x64"]))
    assert (cfg.steps_train, cfg.length) == (lo_table1.CPU_DEFAULTS["steps_train"], lo_table1.CPU_DEFAULTS["length"])


def test_loss_choice_reaches_the_run_and_names_it():
    elbo, plain = lo_train_config(16, 104), lo_train_config(16, 104, time_weight="none", schedule="cosine")
    assert (elbo.mdm.time_weight, elbo.mdm.schedule, elbo.name) == ("elbo", "linear", "lo-nae-cpu-N16-P104")
    assert (plain.mdm.time_weight, plain.mdm.schedule) == ("none", "cosine")
    assert plain.name == "lo-nae-cpu-N16-P104-twnone-cosine"  # a different loss never resumes the ELBO run
    parser = argparse.ArgumentParser()
    lo_table1.add_arguments(parser)
    cfg = lo_table1.config_from_args(parser.parse_args(["--time-weight", "none"]))
    assert (cfg.time_weight, cfg.schedule) == ("none", "linear")
    with pytest.raises(SystemExit):
        parser.parse_args(["--time-weight", "1/t"])
    assert lo_imbalance.ImbalanceConfig().run_name == "lo-imbalance-cpu-N12-P108"
    assert lo_imbalance.ImbalanceConfig(time_weight="none").run_name == "lo-imbalance-cpu-N12-P108-twnone"


@pytest.mark.slow
def test_table1_and_imbalance_end_to_end(tmp_path):
    parser = argparse.ArgumentParser()
    parser.add_argument("--out")
    lo_table1.add_arguments(parser)
    args = parser.parse_args(["--out", str(tmp_path / "t1"), "--pairs", "4:12", "--length", "0", "--steps-train", "3",
                              "--n-samples", "8", "--runs-dir", str(tmp_path / "runs"), "--device", "cpu"])
    assert lo_table1.run(args) == 0
    with open(tmp_path / "t1" / "rows.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 1 and (rows[0]["N"], rows[0]["P"]) == ("4", "12") and rows[0]["train_steps"] == "3"
    for key in ("vanilla_%", "adaptive_%"):  # accuracies in percent, both measured
        assert 0.0 <= float(rows[0][key]) <= 100.0, (key, rows[0][key])
    assert "vanilla_%" in (tmp_path / "t1" / "table.md").read_text()
    assert (tmp_path / "t1" / "figure.png").stat().st_size > 0
    parser = argparse.ArgumentParser()
    parser.add_argument("--out")
    lo_imbalance.add_arguments(parser)
    args = parser.parse_args(["--out", str(tmp_path / "im"), "--steps-short", "2", "--steps-long", "4",
                              "--n-masks", "8", "--ls", "1,11", "--runs-dir", str(tmp_path / "runs"),
                              "--device", "cpu"])
    assert lo_imbalance.run(args) == 0
    text = (tmp_path / "im" / "table.md").read_text()
    assert "l = 11: ratio" in text and (tmp_path / "im" / "rows.csv").exists()
    assert "after 2 steps" in text and "trained for 4 steps" in text  # one run: its step-2 checkpoint vs step 4
    assert "(N, P) = (12, 108)" in text  # the CPU preset's pair


def test_scale_pairs_keeps_proportions():
    assert lo_table1.scale_pairs(tuple(lo_table1.PAPER_TABLE1), 60) == ((5, 55), (6, 54), (8, 52), (10, 50), (20, 40))
    cpu = lo_table1.scale_pairs(tuple(lo_table1.PAPER_TABLE1), lo_table1.CPU_DEFAULTS["length"])  # the CPU preset
    assert cpu == ((10, 110), (12, 108), (16, 104), (20, 100), (40, 80))
    assert lo_table1.scale_pairs(((25, 275),), None) == ((25, 275),)


def test_imbalance_against_exact_posterior_is_zero_for_the_exact_model():
    from anyorder.theory.lo_oracle import ExactOracle

    dist = make_distribution({"N": 12, "P": 24})
    cfg = lo_imbalance.ImbalanceConfig(n_masks=40, eval_batch=20)
    row = lo_imbalance.measure(ExactOracle(dist), ExactOracle(dist), dist, 11, cfg, "cpu")
    assert row["latent_err"] == 0 and row["observation_err"] == 0 and row["masked_obs"] == 22


def test_table1_curve_scores_every_checkpoint(tmp_path):
    """--curve keeps every checkpoint (beyond the default 2) and writes one curve row per checkpoint, in step order,
    with the training minutes counted up to that step only."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--out")
    lo_table1.add_arguments(parser)
    args = parser.parse_args(["--out", str(tmp_path / "t1"), "--pairs", "4:12", "--length", "0", "--steps-train", "6",
                              "--ckpt-every", "2", "--n-samples", "4", "--runs-dir", str(tmp_path / "runs"),
                              "--device", "cpu", "--curve"])
    assert lo_table1.run(args) == 0
    with open(tmp_path / "t1" / "curve.csv", newline="") as f:
        curve = list(csv.DictReader(f))
    assert [int(r["train_steps"]) for r in curve] == [2, 4, 6]
    assert all(float(r["gap_pts"]) == pytest.approx(float(r["adaptive_%"]) - float(r["vanilla_%"]), abs=0.011)
               for r in curve)
    minutes = [float(r["train_min"]) for r in curve]
    assert minutes == sorted(minutes)
    assert (tmp_path / "t1" / "curve.png").stat().st_size > 0
    # --curve-every 4 scores only the checkpoints at multiples of 4 (the finished run is not retrained)
    every = parser.parse_args(["--out", str(tmp_path / "t2"), "--pairs", "4:12", "--length", "0", "--steps-train", "6",
                               "--ckpt-every", "2", "--n-samples", "4", "--runs-dir", str(tmp_path / "runs"),
                               "--device", "cpu", "--curve", "--curve-every", "4"])
    assert lo_table1.run(every) == 0
    with open(tmp_path / "t2" / "curve.csv", newline="") as f:
        assert [int(r["train_steps"]) for r in csv.DictReader(f)] == [4]
    # --replot redraws both figures from the CSV tables alone (the runs may be gone)
    for name in ("figure.png", "curve.png"):
        (tmp_path / "t1" / name).unlink()
    shutil.rmtree(tmp_path / "runs")
    assert lo_table1.run(parser.parse_args(["--out", str(tmp_path / "t1"), "--replot"])) == 0
    assert all((tmp_path / "t1" / n).read_bytes()[:4] == b"\x89PNG" for n in ("figure.png", "curve.png"))


def test_train_seconds_counts_records_up_to_a_step(tmp_path):
    (tmp_path / "config.json").write_text('{"batch_size": 10}')
    recs = [{"step": 5, "samples_per_s": 10.0}, {"step": 10, "samples_per_s": 50.0}]
    (tmp_path / "metrics.jsonl").write_text("\n".join(json.dumps(r) for r in recs) + "\n")
    assert lo_table1.train_seconds(tmp_path) == pytest.approx(5 * 10 / 10 + 5 * 10 / 50)
    assert lo_table1.train_seconds(tmp_path, upto=5) == pytest.approx(5.0)


def test_table1_rerun_reads_measurements_from_the_cache(tmp_path, monkeypatch):
    """A rerun with trained runs in place neither retrains nor decodes again (RUN/table1_eval.json, keyed by the
    weights' hash and the protocol); a different sample count is measured afresh."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--out")
    lo_table1.add_arguments(parser)
    argv = ["--out", str(tmp_path / "t1"), "--pairs", "4:12", "--length", "0", "--steps-train", "2",
            "--n-samples", "4", "--runs-dir", str(tmp_path / "runs"), "--device", "cpu"]
    assert lo_table1.run(parser.parse_args(argv)) == 0
    first = (tmp_path / "t1" / "rows.csv").read_text()
    calls = []
    real = lo_table1._measure
    monkeypatch.setattr(lo_table1, "_measure", lambda *a: calls.append(1) or real(*a))
    assert lo_table1.run(parser.parse_args(argv)) == 0
    assert calls == [] and (tmp_path / "t1" / "rows.csv").read_text() == first
    assert lo_table1.run(parser.parse_args(argv[:-6] + ["--n-samples", "6"] + argv[-4:])) == 0
    assert calls == [1]
