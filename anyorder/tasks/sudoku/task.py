"""The Sudoku tasks: ``MDM_TASK`` ("sudoku": board81 / prompt164), ``ARM_TASK`` ("sudoku-arm": arm243 / 81 / 162).

Batches are pure functions of (seed, step, rank): puzzle indices and symmetries are drawn from
``numpy.random.default_rng([seed, step, rank])`` (docs/DESIGN.md, "Batch sources"). Paper Sec. 4.6 / Table 2.
Evaluation (``MDMEvaluation``, ``ARMEvaluation``): the first ``n_eval`` puzzles of a shipped split, encoded as
the layout's decoding input, decoded by ``anyorder.evaluation.tasks`` with the evaluation plan (top-prob-margin,
50 steps / greedy), scored by ``metrics.summarize`` (exact, valid, cell).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np
import torch

from anyorder.errors import ConfigError
from anyorder.tasks.base import Problems, Task, TaskBundle
from anyorder.tasks.sudoku import encode
from anyorder.tasks.sudoku.augment import apply_transform, augment, map_cells, sample_transform
from anyorder.tasks.sudoku.dataset import SudokuData, puzzle_keys, rated_arrays, shipped
from anyorder.tasks.sudoku.display import display
from anyorder.tasks.sudoku.formats import load_any
from anyorder.tasks.sudoku.generate import generate
from anyorder.tasks.sudoku.metrics import summarize
from anyorder.tasks.sudoku.rules import SudokuRules
from anyorder.tasks.sudoku.techniques import rate

GENERATE_SEED = 777  # stream for train_path="generate" (shipped splits use 20250001/20250002)
EVAL_SPLITS = ("test", "hard")


@dataclass(frozen=True)
class SudokuMDMOptions:
    """Options of the "sudoku" task (``task_options.KEY=VALUE``)."""

    train_path: str | None = None  # dataset (any formats.load_any format), "generate", or $ANYORDER_SUDOKU_TRAIN
    layout: str = "board81"  # board81 | prompt164 (encode.py)
    position_ids: str = "structured"  # structured (row/col/box tables) | learned
    augment: bool = True  # random Sudoku symmetries per batch
    n_generate: int = 1000  # puzzles generated for train_path="generate"
    n_eval: int = 100  # shipped puzzles decoded by the periodic evaluation
    eval_split: str = "test"  # shipped split of the evaluation: test | hard

    def __post_init__(self) -> None:
        _check_choice("layout", self.layout, ("board81", "prompt164"))
        _check_choice("position_ids", self.position_ids, ("learned", "structured"))
        _check_choice("eval_split", self.eval_split, EVAL_SPLITS)


@dataclass(frozen=True)
class SudokuARMOptions:
    """Options of the "sudoku-arm" task (Shah et al. triples, or one (cell, value) token per cell)."""

    train_path: str | None = None  # as SudokuMDMOptions.train_path
    # arm243: (row, col, value) triples (Shah et al.) | arm81: one (cell, value) token per cell | arm162: a cell
    # token, then its (cell, value) token (encode.py)
    format: str = "arm243"
    # arm81 / arm162: token (one free embedding per token) | factored (+ row, column, box and digit tables)
    cell_embedding: str = "token"
    order: str = "solver"  # order of the blanks' triples: solver | fixed | random
    augment: bool = True  # random Sudoku symmetries per batch
    n_generate: int = 1000  # puzzles generated for train_path="generate"
    n_eval: int = 100  # shipped puzzles decoded (greedy) by the periodic evaluation
    eval_split: str = "test"  # test | hard

    def __post_init__(self) -> None:
        if self.order not in encode.ORDERS:
            raise ConfigError(f"unknown ARM order {self.order!r}; valid: {list(encode.ORDERS)}")
        _check_choice("format", self.format, encode.ARM_FORMATS)
        _check_choice("eval_split", self.eval_split, EVAL_SPLITS)
        _check_choice("cell_embedding", self.cell_embedding, ("token", "factored"))
        if self.cell_embedding == "factored" and self.format == "arm243":
            raise ConfigError("cell_embedding=factored needs format=arm81 or arm162 ((cell, value) tokens)")


def _check_choice(name: str, value: str, valid: tuple[str, ...]) -> None:
    if value not in valid:
        raise ConfigError(f"unknown Sudoku {name} {value!r}; valid: {sorted(valid)}")


def load_train(path: str | None, n_generate: int) -> SudokuData:
    """Training data: a dataset path (any format of formats.load_any), $ANYORDER_SUDOKU_TRAIN, or "generate"
    (n_generate fresh puzzles, 7-technique ones kept, shipped puzzles excluded). A file mixing 7-technique and
    hard puzzles (e.g. a Radcliffe CSV) is reduced to its 7-technique puzzles, as in the paper; a file holding
    only hard puzzles is used as it is."""
    path = path or os.environ.get("ANYORDER_SUDOKU_TRAIN")
    if not path:
        raise ConfigError("Sudoku task needs option train_path (a dataset from `anyorder data sudoku`, a Shah .npy, "
                          "a Radcliffe .csv, a text file) or train_path='generate'; or set ANYORDER_SUDOKU_TRAIN")
    if path != "generate":
        data = load_any(path)
        return data.subset(data.solvable) if data.solvable.any() else data
    p, s = generate(int(n_generate), GENERATE_SEED)
    arrays = rated_arrays(p, s, np.arange(len(p)))
    held = puzzle_keys(shipped("test")) | puzzle_keys(shipped("hard"))
    keep = arrays["solvable"] & np.array([row.tobytes() not in held for row in p], bool)
    return SudokuData({k: v[keep] for k, v in arrays.items()})


def _draw(data: SudokuData, seed: int, step: int, rank: int, b: int):
    """Puzzle rows and the rng that drew them (continued for augmentation / random orders)."""
    rng = np.random.default_rng([seed, step, rank])
    idx = rng.integers(0, len(data), size=b)
    return rng, idx


@dataclass(frozen=True, eq=False)
class MDMSource:
    """MDM batches {"x0": (B, L) int64, "is_fixed": (B, L) bool} for layout board81 (L=81) or prompt164."""

    data: SudokuData
    layout: str
    augment: bool
    seed: int

    def batch(self, step: int, rank: int, batch_size: int) -> dict[str, torch.Tensor]:
        rng, idx = _draw(self.data, self.seed, step, rank, batch_size)
        p, s = self.data.puzzles[idx], self.data.solutions[idx]
        if self.augment:
            p, s = augment(p, s, rng)
        fn = encode.encode_board if self.layout == "board81" else encode.encode_prompt
        x0, is_fixed = fn(p, s)
        return {"x0": torch.from_numpy(x0), "is_fixed": torch.from_numpy(is_fixed)}


def solver_order(puzzles: np.ndarray, stored: np.ndarray, src: np.ndarray | None) -> np.ndarray:
    """Solver order of (possibly transformed) puzzles: recomputed by the step solver (ties follow the scan order
    of the transformed grid); rows the solver cannot finish after the transform keep the mapped stored order."""
    if src is None:
        return stored
    r = rate(puzzles)
    return np.where(r["solvable"][:, None], r["order"], map_cells(stored.astype(np.int64), src)).astype(np.int64)


ARM_ENCODERS = {"arm243": encode.encode_arm, "arm81": encode.encode_arm81, "arm162": encode.encode_arm162}
ARM_TOKENIZERS = {"arm243": (encode.ARM_TOKENIZER, 243), "arm81": (encode.ARM81_TOKENIZER, 82),
                  "arm162": (encode.ARM162_TOKENIZER, 163)}


@dataclass(frozen=True, eq=False)
class ARMSource:
    """ARM batches {"tokens": (B, L) int64, "loss_mask": (B, L) bool}: Shah et al. triples (arm243, L = 243),
    one (cell, value) token per cell after [BOS] (arm81, L = 82) or a cell token before each (arm162, L = 163)."""

    data: SudokuData
    order: str
    augment: bool
    seed: int
    format: str = "arm243"

    def batch(self, step: int, rank: int, batch_size: int) -> dict[str, torch.Tensor]:
        rng, idx = _draw(self.data, self.seed, step, rank, batch_size)
        p, s, o = self.data.puzzles[idx], self.data.solutions[idx], self.data.order[idx]
        src = None
        if self.augment:
            src, relabel = sample_transform(rng, batch_size)
            p, s = apply_transform(p, src, relabel), apply_transform(s, src, relabel)
        if self.order == "solver":
            o = solver_order(p, o, src)
        cells = encode.cell_sequence(p, o, self.order, rng)
        tokens, loss_mask = ARM_ENCODERS[self.format](p, s, cells)
        return {"tokens": torch.from_numpy(tokens), "loss_mask": torch.from_numpy(loss_mask)}


@dataclass(frozen=True, eq=False)
class _ShippedEvaluation:
    """The first ``n`` puzzles of a shipped split, scored by ``metrics.summarize`` (exact, valid, cell)."""

    split: str
    n: int

    @property
    def prefix(self) -> str:
        return f"sudoku_{self.split}"

    def problems(self) -> Problems:
        data = shipped(self.split, self.n)
        return Problems(data.puzzles, data.solutions, {"hardest": data.hardest})

    def metrics(self, problems: Problems, grids: np.ndarray) -> dict[str, float]:
        m = summarize(grids, problems.inputs, problems.targets, problems.extra.get("hardest"))
        return {k: v for k, v in m.items() if k in ("exact", "valid", "cell")}


@dataclass(frozen=True, eq=False)
class MDMEvaluation(_ShippedEvaluation):
    """``tasks.base.Evaluation`` of an MDM: the layout's decoding input, top-prob-margin, 50 steps (Table 2)."""

    layout: str = "board81"
    plan: dict = field(default_factory=lambda: {"score": "top_prob_margin", "steps": 50})

    def encode(self, puzzles: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        fn = encode.board_input if self.layout == "board81" else encode.prompt_input
        tokens, is_fixed = fn(puzzles)
        return torch.from_numpy(tokens), torch.from_numpy(is_fixed)

    def decode(self, tokens: torch.Tensor) -> np.ndarray:
        return encode.decode_tokens(tokens.cpu().numpy(), self.layout)

    # rule hooks (tasks.base.checker_of): Sudoku constraints on this layout's tokens (rules.SudokuRules)
    def consistent(self, tokens: torch.Tensor) -> torch.Tensor:
        return SudokuRules.for_layout(self.layout).consistent(tokens)

    def verify(self, tokens: torch.Tensor) -> torch.Tensor:
        return SudokuRules.for_layout(self.layout).verify(tokens)

    def allowed(self, tokens: torch.Tensor) -> torch.Tensor:
        return SudokuRules.for_layout(self.layout).allowed(tokens)

    def implied(self, tokens: torch.Tensor) -> torch.Tensor:
        return SudokuRules.for_layout(self.layout).implied(tokens)


@dataclass(frozen=True, eq=False)
class ARMEvaluation(_ShippedEvaluation):
    """Greedy ARM completion: the givens' triples (row-major) are the prompt, then the model writes every blank's
    (row, col, value) triple, choosing the cell as well as the value ([PAD] never emitted)."""

    plan: dict = field(default_factory=lambda: {"mode": "greedy"})
    format: str = "arm243"  # arm81 / arm162: [BOS] + the givens' tokens are the prompt, [PAD] after

    def encode(self, puzzles: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        if self.format in encode.ARM_INPUTS:
            tokens, is_fixed = encode.ARM_INPUTS[self.format](puzzles)
            return torch.from_numpy(tokens), torch.from_numpy(is_fixed)
        cells = encode.cell_sequence(puzzles, None, "fixed")
        tokens, loss_mask = encode.encode_arm(puzzles, puzzles, cells)  # blank values are filled by the model
        return torch.from_numpy(tokens), torch.from_numpy(~loss_mask)

    def decode(self, tokens: torch.Tensor) -> np.ndarray:
        if self.format == "arm162":
            return encode.decode_arm81(encode.arm162_to_arm81(tokens.cpu().numpy()))
        if self.format == "arm81":
            return encode.decode_arm81(tokens.cpu().numpy())
        return encode.decode_arm(tokens.cpu().numpy())


def build_mdm(o: SudokuMDMOptions, seed: int) -> TaskBundle:
    """MDM Sudoku (``SudokuMDMOptions``)."""
    board = o.layout == "board81"
    tok = encode.BOARD_TOKENIZER if board else encode.PROMPT_TOKENIZER
    fields = {"vocab_size": tok.vocab_size, "max_len": 81 if board else 164}
    if o.position_ids == "structured":
        fields["position_tables"] = encode.board_tables() if board else encode.prompt_tables()
        fields["positions"] = "none"
    data = load_train(o.train_path, o.n_generate)
    return TaskBundle(name="sudoku", tokenizer=tok, source=MDMSource(data, o.layout, o.augment, seed),
                      model_fields=fields, metadata={"layout": o.layout, "n_train": len(data)},
                      evaluation=MDMEvaluation(o.eval_split, o.n_eval, o.layout))


def build_arm(o: SudokuARMOptions, seed: int) -> TaskBundle:
    """ARM Sudoku, Shah et al. triples, arm81 or arm162 (``SudokuARMOptions``)."""
    data = load_train(o.train_path, o.n_generate)
    tok, length = ARM_TOKENIZERS[o.format]
    fields = {"vocab_size": tok.vocab_size, "max_len": length, "causal": True}
    if o.cell_embedding == "factored":
        fields.update(encode.arm_token_factors(o.format))
    return TaskBundle(name="sudoku-arm", tokenizer=tok,
                      source=ARMSource(data, o.order, o.augment, seed, o.format),
                      model_fields=fields,
                      metadata={"order": o.order, "n_train": len(data), **({"format": o.format} if o.format != "arm243" else {})},
                      evaluation=ARMEvaluation(split=o.eval_split, n=o.n_eval, format=o.format))


MDM_TASK = Task("sudoku", SudokuMDMOptions, build_mdm, "Sudoku for MDMs (board81 / prompt164 layouts)",
                display)
ARM_TASK = Task("sudoku-arm", SudokuARMOptions, build_arm, "Sudoku for ARMs ((row, col, value) triples, arm81 or arm162)")
