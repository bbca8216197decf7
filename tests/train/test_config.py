"""TrainConfig overrides, validation and JSON round trips."""
import dataclasses
import json

import pytest

from anyorder.errors import ConfigError
from anyorder.models.transformer import ModelConfig
from anyorder.train.config import (
    OptimConfig,
    TrainConfig,
    apply_overrides,
    from_dict,
    load_json,
    resolve_model,
    save_json,
    to_dict,
)


def base() -> TrainConfig:
    return TrainConfig(name="t", task="toy")


def test_overrides_coerce_to_field_types():
    cfg = apply_overrides(base(), ["optim.lr=2e-3", "model.n_layers=6", "task_options.n_train=1000",
                                   "ema=0.99", "compile=true", "optim.betas=[0.8, 0.9]", "max_steps=1e3",
                                   "optim.grad_clip=none", "mdm.sampling=subset", "task_options.name=abc"])
    assert cfg.optim.lr == 2e-3 and isinstance(cfg.optim.lr, float)
    assert cfg.model.n_layers == 6 and cfg.max_steps == 1000 and isinstance(cfg.max_steps, int)
    assert cfg.task_options == {"n_train": 1000, "name": "abc"}
    assert cfg.ema == 0.99 and cfg.compile is True
    assert cfg.optim.betas == (0.8, 0.9) and cfg.optim.grad_clip is None
    assert cfg.mdm.sampling == "subset"
    assert base().task_options == {}  # the original is untouched


def test_d_model_override_keeps_derived_mlp_width():
    cfg = apply_overrides(base(), ["model.d_model=64", "model.n_heads=2"])
    assert cfg.model.d_mlp == 256
    cfg = apply_overrides(base(), ["model.d_mlp=100", "model.d_model=64"])
    assert cfg.model.d_mlp == 100


@pytest.mark.parametrize("item, message", [
    ("optim.learning_rate=1", "'learning_rate' is not one of"),
    ("bogus=1", "'bogus' is not one of"),
    ("model.n_layers=two", "cannot parse as int"),
    ("compile=maybe", "cannot parse as bool"),
    ("max_steps=1.5", "cannot parse as int"),
    ("objective=diffusion", "valid: ['mdm', 'ar', 'puma']"),
    ("noequals", "KEY=VALUE"),
    ("max_steps.x=1", "cannot set a field inside"),
])
def test_override_errors(item, message):
    with pytest.raises(ConfigError, match=None) as info:
        apply_overrides(base(), [item])
    assert message in str(info.value)


def test_unknown_key_lists_valid_fields_at_that_level():
    with pytest.raises(ConfigError) as info:
        apply_overrides(base(), ["optim.lrr=1"])
    assert "warmup_steps" in str(info.value) and "max_steps" not in str(info.value)


def test_validation():
    with pytest.raises(ConfigError):
        TrainConfig(name="t", task="toy", mixed_precision="fp8")
    with pytest.raises(ConfigError):
        OptimConfig(min_lr_ratio=2.0)
    with pytest.raises(ConfigError):
        TrainConfig(name="a/b", task="toy")


def test_json_round_trip(tmp_path):
    cfg = apply_overrides(base(), ["task_options.n=3", "ema=0.5", "optim.betas=[0.5,0.6]"])
    cfg = resolve_model(cfg, {"vocab_size": 7, "max_len": 3, "position_tables": [[0, 1, 1]]})
    assert cfg.model.position_tables == ((0, 1, 1),) and cfg.model.vocab_size == 7
    save_json(cfg, tmp_path / "c.json")
    assert load_json(tmp_path / "c.json") == cfg
    assert from_dict(TrainConfig, json.loads(json.dumps(to_dict(cfg)))) == cfg


def test_from_dict_rejects_unknown_keys():
    d = to_dict(base())
    d["model"]["wat"] = 1
    with pytest.raises(ConfigError, match="wat"):
        from_dict(TrainConfig, d)
    with pytest.raises(ConfigError, match="expected"):
        from_dict(TrainConfig, {**to_dict(base()), "max_steps": "ten"})


def test_configs_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        base().max_steps = 3  # type: ignore[misc]
    assert isinstance(base().model, ModelConfig)


def test_default_run_dir_is_outside_the_work_tree(monkeypatch, tmp_path):
    from anyorder.train.config import TrainConfig, default_runs_dir

    monkeypatch.delenv("ANYORDER_RUNS", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert default_runs_dir() == tmp_path / "cache" / "anyorder" / "runs"
    assert TrainConfig(name="r", task="toy").run_dir == tmp_path / "cache" / "anyorder" / "runs" / "r"
    monkeypatch.setenv("ANYORDER_RUNS", str(tmp_path / "mine"))
    assert TrainConfig(name="r", task="toy").run_dir == tmp_path / "mine" / "r"
    assert TrainConfig(name="r", task="toy", out_dir=str(tmp_path / "x")).run_dir == tmp_path / "x" / "r"
