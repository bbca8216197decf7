"""The task contract (docs/DESIGN.md, "Tasks"): ``Task``, ``TaskBundle``, ``Evaluation``, ``Problems``.

A task is one registry line, ``TASKS[name] = "module:TASK"`` with ``TASK = Task(name, Options, build)``:
- ``Options``: a frozen dataclass; ``build_task`` builds it from the ``task_options`` dict (or ``KEY=VALUE``
  overrides) and unknown keys raise ConfigError listing the valid ones;
- ``build(options, seed) -> TaskBundle``: the tokenizer (its symbols describe the task), the resumable training
  source, the ModelConfig fields the task forces, JSON metadata for checkpoints, an optional decode-free
  ``evaluate(model, step)`` and an optional ``Evaluation`` (problems -> tokens -> answers -> metrics).
Tasks never import ``decode`` or ``train``: ``anyorder.evaluation.tasks`` decodes an Evaluation's problems with
any Plan and calls its metrics, and the trainer receives that evaluator from above.

Conventions (docs/DESIGN.md):
- tokens are int64 tensors of shape (B, L); ``tokenizer.mask_id`` is the absorbing [MASK] token;
- ``is_fixed`` (B, L) bool marks positions that are never masked and carry no loss (prompt, clues, padding);
- a batch source is a pure function of (seed, step, rank): that is what makes resumption exact.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

import torch

from anyorder.tokenizers.base import Tokenizer


class BatchSource(Protocol):
    """A resumable stream of training batches.

    ``batch(step, rank, batch_size)`` must be a pure function of (the source's seed, step, rank, batch_size):
    the trainer relies on this to resume bit-exactly without saving data-loader state.
    Returns a dict of tensors, e.g. {"x0": (B, L) int64, "is_fixed": (B, L) bool} for MDMs or
    {"tokens": (B, L) int64, "loss_mask": (B, L) bool} for ARMs.
    """

    def batch(self, step: int, rank: int, batch_size: int) -> dict[str, torch.Tensor]: ...


def step_rng_seed(seed: int, step: int, rank: int, salt: int = 0) -> list[int]:
    """Seed material for ``numpy.random.default_rng`` / ``torch.Generator`` that is unique per (seed, step, rank)."""
    return [int(seed), int(step), int(rank), int(salt)]


def torch_generator(seed: int, step: int, rank: int, salt: int = 0) -> torch.Generator:
    """A CPU torch.Generator seeded deterministically from (seed, step, rank, salt)."""
    import numpy as np

    s = int(np.random.SeedSequence(step_rng_seed(seed, step, rank, salt)).generate_state(1, dtype=np.uint64)[0])
    g = torch.Generator()
    g.manual_seed(s & ((1 << 63) - 1))
    return g


Model = Callable[[torch.Tensor], torch.Tensor]  # (B, L) int64 -> (B, L, V) logits


@dataclass(frozen=True, eq=False)
class Problems:
    """A split of evaluation problems: task-defined ``inputs`` (e.g. (N, 81) puzzles), reference ``targets``
    (or None) and per-problem ``extra`` arrays (e.g. Sudoku's hardest technique)."""

    inputs: Any
    targets: Any = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.inputs)


class Evaluation(Protocol):
    """The task's side of decode-based evaluation (``anyorder.evaluation.tasks`` drives it).

    ``plan``: Plan fields of the periodic evaluation (e.g. {"score": "top_prob_margin", "steps": 50});
    ``prefix``: metric name prefix (e.g. "sudoku_test"); ``problems()``: the evaluation split;
    ``encode(inputs) -> (tokens (B, L) int64, is_fixed (B, L) bool)``; ``decode(tokens) -> answers``;
    ``metrics(problems, answers) -> {name: float}``.

    Optional rule hooks (``checker_of``), for tasks that can check answers; all on token batches, vectorised:
    ``consistent(partial (B, L)) -> (B,) bool`` (no rule broken among the revealed tokens),
    ``verify(full (B, L)) -> (B,) bool`` (a complete, correct answer), and optionally
    ``allowed(partial) -> (B, L, V) bool`` (values each position may take given the revealed ones). Decoders
    receive them as a plain object (``anyorder.decode.checker.Checker``), never by importing the task.
    """

    plan: dict[str, Any]
    prefix: str

    def problems(self) -> Problems: ...

    def encode(self, inputs: Any) -> tuple[torch.Tensor, torch.Tensor]: ...

    def decode(self, tokens: torch.Tensor) -> Any: ...

    def metrics(self, problems: Problems, answers: Any) -> dict[str, float]: ...


class Display(Protocol):
    """Display hooks of a task (pictures, ``anyorder serve``): one problem <-> tokens <-> cells shown on a page.

    ``kind``: "grid" (``layout`` = {"rows", "cols", "box": [h, w]}) or "text" (``layout`` = {}); ``cells`` are
    what the page draws (Sudoku: 81 board cells; text: the tokens). ``difficulties``: names ``generate`` accepts
    (empty: no generator). Errors in user input raise ``InputError`` naming the problem.
    """

    kind: str
    layout: dict[str, Any]
    difficulties: tuple[str, ...]
    max_chars: int  # longest problem text ``parse`` accepts

    def parse(self, text: str) -> Any: ...          # one problem from user text
    def format(self, problem: Any) -> str: ...      # the problem as text (inverse of parse)
    def encode(self, problems: list) -> tuple[torch.Tensor, torch.Tensor]: ...  # tokens (B, L), is_fixed (B, L)
    def cells(self, per_position: torch.Tensor) -> Any: ...  # (B, L) per-position values -> (B, n_cells) numpy
    def labels(self, tokens: torch.Tensor) -> list[list[str]]: ...  # (B, L) -> per cell text, "" = masked
    def token_labels(self, ids: Any) -> list[str]: ...  # token ids -> their text (hover: top-2 candidates)
    def check(self, problems: list, tokens: torch.Tensor) -> dict[str, list]: ...  # e.g. {"valid": [bool]}
    def generate(self, difficulty: str, seed: int) -> Any: ...  # a fresh problem
    def examples(self) -> dict[str, Any]: ...  # a few named problems shipped with the task (may be empty)
    def reference_order(self, problem: Any) -> Any: ...  # (n_cells,) order of a reference solver (-1 given), or None


def checker_of(evaluation: Any) -> Any | None:
    """The evaluation itself when it implements the rule hooks ``consistent`` and ``verify``, else None."""
    ok = evaluation is not None and callable(getattr(evaluation, "consistent", None)) \
        and callable(getattr(evaluation, "verify", None))
    return evaluation if ok else None


@dataclass(frozen=True)
class TaskBundle:
    """Everything the trainer needs from a task.

    Attributes:
        name: registry name of the task (``anyorder.tasks.registry.TASKS``).
        tokenizer: the task's tokenizer (``anyorder.tokenizers``; its mask_id is the model's [MASK]).
        source: resumable batch source (see ``BatchSource``).
        model_fields: ModelConfig fields the task forces (vocab_size, max_len, position_tables, ...).
        metadata: JSON-able facts stored in checkpoints (e.g. L&O triples, a pi-learner's permutation).
        evaluate: optional decode-free periodic evaluation ``(model, step) -> {metric: value}`` (e.g. exact KL).
        evaluation: optional decode-based evaluation (``Evaluation``), run by the evaluator the trainer is given.
    """

    name: str
    tokenizer: Tokenizer
    source: BatchSource
    model_fields: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    evaluate: Callable[[Model, int], dict[str, float]] | None = None
    evaluation: Evaluation | None = None


@dataclass(frozen=True)
class Task:
    """A registry entry: ``build(Options(...), seed) -> TaskBundle``; ``Options`` is a frozen dataclass.
    ``display``: optional ``(checkpoint's task dict {"name", "options", "metadata"}) -> Display`` for pictures and
    ``anyorder serve`` (no training data is built)."""

    name: str
    Options: type
    build: Callable[[Any, int], TaskBundle]
    summary: str = ""
    display: Callable[[dict], "Display"] | None = None
