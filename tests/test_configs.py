"""Named presets: every preset is a valid frozen TrainConfig; get_config errors list the presets."""
import pytest

from anyorder.configs import CONFIGS, get_config
from anyorder.errors import ConfigError
from anyorder.tasks.registry import TASKS
from anyorder.train.config import TrainConfig, apply_overrides, from_dict, save_json, to_dict


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_presets_are_valid(name):
    cfg = get_config(name)
    assert isinstance(cfg, TrainConfig) and cfg.name == name
    assert cfg.task in TASKS
    assert from_dict(TrainConfig, to_dict(cfg)) == cfg


def test_get_config_from_json(tmp_path):
    cfg = apply_overrides(get_config("toy-mdm"), ["max_steps=7"])
    save_json(cfg, tmp_path / "c.json")
    assert get_config(str(tmp_path / "c.json")) == cfg


def test_unknown_config_lists_presets(tmp_path):
    with pytest.raises(ConfigError) as info:
        get_config("toy-mmd")
    assert "toy-mdm" in str(info.value) and "toy-ar" in str(info.value)
    with pytest.raises(ConfigError, match="does not exist"):
        get_config(str(tmp_path / "missing.json"))
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(ConfigError, match="cannot read config"):
        get_config(str(tmp_path / "bad.json"))
