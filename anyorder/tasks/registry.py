"""Explicit task registry: name -> "module:function" building a ``TaskBundle`` from (options, seed).

Builders are imported lazily so that a task with heavy dependencies (numba) costs nothing until used.
"""
from __future__ import annotations

import importlib
from typing import Any

from anyorder.errors import ConfigError
from anyorder.tasks.base import TaskBundle

TASKS: dict[str, str] = {
    "toy": "anyorder.tasks.toy:build",
    "sudoku": "anyorder.tasks.sudoku.task:build_mdm",
    "sudoku-arm": "anyorder.tasks.sudoku.task:build_arm",
    "lo": "anyorder.tasks.lo:build",
    "pi-toy": "anyorder.tasks.toy:build_pi",
}


def build_task(name: str, options: dict[str, Any] | None = None, seed: int = 0) -> TaskBundle:
    """Build the task ``name`` with ``options``; unknown names raise ConfigError listing the valid ones."""
    if name not in TASKS:
        raise ConfigError(f"unknown task {name!r}; valid tasks: {sorted(TASKS)}")
    module_name, func_name = TASKS[name].split(":")
    builder = getattr(importlib.import_module(module_name), func_name)
    return builder(dict(options or {}), seed)
