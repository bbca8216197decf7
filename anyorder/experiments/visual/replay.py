"""Decode one problem and keep what the pictures and the web app show: per step, the cells revealed, their text
and top-2 candidates; at the end the reveal step, the score at reveal and the validity of every cell.

Works with any decoder and any task that has display hooks (``tasks.base.Display``): the model is wrapped so
that each model call sees the tokens the previous step produced (which cells changed) and records the top-2
probabilities it predicted, so steps can be streamed live (``on_step``) while ``decode`` runs.
"""
from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass
from typing import Any, Callable

import numpy as np
import torch
from matplotlib import colormaps

from anyorder.decode import Plan, decode
from anyorder.decode.result import reveal_scores
from anyorder.errors import InputError
from anyorder.train.config import is_mdm_checkpoint

CMAP = "viridis"  # reveal step -> colour (early = dark purple, late = yellow), pictures and the app alike
PALETTE_SIZE = 64


class DecodeLimitError(InputError):
    """A decode ran past its time limit (``anyorder serve``)."""


def palette(n: int = PALETTE_SIZE, cmap: str = CMAP) -> list[str]:
    """n hex colours of the reveal-step colour map; step s of T uses ``palette[step_bin(s, T, n)]``."""
    cm = colormaps[cmap]
    return ["#{:02x}{:02x}{:02x}".format(*(int(round(255 * c)) for c in cm(i / max(n - 1, 1))[:3])) for i in range(n)]


def step_bin(step: int, n_steps: int, n: int = PALETTE_SIZE) -> int:
    """Palette index of reveal step ``step`` (0-based) out of ``n_steps``."""
    return int(min(n - 1, max(0, round(step * (n - 1) / max(n_steps - 1, 1)))))


@dataclass(frozen=True)
class Replay:
    """One decoded problem. Lists have one entry per displayed cell (``Display.cells``).

    labels: final text per cell; given: cells fixed by the problem; order: reveal step (-1 given / never);
    scores: the (noised) score at reveal (None for givens); top2: [[text, prob], [text, prob]] predicted at the
    reveal step (None for givens); steps: per step {"step", "cells": [...], "labels": [...]}; nfe: model
    evaluations; seconds: wall time; valid: the task's check; n_steps: the plan's steps.
    """

    labels: list[str]
    given: list[bool]
    order: list[int]
    scores: list[float | None]
    top2: list[list | None]
    steps: list[dict]
    nfe: int
    seconds: float
    valid: bool
    n_steps: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@torch.no_grad()
def decode_replay(model: Callable, display, problem: Any, plan: Plan, mask_id: int, seed: int = 0,
                  on_step: Callable[[dict], None] | None = None, time_limit: float | None = None,
                  device: str = "cpu", stop: threading.Event | None = None) -> Replay:
    """Decode one ``problem`` with ``plan``; call ``on_step(event)`` after each step (event as in
    ``Replay.steps``). ``time_limit`` (seconds) or ``stop`` being set raise ``DecodeLimitError`` at the next
    model call."""
    tokens, is_fixed = display.encode([problem])
    tokens, is_fixed = tokens.to(device), is_fixed.to(device)
    given = [bool(g) for g in display.cells(is_fixed)[0]]
    steps: list[dict] = []
    top2: list[list | None] = [None] * len(given)
    state: dict[str, Any] = {"x": None, "top": None}
    start = time.perf_counter()

    def emit(before: torch.Tensor, after: torch.Tensor, top) -> None:
        old, new = display.labels(before)[0], display.labels(after)[0]
        cells = [i for i, (a, b) in enumerate(zip(old, new)) if a != b and b and not given[i]]
        if top is not None:
            probs, ids = (display.cells(t)[0] for t in top)
            for i in cells:
                top2[i] = [[s, round(float(p), 4)] for s, p in zip(display.token_labels(ids[i]), probs[i])]
        event = {"step": len(steps), "cells": cells, "labels": [new[i] for i in cells],
                 "masked": [i for i, (a, b) in enumerate(zip(old, new)) if a and not b]}
        steps.append(event)
        if on_step is not None:
            on_step(event)

    def wrapped(x: torch.Tensor) -> torch.Tensor:
        if time_limit is not None and time.perf_counter() - start > time_limit:
            raise DecodeLimitError(f"decode stopped: over the time limit of {time_limit:g} s")
        if stop is not None and stop.is_set():
            raise DecodeLimitError("decode cancelled")
        if state["x"] is not None:
            emit(state["x"], x, state["top"])
        logits = model(x)
        probs = logits.float().clone()
        probs[..., mask_id] = float("-inf")
        probs = probs.softmax(-1).topk(2, dim=-1)
        state["x"], state["top"] = x.clone(), (probs.values, probs.indices)
        return logits

    res = decode(wrapped, tokens, is_fixed, plan, mask_id, seeds=int(seed), trace=True)
    if state["x"] is not None:
        emit(state["x"], res.tokens, state["top"])
    order = display.cells(res.order)[0]
    scores = display.cells(reveal_scores(res))[0]
    return Replay(
        labels=display.labels(res.tokens)[0], given=given,
        order=[int(o) if not g else -1 for o, g in zip(order, given)],
        scores=[None if g or not np.isfinite(s) else round(float(s), 4) for s, g in zip(scores, given)],
        top2=top2, steps=steps, nfe=int(res.nfe[0]), seconds=round(time.perf_counter() - start, 4),
        valid=bool(display.check([problem], res.tokens)["valid"][0]), n_steps=plan.steps)


@dataclass(frozen=True)
class Displayed:
    """A checkpoint ready to be shown: model callable, its task's ``Display``, [MASK] id, task name, path."""

    model: Callable
    display: Any
    mask_id: int
    task: str
    path: str


def load_displayed(path=None, device: str = "cpu") -> Displayed:
    """Load an MDM checkpoint (default: the shipped Sudoku MDM) whose task has display hooks
    (``Task.display``); CheckpointError otherwise."""
    from anyorder.errors import CheckpointError
    from anyorder.experiments.sudoku.evaluate import DEFAULT_CHECKPOINT
    from anyorder.tasks.registry import get_task
    from anyorder.train.checkpoint import load

    path = DEFAULT_CHECKPOINT if path is None else path
    loaded = load(path, device=device)
    if not is_mdm_checkpoint(loaded.config):
        raise CheckpointError(f"{path}: objective {loaded.config.get('objective')!r} is not an MDM; the pictures and "
                              "the app show MDM decoding orders")
    task = loaded.config.get("task") or {}
    entry = get_task(task.get("name", "?"))
    if entry.display is None:
        raise CheckpointError(f"{path}: task {entry.name!r} has no display hooks (tasks.base.Display)")
    return Displayed(loaded.model, entry.display(task), loaded.tokenizer.mask_id, entry.name, str(path))
