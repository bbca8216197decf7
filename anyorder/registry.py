"""Lazy "module:attr" registry entries, shared by the explicit registries (tasks, tokenizers, ...).

A registry is a plain dict ``name -> "package.module:attr"``; the module is imported only when the entry is used,
so an entry with heavy dependencies (numba, transformers) costs nothing until then.
"""
from __future__ import annotations

import importlib
from typing import Any

from anyorder.errors import ConfigError


def resolve(registry: dict[str, str], name: str, what: str, error: type[Exception] = ConfigError) -> Any:
    """Import and return ``registry[name]``; an unknown name raises ``error`` listing the valid names."""
    if name not in registry:
        raise error(f"unknown {what} {name!r}; valid: {sorted(registry)}")
    module_name, attr = registry[name].split(":")
    return getattr(importlib.import_module(module_name), attr)
