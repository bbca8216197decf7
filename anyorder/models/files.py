"""Reading model files with errors that name them, shared by anyorder checkpoints (``train.checkpoint``) and
Hugging Face model directories (``models.hf``). Layer ``models``, so both can use it (models may not import train).

- ``read_json_object(file, what)``: a JSON object from ``file``; a missing file, invalid JSON or UTF-8, or a
  non-object raises ``CheckpointError`` naming the file.
- ``read_safetensors(file, device)``: the tensors of a safetensors file; parse errors raise ``CheckpointError``.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch

from anyorder.errors import CheckpointError


def read_json_object(file: str | Path, what: str = "checkpoint directory") -> dict[str, Any]:
    """The JSON object in ``file``; CheckpointError "<file>: missing (not a <what>?)", "invalid JSON" or
    "expected a JSON object" otherwise."""
    file = Path(file)
    if not file.is_file():
        raise CheckpointError(f"{file}: missing (not a {what}?)")
    try:
        data = json.loads(file.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise CheckpointError(f"{file}: invalid JSON ({e})") from e
    except OSError as e:
        raise CheckpointError(f"{file}: cannot read ({e.strerror or e})") from e
    if not isinstance(data, dict):
        raise CheckpointError(f"{file}: expected a JSON object, got {type(data).__name__}")
    return data


def read_safetensors(file: str | Path, device: str = "cpu") -> dict[str, torch.Tensor]:
    """All tensors of a safetensors file on ``device``; a missing or unparsable file raises CheckpointError."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    file = Path(file)
    if not file.is_file():
        raise CheckpointError(f"{file}: missing")
    try:
        return load_file(str(file), device=str(device))
    except (SafetensorError, OSError, ValueError) as e:
        raise CheckpointError(f"{file}: cannot parse safetensors ({e})") from e
