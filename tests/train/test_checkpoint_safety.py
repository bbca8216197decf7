"""Checkpoints that cannot hurt (issue 18): header checked before allocation, vocabularies agree, files stay
inside the directory, non-finite weights refused, damaged resumes fall back to the newest verifying checkpoint."""
import hashlib
import json

import pytest
import torch
from safetensors.torch import save_file

from anyorder.errors import CheckpointError
from anyorder.models.transformer import ModelConfig, Transformer
from anyorder.tokenizers.symbols import SymbolTable
from anyorder.train import checkpoint as ckpt

CFG = ModelConfig(vocab_size=5, max_len=6, n_layers=1, d_model=8, n_heads=2)
TOK = SymbolTable(("a", "b", "c", "d", "[MASK]"), mask_id=4)


def write(root, step=3, state=None, train_state=None):
    torch.manual_seed(step)
    state = state if state is not None else Transformer(CFG).state_dict()
    meta = {"model": CFG.to_dict(), "tokenizer": TOK.to_dict(),
            "task": {"name": "toy", "options": {}, "metadata": {}}, "objective": "mdm", "train": None}
    return ckpt.save_checkpoint(root, step, meta, state, train_state=train_state)


def edit_config(path, fn):
    cfg = json.loads((path / "config.json").read_text())
    fn(cfg)
    (path / "config.json").write_text(json.dumps(cfg))


def rehash(path, name="model.safetensors"):
    edit_config(path, lambda c: c["files"].update({name: hashlib.sha256((path / name).read_bytes()).hexdigest()}))


def test_huge_config_is_refused_from_the_header_without_allocating(tmp_path, monkeypatch):
    path = write(tmp_path)
    edit_config(path, lambda c: c["model"].update(d_model=32768, d_mlp=None))
    built = []
    real = Transformer.__init__

    def spy(self, cfg):
        built.append(torch.get_default_device())  # the only model built must be on the meta device
        real(self, cfg)
    monkeypatch.setattr(Transformer, "__init__", spy)
    with pytest.raises(CheckpointError, match=r"model.safetensors: weights incompatible.*32768"):
        ckpt.load(path)
    assert built == [torch.device("meta")]


def test_more_layers_than_tensors_is_refused_before_building(tmp_path, monkeypatch):
    """Found by scripts/fuzz_driver.py (checkpoint_json): n_layers=10^5 took > 20 CPU-s to build on meta."""
    path = write(tmp_path)
    edit_config(path, lambda c: c["model"].update(n_layers=100_000))
    monkeypatch.setattr(Transformer, "__init__", lambda self, cfg: pytest.fail("model built"))
    with pytest.raises(CheckpointError, match=r"n_layers=100000 cannot match a weights file of \d+ tensors"):
        ckpt.load(path)


def test_the_layer_guard_asks_each_model_kind_and_valid_checkpoints_still_load(tmp_path, monkeypatch):
    """The guard is the registry's per-kind ``layers`` hook, whatever the kind calls its layer count."""
    from anyorder.models import registry

    path = write(tmp_path)
    assert isinstance(ckpt.load(path).model, Transformer)  # 1 layer, 12+ tensors: passes the guard
    n_tensors = len(Transformer(CFG).state_dict())
    kind = registry.MODEL_KINDS["transformer"]
    monkeypatch.setitem(registry.MODEL_KINDS, "deep", registry.ModelKind(
        ModelConfig, Transformer, lambda cfg, raw=None: ("num_hidden_layers", n_tensors + 1)))
    edit_config(path, lambda c: c.update(model_kind="deep"))
    monkeypatch.setattr(Transformer, "__init__", lambda self, cfg: pytest.fail("model built"))
    with pytest.raises(CheckpointError, match=rf"num_hidden_layers={n_tensors + 1} cannot match a weights file "
                                              rf"of {n_tensors} tensors"):
        ckpt.load(path)
    assert kind.layers(CFG) == ("n_layers", 1)


def test_header_dtype_mismatch(tmp_path):
    path = write(tmp_path)
    state = Transformer(CFG).state_dict()
    state["head.weight"] = state["head.weight"].to(torch.int32)
    save_file({k: v.contiguous() for k, v in state.items()}, str(path / "model.safetensors"))
    rehash(path)
    with pytest.raises(CheckpointError, match=r"head.weight: file \(5, 8\) I32 vs config \(5, 8\) F32"):
        ckpt.load(path)


@pytest.mark.parametrize("symbols, message", [(TOK.symbols[:-1], "4 symbols but the model's vocab_size is 5"),
                                              (TOK.symbols + ("e",), "6 symbols but the model's vocab_size is 5")])
def test_tokenizer_and_model_vocabularies_must_agree(tmp_path, symbols, message):
    path = write(tmp_path)
    edit_config(path, lambda c: c["tokenizer"].update(symbols=list(symbols), mask_id=len(symbols) - 1))
    with pytest.raises(CheckpointError, match=message):
        ckpt.load(path)


@pytest.mark.parametrize("name", ["../outside.txt", "/etc/hostname", "sub/../../outside.txt", "link.txt", ""])
def test_files_entries_stay_inside_the_checkpoint(tmp_path, name):
    path = write(tmp_path / "c")
    (tmp_path / "c" / "outside.txt").write_text("secret")
    (path / "link.txt").symlink_to(tmp_path / "c" / "outside.txt")
    edit_config(path, lambda c: c["files"].update({name: "0" * 64}))
    with pytest.raises(CheckpointError, match="files entry .* (is not a path inside|resolves outside)"):
        ckpt.load(path)


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_non_finite_weights_are_refused(tmp_path, value):
    state = Transformer(CFG).state_dict()
    state["blocks.0.attn.qkv.weight"][0, 0] = value
    path = write(tmp_path, state=state)
    with pytest.raises(CheckpointError, match=r"'blocks.0.attn.qkv.weight' has 1 non-finite values"):
        ckpt.load(path)


def test_empty_latest_pointer_is_named(tmp_path):
    write(tmp_path / "run" / "checkpoints")
    (tmp_path / "run" / "checkpoints" / "latest").write_text("\n")
    with pytest.raises(CheckpointError, match="latest: empty or invalid pointer"):
        ckpt.load(tmp_path / "run")


def test_newest_verifying_falls_back_and_says_why(tmp_path):
    root = tmp_path / "checkpoints"
    for step in (2, 4, 6):
        write(root, step, train_state={"step": step})
    (root / "step_00000006" / "model.safetensors").write_bytes(b"torn")
    (root / "step_00000004" / "train_state" / "state.json").write_text("{")
    path, skipped = ckpt.newest_verifying(root)
    assert path.name == "step_00000002"
    assert [s.split(":")[0] for s in skipped] == ["step_00000006", "step_00000004"]
    assert "sha256 mismatch" in skipped[0]
    (root / "latest").write_text("")
    path, skipped = ckpt.newest_verifying(root)
    assert path.name == "step_00000002" and skipped[0].endswith("latest: empty pointer")
    (root / "step_00000002" / "config.json").unlink()
    with pytest.raises(CheckpointError, match="no checkpoint verifies"):
        ckpt.newest_verifying(root)
