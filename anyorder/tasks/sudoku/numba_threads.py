"""Keep torch's thread count when a numba ``parallel=True`` kernel runs.

numba's default threading layer on Linux is OpenMP, and it sets the process-wide OpenMP thread count (the one
torch's CPU kernels read) to its own pool size, all cores, on every parallel launch. Without this, one call to the
solver, rater or generator silently lifts a process that asked for one thread through ``OMP_NUM_THREADS=1`` to all
cores for every later forward pass, and two such processes fight over them (an explicit ``torch.set_num_threads``
held; measured 2026-12-01, docs/LOG.md).
"""
from __future__ import annotations

import functools
import sys
from typing import Callable, TypeVar

F = TypeVar("F", bound=Callable)


def keeps_torch_threads(fn: F) -> F:
    """Decorate a function that launches numba parallel kernels: torch's thread count is restored afterwards
    (only when torch is already imported; this module never imports it)."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        torch = sys.modules.get("torch")
        before = torch.get_num_threads() if torch is not None else None
        try:
            return fn(*args, **kwargs)
        finally:
            if before is not None and torch.get_num_threads() != before:
                torch.set_num_threads(before)
    return wrapper  # type: ignore[return-value]
