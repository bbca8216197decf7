"""Decode a task's evaluation problems with any Plan and score them with the task's own metrics.

The one place where tasks meet the decoder: a task describes its evaluation (``tasks.base.Evaluation``: problems,
encode, decode, metrics, default plan) without importing ``decode``; ``evaluate_task`` runs it. The trainer
receives ``evaluate_task`` from above (``anyorder train`` passes it to ``fit(cfg, evaluator=...)``).
"""
from __future__ import annotations

from typing import Any

import torch

from anyorder.decode import Plan, decode
from anyorder.tasks.base import Evaluation, Model, Problems, TaskBundle, checker_of


def model_device(model: Any) -> torch.device:
    """Device of a module's first parameter (CPU for parameter-free callables)."""
    try:
        return next(model.parameters()).device
    except (AttributeError, StopIteration):
        return torch.device("cpu")


@torch.no_grad()
def decode_problems(model: Model, evaluation: Evaluation, problems: Problems, plan: Plan, mask_id: int,
                    seed: int = 0):
    """Encode ``problems``, decode them in one batch (row i uses seed ``seed + i``) -> (answers, DecodeResult)."""
    tokens, is_fixed = evaluation.encode(problems.inputs)
    dev = model_device(model)
    seeds = torch.arange(len(tokens), dtype=torch.int64) + seed
    res = decode(model, tokens.to(dev), is_fixed.to(dev), plan, mask_id, seeds=seeds, checker=checker_of(evaluation))
    return evaluation.decode(res.tokens), res


def evaluate_task(model: Model, bundle: TaskBundle, step: int, plan: Plan | None = None) -> dict[str, float]:
    """The decode-based metrics of ``bundle.evaluation`` ({} when the task has none), named ``prefix/metric``.
    ``plan`` defaults to the task's evaluation plan."""
    ev = bundle.evaluation
    if ev is None:
        return {}
    plan = plan if plan is not None else Plan(**ev.plan)
    problems = ev.problems()
    answers, _ = decode_problems(model, ev, problems, plan, bundle.tokenizer.mask_id)
    return {f"{ev.prefix}/{k}": float(v) for k, v in ev.metrics(problems, answers).items()}


def evaluate_all(model: Model, bundle: TaskBundle, step: int) -> dict[str, float]:
    """The task's decode-free metrics (``bundle.evaluate``) followed by its decode-based ones."""
    out = dict(bundle.evaluate(model, step)) if bundle.evaluate is not None else {}
    return {**out, **evaluate_task(model, bundle, step)}
