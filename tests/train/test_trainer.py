"""fit() in-process on a tiny fake task: files written, resume is exact, interrupts save, LR schedule."""
import json
import math
import time

import pytest
import torch

from anyorder.errors import ConfigError
from anyorder.models.transformer import ModelConfig
from anyorder.tasks.base import TaskBundle, torch_generator
from anyorder.tokenizers.symbols import SymbolTable
from anyorder.train import checkpoint as ckpt
from anyorder.train import trainer
from anyorder.train.config import OptimConfig, TrainConfig, apply_overrides, load_json


class FakeSource:
    """x0: a noisy copy of a fixed pattern; the first position is fixed."""

    def __init__(self, seed):
        self.seed = seed

    def batch(self, step, rank, batch_size):
        g = torch_generator(self.seed, step, rank)
        x0 = (torch.arange(6).repeat(batch_size, 1) + torch.randint(0, 2, (batch_size, 6), generator=g)) % 4
        is_fixed = torch.zeros(batch_size, 6, dtype=torch.bool)
        is_fixed[:, 0] = True
        return {"x0": x0, "is_fixed": is_fixed}


def fake_build(name, options, seed):
    calls = []

    def evaluate(model, step):
        calls.append(step)
        return {"n_params": float(sum(p.numel() for p in model.parameters())), "step_seen": float(step)}

    tok = SymbolTable(("a", "b", "c", "d", "[MASK]"), mask_id=4)
    return TaskBundle("fake", tok, FakeSource(seed), {"vocab_size": 5, "max_len": 6}, {"k": 1}, evaluate)


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny models run fastest single-threaded (and do not spin against other processes)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(autouse=True)
def fake_task(monkeypatch):
    monkeypatch.setattr(trainer, "build_task", fake_build)


def config(tmp_path, **kw):
    cfg = TrainConfig(name="r", task="fake", out_dir=str(tmp_path), batch_size=8, max_steps=6, log_every=2,
                      eval_every=3, ckpt_every=2, keep_checkpoints=2,
                      model=ModelConfig(vocab_size=1, max_len=1, n_layers=1, d_model=16, n_heads=2, dropout=0.1),
                      optim=OptimConfig(lr=1e-2, warmup_steps=2, weight_decay=0.1))
    return apply_overrides(cfg, [f"{k}={v}" for k, v in kw.items()])


def weights(run_dir):
    return ckpt.load(run_dir).model.state_dict()


def test_fit_writes_run_directory(tmp_path):
    run_dir = trainer.fit(config(tmp_path), progress=False)
    cfg = load_json(run_dir / "config.json")
    assert cfg.model.vocab_size == 5 and cfg.model.max_len == 6
    lines = [json.loads(x) for x in (run_dir / "metrics.jsonl").read_text().splitlines()]
    train = [x for x in lines if "loss" in x]
    assert [x["step"] for x in train] == [2, 4, 6]
    assert [x["step"] for x in lines if "eval/step_seen" in x] == [3, 6]
    assert train[-1]["samples"] == 48 and train[-1]["flops"] > 0 and train[-1]["samples_per_s"] > 0
    assert all(math.isfinite(x["loss"]) for x in train)
    names = sorted(p.name for p in (run_dir / "checkpoints").iterdir())
    assert names == ["latest", "step_00000004", "step_00000006"]
    loaded = ckpt.load(run_dir)
    assert loaded.step == 6 and loaded.task == {"name": "fake", "options": {}, "metadata": {"k": 1}}
    assert loaded.config["train"]["name"] == "r"
    with pytest.raises(ConfigError, match="already has checkpoints"):
        trainer.fit(config(tmp_path), progress=False)


