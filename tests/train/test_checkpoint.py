"""Checkpoint format: round trip, atomic writes, and errors that name the broken file."""
import json
import os

import pytest
import torch

from anyorder.errors import CheckpointError
from anyorder.models.transformer import ModelConfig, Transformer
from anyorder.tokenizers.symbols import SymbolTable
from anyorder.train import checkpoint as ckpt

CFG = ModelConfig(vocab_size=5, max_len=6, n_layers=1, d_model=8, n_heads=2, tie_embeddings=True)
TOK = SymbolTable(("a", "b", "c", "d", "[MASK]"), mask_id=4)


def meta(model_cfg=CFG):
    return {"model": model_cfg.to_dict(), "tokenizer": TOK.to_dict(),
            "task": {"name": "toy", "options": {"n": 1}, "metadata": {}}, "objective": "mdm", "train": None}


def write(root, step=3, model=None, **kw):
    torch.manual_seed(step)
    model = model or Transformer(CFG)
    return ckpt.save_checkpoint(root, step, meta(), model.state_dict(), **kw), model


def test_round_trip_from_checkpoint_and_run_dir(tmp_path):
    opt_state = {"state": {0: {"step": torch.tensor(3.0), "exp_avg": torch.randn(2, 2)}},
                 "param_groups": [{"lr": 0.1, "betas": (0.9, 0.95), "params": [0]}]}
    path, model = write(tmp_path / "run" / "checkpoints", train_state={"optimizer": opt_state, "step": 3})
    x = torch.randint(0, 4, (2, 6))
    for where in (path, tmp_path / "run", tmp_path / "run" / "checkpoints"):
        loaded = ckpt.load(where)
        assert loaded.path == path and loaded.step == 3 and not loaded.model.training
        assert torch.equal(loaded.model(x), model.eval()(x))
        assert loaded.tokenizer == TOK and loaded.task["options"] == {"n": 1}
    state = ckpt.load_train_state(path)
    assert state["optimizer"]["param_groups"][0]["betas"] == (0.9, 0.95)
    assert torch.equal(state["optimizer"]["state"][0]["exp_avg"], opt_state["state"][0]["exp_avg"])
    assert list(state["optimizer"]["state"]) == [0]
    files = json.loads((path / "config.json").read_text())["files"]
    assert set(files) == {"model.safetensors", "train_state/optimizer.safetensors", "train_state/state.json"}


def test_latest_and_pruning(tmp_path):
    root = tmp_path / "checkpoints"
    for step in (1, 2, 3, 4):
        write(root, step, keep=2)
    assert sorted(p.name for p in root.iterdir() if p.is_dir()) == ["step_00000003", "step_00000004"]
    assert (root / "latest").read_text() == "step_00000004"
    assert ckpt.load(root).step == 4


def test_crash_mid_write_keeps_previous_checkpoint(tmp_path, monkeypatch):
    root = tmp_path / "checkpoints"
    write(root, 1)

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(ckpt, "_sha256", crash)  # dies after the weights are written, before the rename
    with pytest.raises(OSError):
        write(root, 2)
    monkeypatch.undo()
    assert not (root / "step_00000002").exists()
    assert ckpt.load(root).step == 1
    write(root, 3, keep=5)  # the next save cleans the leftover temporary directory
    assert not list(root.glob(".tmp-*"))


def test_missing_paths(tmp_path):
    with pytest.raises(CheckpointError, match="no such checkpoint"):
        ckpt.load(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(CheckpointError, match="config.json: missing"):
        ckpt.load(tmp_path / "empty")
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "metrics.jsonl").write_text("")
    with pytest.raises(CheckpointError, match="no complete checkpoint"):
        ckpt.load(tmp_path / "run")
    root = tmp_path / "c"
    path, _ = write(root)
    (root / "latest").write_text("step_99")
    with pytest.raises(CheckpointError, match="latest: points to missing"):
        ckpt.load(root)


def test_missing_listed_file(tmp_path):
    path, _ = write(tmp_path)
    os.remove(path / "model.safetensors")
    with pytest.raises(CheckpointError, match=r"model\.safetensors: missing"):
        ckpt.load(path)


@pytest.mark.parametrize("damage, message", [
    (lambda p: p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2]), "sha256 mismatch"),
    (lambda p: p.write_bytes(p.read_bytes()[:-1] + b"\x00"), "sha256 mismatch"),
])
def test_corrupt_or_truncated_weights(tmp_path, damage, message):
    path, _ = write(tmp_path)
    damage(path / "model.safetensors")
    with pytest.raises(CheckpointError, match=message) as info:
        ckpt.load(path)
    assert "model.safetensors" in str(info.value)


def _edit_config(path, edit):
    config = json.loads((path / "config.json").read_text())
    edit(config)
    (path / "config.json").write_text(json.dumps(config))


def test_bad_config_json(tmp_path):
    path, _ = write(tmp_path)
    (path / "config.json").write_text("{not json")
    with pytest.raises(CheckpointError, match="config.json: invalid JSON"):
        ckpt.load(path)


@pytest.mark.parametrize("edit, message", [
    (lambda c: c.update(format="other"), "not an anyorder checkpoint"),
    (lambda c: c.update(format_version=99), "unsupported format_version 99"),
    (lambda c: c.pop("tokenizer"), "'tokenizer'"),
    (lambda c: c["model"].update(d_model=16), "shape mismatch"),
    (lambda c: c["model"].update(n_layers=2), "missing"),
    (lambda c: c["model"].update(mlp="relu"), "invalid model config"),
])
def test_incompatible_config(tmp_path, edit, message):
    path, _ = write(tmp_path)
    _edit_config(path, edit)
    with pytest.raises(CheckpointError, match=message) as info:
        ckpt.load(path)
    assert str(path) in str(info.value)


def test_unparseable_safetensors_with_matching_hash(tmp_path):
    path, _ = write(tmp_path)
    (path / "model.safetensors").write_bytes(b"garbage")
    _edit_config(path, lambda c: c["files"].update({"model.safetensors": ckpt._sha256(path / "model.safetensors")}))
    with pytest.raises(CheckpointError, match="model.safetensors: cannot parse safetensors"):
        ckpt.load(path)


def test_inference_only_checkpoint_cannot_resume(tmp_path):
    path, _ = write(tmp_path)
    with pytest.raises(CheckpointError, match="cannot be resumed"):
        ckpt.load_train_state(path)


def test_refuses_to_store_arbitrary_objects(tmp_path):
    with pytest.raises(TypeError, match="no pickling"):
        write(tmp_path, train_state={"x": object()})
