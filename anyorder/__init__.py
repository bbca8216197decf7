"""anyorder: masked diffusion models that plan their own decoding order (Kim et al., ICML 2025).

Public API (imported lazily so that ``import anyorder`` stays cheap)::

    import anyorder
    loaded = anyorder.load("runs/toy-mdm")          # -> Loaded(model, tokenizer, config, task)
    run_dir = anyorder.fit(anyorder.get_config("toy-mdm"))
"""
from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    "load": "anyorder.train.checkpoint",
    "Loaded": "anyorder.train.checkpoint",
    "fit": "anyorder.train.trainer",
    "TrainConfig": "anyorder.train.config",
    "OptimConfig": "anyorder.train.config",
    "apply_overrides": "anyorder.train.config",
    "get_config": "anyorder.configs",
    "CONFIGS": "anyorder.configs",
    "ModelConfig": "anyorder.models.transformer",
    "Transformer": "anyorder.models.transformer",
    "AnyorderError": "anyorder.errors",
    "ConfigError": "anyorder.errors",
    "CheckpointError": "anyorder.errors",
    "InputError": "anyorder.errors",
}

__all__ = sorted(_EXPORTS) + ["__version__"]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'anyorder' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
