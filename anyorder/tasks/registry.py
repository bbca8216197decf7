"""Explicit task registry: name -> "module:TASK" where TASK is a ``tasks.base.Task`` (Options + build).

Adding a task is one package (or module) defining ``TASK = Task(name, Options, build)`` and one line here.
Tasks are imported lazily so that a task with heavy dependencies (numba) costs nothing until used.
"""
from __future__ import annotations

from typing import Any

from anyorder.options import from_dict, to_dict
from anyorder.registry import resolve
from anyorder.tasks.base import Task, TaskBundle

TASKS: dict[str, str] = {
    "toy": "anyorder.tasks.toy:TASK",
    "pi-toy": "anyorder.tasks.toy:PI_TASK",
    "sudoku": "anyorder.tasks.sudoku.task:MDM_TASK",
    "sudoku-arm": "anyorder.tasks.sudoku.task:ARM_TASK",
    "lo": "anyorder.tasks.lo:TASK",
    "text": "anyorder.tasks.text.task:TASK",
    "text-pi": "anyorder.tasks.text.task:PI_TASK",
    "zebra": "anyorder.tasks.zebra.task:MDM_TASK",
    "zebra-arm": "anyorder.tasks.zebra.task:ARM_TASK",
}


def get_task(name: str) -> Task:
    """The registry entry ``name``; unknown names raise ConfigError listing the valid ones."""
    return resolve(TASKS, name, "task")


def task_options(name: str, options: dict[str, Any] | None = None) -> Any:
    """The task's frozen Options from a dict (JSON / ``task_options.KEY=VALUE``); unknown keys raise."""
    return from_dict(get_task(name).Options, dict(options or {}), f"task_options of {name!r}")


def build_task(name: str, options: dict[str, Any] | None = None, seed: int = 0) -> TaskBundle:
    """Build the task ``name`` with ``options`` (a dict or the task's Options)."""
    task = get_task(name)
    opts = options if isinstance(options, task.Options) else task_options(name, options)
    return task.build(opts, seed)


def options_dict(options: Any) -> dict[str, Any]:
    """JSON-able dict of a task's Options (stored in checkpoints and metadata)."""
    return to_dict(options)
