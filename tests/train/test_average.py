"""Checkpoint averaging (train.average, `anyorder export A B ... DEST`): the exact weighted mean, provenance,
and refusals that name the bad source or weight."""
import json

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from anyorder.cli import main
from anyorder.errors import CheckpointError
from anyorder.models.transformer import ModelConfig, Transformer
from anyorder.tokenizers.symbols import SymbolTable
from anyorder.train import checkpoint as ckpt
from anyorder.train.average import average_checkpoints

CFG = ModelConfig(vocab_size=5, max_len=6, n_layers=1, d_model=8, n_heads=2)
TOK = SymbolTable(("a", "b", "c", "d", "[MASK]"), mask_id=4)


def write(root, seed, cfg=CFG):
    """A checkpoint at step ``seed`` with weights drawn from seed ``seed``; returns (dir, state)."""
    torch.manual_seed(seed)
    state = Transformer(cfg).state_dict()
    meta = {"model": cfg.to_dict(), "tokenizer": TOK.to_dict(), "objective": "mdm", "train": {"seed": seed},
            "task": {"name": "toy", "options": {}, "metadata": {}}}
    return ckpt.save_checkpoint(root / f"run{seed}", seed, meta, state), state


@pytest.fixture
def three(tmp_path):
    return [write(tmp_path, seed) for seed in (1, 2, 3)]


def test_uniform_average_is_the_mean_and_loads(three, tmp_path):
    dst = average_checkpoints([d for d, _ in three], tmp_path / "soup", note="soup of three")
    got = ckpt.load(dst).model.state_dict()  # hashes verify, the model rebuilds
    for k, v in got.items():
        expected = sum(state[k].double() for _, state in three) / 3
        assert torch.allclose(v.double(), expected, atol=1e-6), k
    config = json.loads((dst / "config.json").read_text())
    assert config["export_note"] == "soup of three" and config["step"] == 1 and config["train"] == {"seed": 1}
    assert [s["step"] for s in config["averaged_from"]] == [1, 2, 3]
    assert [s["sha256"] for s in config["averaged_from"]] == [
        json.loads((d / "config.json").read_text())["files"]["model.safetensors"] for d, _ in three]
    assert sorted(p.name for p in dst.iterdir()) == ["config.json", "model.safetensors"]


def test_weights_are_normalised_and_a_zero_weight_drops_a_source(three, tmp_path):
    (a, sa), (b, sb), _ = three
    only_a = ckpt.load(average_checkpoints([a, b], tmp_path / "a", weights=[2.0, 0.0])).model.state_dict()
    assert all(torch.allclose(only_a[k], sa[k], atol=1e-7) for k in sa)
    mix = ckpt.load(average_checkpoints([a, b], tmp_path / "m", weights=[1.0, 3.0])).model.state_dict()
    assert all(torch.allclose(mix[k], 0.25 * sa[k] + 0.75 * sb[k], atol=1e-6) for k in sa)
    weights = [s["weight"] for s in json.loads((tmp_path / "m" / "config.json").read_text())["averaged_from"]]
    assert weights == [0.25, 0.75]


@settings(max_examples=10, deadline=None)
@given(st.lists(st.floats(0.1, 10.0), min_size=2, max_size=4))
def test_averaging_copies_of_one_checkpoint_changes_nothing(tmp_path_factory, weights):
    root = tmp_path_factory.mktemp("same")
    src, state = write(root, 7)
    got = ckpt.load(average_checkpoints([src] * len(weights), root / "soup", weights=weights)).model.state_dict()
    assert all(torch.allclose(got[k], state[k], atol=1e-6) for k in state)


def test_a_different_model_is_refused_naming_it(three, tmp_path):
    other, _ = write(tmp_path / "other", 9, ModelConfig(vocab_size=5, max_len=6, n_layers=1, d_model=16, n_heads=2))
    with pytest.raises(CheckpointError, match=f"{other}: its 'model' differs"):
        average_checkpoints([three[0][0], other], tmp_path / "soup")
    assert not (tmp_path / "soup").exists()


@pytest.mark.parametrize("weights, message", [
    ([1.0], "got 1 weights for 2 checkpoints"),
    ([1.0, -1.0], "non-negative"),
    ([0.0, 0.0], "not all zero"),
    ([float("nan"), 1.0], "finite"),
])
def test_bad_weights_are_refused(three, tmp_path, weights, message):
    with pytest.raises(CheckpointError, match=message):
        average_checkpoints([three[0][0], three[1][0]], tmp_path / "soup", weights=weights)


def test_one_source_and_an_existing_destination_are_refused(three, tmp_path):
    with pytest.raises(CheckpointError, match="at least two"):
        average_checkpoints([three[0][0]], tmp_path / "soup")
    (tmp_path / "keep").mkdir()
    (tmp_path / "keep" / "data.txt").write_text("user data")
    with pytest.raises(CheckpointError, match="already exists"):
        average_checkpoints([three[0][0], three[1][0]], tmp_path / "keep")
    assert (tmp_path / "keep" / "data.txt").read_text() == "user data"


def test_cli_export_averages_several_checkpoints(three, tmp_path, capsys):
    a, b = str(three[0][0]), str(three[1][0])
    assert main(["export", a, b, str(tmp_path / "soup"), "--weights", "1", "1"]) == 0
    assert [s["weight"] for s in json.loads((tmp_path / "soup" / "config.json").read_text())["averaged_from"]] == [
        0.5, 0.5]
    assert main(["export", a, str(tmp_path / "single"), "--weights", "1"]) == 2
    assert "--weights needs two or more checkpoints" in capsys.readouterr().err
    assert not (tmp_path / "single").exists()