@pytest.mark.parametrize("ema,objective", [(None, "mdm"), (0.9, "mdm"), (None, "puma")])
def test_resume_is_bit_identical(tmp_path, ema, objective):
    full = trainer.fit(config(tmp_path / "a", ema=ema, objective=objective), progress=False)
    part = trainer.fit(config(tmp_path / "b", ema=ema, objective=objective, max_steps=4), progress=False)
    # continuing to 6 with the same LR schedule requires the same max_steps: rerun from step 2's checkpoint
    (part / "checkpoints" / "latest").write_text("step_00000002")
    with pytest.raises(ConfigError, match="differs in"):
        trainer.fit(config(tmp_path / "b", ema=ema, objective=objective, seed=1), resume=True, progress=False)
    resumed = trainer.fit(config(tmp_path / "b", ema=ema, objective=objective), resume=True, progress=False)
    a, b = weights(full), weights(resumed)
    assert all(torch.equal(a[k], b[k]) for k in a)
    if ema is not None:
        raw_a = ckpt.read_tensors(ckpt.resolve(full), "raw_model.safetensors")
        raw_b = ckpt.read_tensors(ckpt.resolve(resumed), "raw_model.safetensors")
        assert all(torch.equal(raw_a[k], raw_b[k]) for k in raw_a)
        assert not torch.equal(raw_a["head.weight"], a["head.weight"])
    steps = [json.loads(x)["step"] for x in (resumed / "metrics.jsonl").read_text().splitlines()]
    assert steps == sorted(steps) and len(steps) == len(set(steps))


def test_keyboard_interrupt_saves_a_checkpoint(tmp_path, monkeypatch):
    original = trainer.train_step

    def step(run, s):
        if s == 3:
            raise KeyboardInterrupt
        return original(run, s)

    monkeypatch.setattr(trainer, "train_step", step)
    with pytest.raises(KeyboardInterrupt):
        trainer.fit(config(tmp_path, ckpt_every=0), progress=False)
    assert ckpt.load(tmp_path / "r").step == 3


def test_lr_schedule_and_param_groups():
    assert trainer.lr_factor(0, 4, 10, 0.1) == 0.25
    assert trainer.lr_factor(3, 4, 10, 0.1) == 1.0
    assert trainer.lr_factor(4, 4, 10, 0.1) == 1.0
    assert math.isclose(trainer.lr_factor(10, 4, 10, 0.1), 0.1)
    assert math.isclose(trainer.lr_factor(7, 4, 10, 0.1), 0.55)
    from anyorder.models.transformer import Transformer

    model = Transformer(ModelConfig(vocab_size=5, max_len=4, n_layers=1, d_model=8, n_heads=2))
    decay, rest = trainer.param_groups(model, 0.1)
    decayed = {n for n, p in model.named_parameters() if any(p is q for q in decay["params"])}
    assert decayed and all(n.endswith("weight") and "emb" not in n and "norm" not in n for n in decayed)
    assert len(decay["params"]) + len(rest["params"]) == len(list(model.parameters()))


def test_invalid_batch_size():
    with pytest.raises(ConfigError, match="batch_size"):
        TrainConfig(name="r", task="fake", batch_size=0)


