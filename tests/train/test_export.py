"""Inference-only export of checkpoints and fine-tuning from a checkpoint (init_from)."""
import json

import pytest
import torch

from anyorder.configs import get_config
from anyorder.errors import CheckpointError
from anyorder.models.transformer import Transformer
from anyorder.train.checkpoint import export_checkpoint, load
from anyorder.train.config import apply_overrides, resolve_model
from anyorder.train.trainer import fit, init_weights


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs")
    cfg = apply_overrides(get_config("toy-mdm"), ["max_steps=3", "ema=0.9", f"out_dir={out}", "log_every=1"])
    return fit(cfg, progress=False)


def test_export_keeps_only_weights_and_config(run_dir, tmp_path):
    dst = export_checkpoint(run_dir, tmp_path / "exported", note="provenance")
    assert sorted(p.name for p in dst.iterdir()) == ["config.json", "model.safetensors"]
    config = json.loads((dst / "config.json").read_text())
    assert config["export_note"] == "provenance" and list(config["files"]) == ["model.safetensors"]
    original, exported = load(run_dir).model.state_dict(), load(dst).model.state_dict()
    assert all(torch.equal(original[k], exported[k]) for k in original)
    with pytest.raises(CheckpointError, match="already exists"):
        export_checkpoint(run_dir, dst)


def test_init_from_loads_the_checkpoint_weights(run_dir):
    loaded = load(run_dir)
    cfg = resolve_model(get_config("toy-mdm"), {})
    model = Transformer(type(cfg.model).from_dict(loaded.config["model"]))
    init_weights(model, str(run_dir))
    expected = loaded.model.state_dict()
    assert all(torch.equal(v, expected[k]) for k, v in model.state_dict().items())


def test_init_from_rejects_an_incompatible_model(run_dir):
    loaded = load(run_dir)
    bigger = dict(loaded.config["model"], d_model=loaded.config["model"]["d_model"] * 2)
    model = Transformer(type(resolve_model(get_config("toy-mdm"), {}).model).from_dict(bigger))
    with pytest.raises(CheckpointError, match="do not fit"):
        init_weights(model, str(run_dir))
