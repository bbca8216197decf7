"""Shared model-file readers (``anyorder.models.files``): errors name the file; checkpoints re-export them."""
import pytest
import torch
from safetensors.torch import save_file

from anyorder.errors import CheckpointError
from anyorder.models.files import read_json_object, read_safetensors


def test_read_json_object_names_the_file_and_the_problem(tmp_path):
    f = tmp_path / "config.json"
    with pytest.raises(CheckpointError, match=r"config.json: missing \(not a model dir\?\)"):
        read_json_object(f, "model dir")
    f.write_text("{bad")
    with pytest.raises(CheckpointError, match="config.json: invalid JSON"):
        read_json_object(f)
    f.write_bytes(b"\xff\xfe")
    with pytest.raises(CheckpointError, match="invalid JSON"):
        read_json_object(f)
    f.write_text("3")
    with pytest.raises(CheckpointError, match="expected a JSON object, got int"):
        read_json_object(f)
    f.write_text('{"a": 1}')
    assert read_json_object(f) == {"a": 1}


def test_read_safetensors_and_the_checkpoint_reexport(tmp_path):
    from anyorder.train.checkpoint import read_tensors

    f = tmp_path / "model.safetensors"
    save_file({"w": torch.arange(3.0)}, str(f))
    assert torch.equal(read_safetensors(f)["w"], torch.arange(3.0))
    assert torch.equal(read_tensors(tmp_path, "model.safetensors")["w"], torch.arange(3.0))
    f.write_bytes(b"\x00" * 5)
    with pytest.raises(CheckpointError, match="model.safetensors: cannot parse safetensors"):
        read_safetensors(f)
    with pytest.raises(CheckpointError, match="other.safetensors: missing"):
        read_tensors(tmp_path, "other.safetensors")
