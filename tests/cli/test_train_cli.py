"""``anyorder train`` / ``anyorder eval`` in-process on a tiny fake task (the toy-task runs are in tests/train)."""
import json

import pytest
import torch

import anyorder.cli.train as cli_train
from anyorder.cli import main
from anyorder.configs import get_config
from anyorder.tasks.base import TaskBundle, torch_generator
from anyorder.tokenizers.symbols import SymbolTable
from anyorder.train import trainer
from anyorder.train.config import apply_overrides, save_json


class Source:
    def batch(self, step, rank, batch_size):
        x0 = torch.randint(0, 3, (batch_size, 4), generator=torch_generator(0, step, rank))
        return {"x0": x0, "is_fixed": torch.zeros_like(x0, dtype=torch.bool)}


def fake_build(name, options, seed):
    n = options.get("n_eval", 10)

    def evaluate(model, step):
        return {"n": float(n), "step": float(step)}

    tok = SymbolTable(("a", "b", "c", "[MASK]"), mask_id=3)
    return TaskBundle("fake", tok, Source(), {"vocab_size": 4, "max_len": 4}, {}, evaluate)


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny models run fastest single-threaded (and do not spin against other processes)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def config_file(tmp_path, monkeypatch):
    monkeypatch.setattr(trainer, "build_task", fake_build)
    monkeypatch.setattr(cli_train, "build_task", fake_build)
    cfg = apply_overrides(get_config("toy-mdm"), ["task=fake", "name=cli", "max_steps=4", "batch_size=4",
                                                  "ckpt_every=2", "eval_every=0", "model.n_layers=1"])
    save_json(cfg, tmp_path / "cfg.json")
    return tmp_path / "cfg.json"


def test_train_then_eval(tmp_path, config_file, capsys):
    out = tmp_path / "runs"
    assert main(["train", str(config_file), "optim.lr=1e-2", "--out-dir", str(out), "--no-progress"]) == 0
    assert "run directory" in capsys.readouterr().out
    stored = json.loads((out / "cli" / "config.json").read_text())
    assert stored["optim"]["lr"] == 1e-2 and stored["out_dir"] == str(out)
    assert main(["eval", str(out / "cli"), "--n", "7", "--json", "--device", "cpu"]) == 0
    assert json.loads(capsys.readouterr().out) == {"n": 7.0, "step": 4.0}
    assert main(["eval", str(out / "cli" / "checkpoints" / "step_00000002"), "--device", "cpu"]) == 0
    assert capsys.readouterr().out.splitlines() == ["n: 10", "step: 2"]
    # a second identical run refuses to overwrite; --resume at max_steps is a no-op
    assert main(["train", str(config_file), "optim.lr=1e-2", "--out-dir", str(out), "--no-progress"]) == 2
    assert "already has checkpoints" in capsys.readouterr().err
    assert main(["train", str(config_file), "optim.lr=1e-2", "--out-dir", str(out), "--no-progress",
                 "--resume"]) == 0


@pytest.mark.parametrize("argv, message", [
    (["train", "nope"], "unknown config 'nope'"),
    (["train", "toy-mdm", "optim.lrr=1"], "'lrr' is not one of"),
    (["eval", "/nonexistent/run"], "no such checkpoint"),
])
def test_user_errors_exit_2(argv, message, capsys):
    assert main(argv) == 2
    assert message in capsys.readouterr().err