class FakeTime:
    """time.perf_counter stand-in: every call advances one second (so the budget counts calls, not speed)."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        self.now += 1.0
        return self.now


def test_max_seconds_stops_decays_and_resumes(tmp_path, monkeypatch):
    monkeypatch.setattr(trainer.time, "perf_counter", FakeTime())
    cfg = config(tmp_path, max_steps=1000, max_seconds=40.0, log_every=1, eval_every=0, ckpt_every=0,
                 **{"optim.min_lr_ratio": 0.0})
    run_dir = trainer.fit(cfg, progress=False)
    lines = [json.loads(x) for x in (run_dir / "metrics.jsonl").read_text().splitlines()]
    train = [x for x in lines if "loss" in x]
    step = ckpt.load(run_dir).step
    assert 2 < step < 40 and train[-1]["step"] == step  # stopped by the clock, long before max_steps
    assert train[-1]["lr"] < 1e-3 * train[1]["lr"]  # the cosine ran out with the budget, not with max_steps
    assert "eval/step_seen" in lines[-1]  # the end of the budget evaluates, as the end of max_steps does
    state = ckpt.load_train_state(ckpt.resolve(run_dir), ckpt.read_config(ckpt.resolve(run_dir)))
    assert state["elapsed_s"] >= 40.0
    again = trainer.fit(cfg, resume=True, progress=False)  # the budget is spent: nothing more to do
    assert ckpt.load(again).step == step
    more = trainer.fit(config(tmp_path, max_steps=1000, max_seconds=80.0, log_every=1, eval_every=0,
                              ckpt_every=0, **{"optim.min_lr_ratio": 0.0}), resume=True, progress=False)
    assert ckpt.load(more).step > step  # a larger budget continues from the stored time


def test_cpu_budget_clock_counts_only_the_trainer_threads_cpu_time(tmp_path, monkeypatch):
    """budget_clock=cpu: wall time the trainer spends waiting (a shared or niced machine) is not spent."""
    wall = FakeTime()
    monkeypatch.setattr(trainer.time, "perf_counter", lambda: 1e9 * wall())  # the wall clock: a lifetime per call
    monkeypatch.setattr(trainer.time, "thread_time", FakeTime())
    cfg = config(tmp_path, max_steps=1000, max_seconds=40.0, budget_clock="cpu", log_every=1, eval_every=0,
                 ckpt_every=0)
    step = ckpt.load(trainer.fit(cfg, progress=False)).step
    assert 2 < step < 40  # the fake CPU clock ran out, not the wall clock (which would stop it at step 0 or 1)
    state = ckpt.load_train_state(ckpt.resolve(cfg.run_dir), ckpt.read_config(ckpt.resolve(cfg.run_dir)))
    assert 40.0 <= state["elapsed_s"] < 100.0


def test_clock_kinds():
    cpu, wall = trainer.Clock(10.0, kind="cpu"), trainer.Clock(10.0)
    busy = sum(i * i for i in range(200_000))  # CPU work: both clocks advance
    assert busy > 0 and cpu.elapsed() > 0 and wall.elapsed() > 0
    before = cpu.elapsed()
    time.sleep(0.2)  # waiting: only the wall clock advances
    assert cpu.elapsed() - before < 0.1 and wall.elapsed() >= 0.2
    with pytest.raises(ConfigError, match="budget_clock"):
        TrainConfig(name="r", task="fake", budget_clock="gpu")


def test_max_seconds_must_not_be_negative():
    with pytest.raises(ConfigError, match="max_seconds"):
        TrainConfig(name="r", task="fake", max_seconds=-1)


def test_failed_compile_falls_back_to_eager_with_the_same_result(tmp_path, monkeypatch, capsys):
    """compile=true where torch.compile cannot build (no C compiler): a warning, then the eager run's exact weights."""
    from torch._dynamo.exc import TorchDynamoException

    class Broken(torch.nn.Module):
        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, *args, **kw):
            raise TorchDynamoException("backend compiler failed: no C compiler")

    eager = trainer.fit(config(tmp_path / "eager"), progress=False)
    monkeypatch.setattr(trainer.torch, "compile", Broken)
    fallback = trainer.fit(config(tmp_path / "compiled", compile=True), progress=False)
    assert "torch.compile failed" in capsys.readouterr().err
    a, b = weights(eager), weights(fallback)
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_other_errors_are_not_taken_for_compile_failures(tmp_path, monkeypatch):
    class Broken(torch.nn.Module):
        def __init__(self, model):
            super().__init__()

        def forward(self, *args, **kw):
            raise RuntimeError("shape mismatch in the model")

    monkeypatch.setattr(trainer.torch, "compile", Broken)
    with pytest.raises(RuntimeError, match="shape mismatch"):
        trainer.fit(config(tmp_path, compile=True), progress=False)
