"""Sudoku task bundles for the registry: ``build_mdm`` (board81 / prompt164) and ``build_arm`` (arm243).

Batches are pure functions of (seed, step, rank): puzzle indices and symmetries are drawn from
``numpy.random.default_rng([seed, step, rank])`` (docs/DESIGN.md, "Batch sources"). Paper Sec. 4.6 / Table 2.
"""
from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from anyorder.errors import ConfigError
from anyorder.tasks.base import TaskBundle
from anyorder.tasks.sudoku import encode
from anyorder.tasks.sudoku.augment import apply_transform, augment, map_cells, sample_transform
from anyorder.tasks.sudoku.dataset import SudokuData

MDM_OPTIONS = {"train_path": None, "layout": "board81", "position_ids": "structured", "augment": True,
               "n_generate": 1000, "n_eval": 100, "eval_split": "test"}
ARM_OPTIONS = {"train_path": None, "order": "solver", "augment": True, "n_generate": 1000, "n_eval": 100,
               "eval_split": "test"}
ASSETS = Path(__file__).resolve().parents[2] / "assets" / "sudoku"
GENERATE_SEED = 777  # stream for train_path="generate" (shipped splits use 20250001/20250002)


def _options(options: dict, defaults: dict) -> dict:
    bad = sorted(set(options) - set(defaults))
    if bad:
        raise ConfigError(f"unknown Sudoku task option(s) {bad}; valid: {sorted(defaults)}")
    return {**defaults, **options}


def shipped(split: str) -> SudokuData:
    """The small fixed split shipped with the package: "test" or "hard" (1,000 puzzles each)."""
    from anyorder.tasks.sudoku.dataset import load

    if split not in ("test", "hard"):
        raise ConfigError(f"unknown shipped Sudoku split {split!r}; valid: ['hard', 'test']")
    return load(ASSETS / f"{split}.npz")


def load_train(path: str | None, n_generate: int) -> SudokuData:
    """Training data: a dataset path (any format of formats.load_any), $ANYORDER_SUDOKU_TRAIN, or "generate"
    (n_generate fresh puzzles, 7-technique ones kept, shipped puzzles excluded). A file mixing 7-technique and
    hard puzzles (e.g. a Radcliffe CSV) is reduced to its 7-technique puzzles, as in the paper; a file holding
    only hard puzzles is used as it is."""
    from anyorder.tasks.sudoku.dataset import puzzle_keys, rated_arrays
    from anyorder.tasks.sudoku.formats import load_any

    path = path or os.environ.get("ANYORDER_SUDOKU_TRAIN")
    if not path:
        raise ConfigError("Sudoku task needs option train_path (a dataset from `anyorder data sudoku`, a Shah .npy, "
                          "a Radcliffe .csv, a text file) or train_path='generate'; or set ANYORDER_SUDOKU_TRAIN")
    if path != "generate":
        data = load_any(path)
        return data.subset(data.solvable) if data.solvable.any() else data
    from anyorder.tasks.sudoku.generate import generate

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
    from anyorder.tasks.sudoku.techniques import rate

    if src is None:
        return stored
    r = rate(puzzles)
    return np.where(r["solvable"][:, None], r["order"], map_cells(stored.astype(np.int64), src)).astype(np.int64)


@dataclass(frozen=True, eq=False)
class ARMSource:
    """ARM batches {"tokens": (B, 243) int64, "loss_mask": (B, 243) bool} (Shah et al. triples)."""

    data: SudokuData
    order: str
    augment: bool
    seed: int

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
        tokens, loss_mask = encode.encode_arm(p, s, cells)
        return {"tokens": torch.from_numpy(tokens), "loss_mask": torch.from_numpy(loss_mask)}


def _device(model) -> torch.device:
    try:
        return next(model.parameters()).device
    except (AttributeError, StopIteration):
        return torch.device("cpu")


def make_mdm_evaluate(layout: str, split: str, n_eval: int, tokenizer):
    """Callback (model, step) -> metrics: decode n_eval shipped puzzles with top-prob-margin, 50 steps (Table 2).

    Imports ``anyorder.decode`` lazily (tasks must not import decode at module level)."""
    data = shipped(split).subset(slice(0, n_eval))

    def evaluate(model, step: int) -> dict[str, float]:
        from anyorder.tasks.sudoku.metrics import summarize
        try:
            from anyorder.decode import Plan, decode
        except ImportError as e:  # decoding engine not installed/ready
            warnings.warn(f"Sudoku evaluation skipped: anyorder.decode unavailable ({e})")
            return {}
        fn = encode.board_input if layout == "board81" else encode.prompt_input
        tokens, is_fixed = fn(data.puzzles)
        dev = _device(model)
        with torch.no_grad():
            res = decode(model, torch.from_numpy(tokens).to(dev), torch.from_numpy(is_fixed).to(dev),
                         Plan(score="top_prob_margin", steps=50), tokenizer.mask_id,
                         seeds=torch.arange(len(data), dtype=torch.int64))
        pred = encode.decode_tokens(res.tokens.cpu().numpy(), layout)
        m = summarize(pred, data.puzzles, data.solutions, data.hardest)
        return {f"sudoku_{split}/{k}": v for k, v in m.items() if k in ("exact", "valid", "cell")}

    return evaluate


def greedy_arm(model, puzzles: np.ndarray) -> np.ndarray:
    """Greedy ARM completion: feed the givens' triples (row-major), then the model writes every blank's
    (row, col, value) triple by argmax over ids 0-9 (it chooses the cell as well as the value). Returns (B, 81)."""
    cells = encode.cell_sequence(puzzles, None, "fixed")
    tokens, loss_mask = encode.encode_arm(puzzles, puzzles, cells)  # blank values are filled by the model
    dev = _device(model)
    x = torch.from_numpy(tokens).to(dev)
    gen = torch.from_numpy(loss_mask).to(dev)
    start = int(loss_mask.argmax(1).min())
    with torch.no_grad():
        for t in range(start, 243):
            logits = model(x[:, :t])[:, -1, :10]
            x[:, t] = torch.where(gen[:, t], logits.argmax(-1), x[:, t])
    return encode.decode_arm(x.cpu().numpy())


def make_arm_evaluate(split: str, n_eval: int):
    """Callback (model, step) -> exact/valid/cell of greedy ARM decoding on n_eval shipped puzzles."""
    data = shipped(split).subset(slice(0, n_eval))

    def evaluate(model, step: int) -> dict[str, float]:
        from anyorder.tasks.sudoku.metrics import summarize

        pred = greedy_arm(model, data.puzzles)
        m = summarize(pred, data.puzzles, data.solutions)
        return {f"sudoku_{split}/{k}": v for k, v in m.items() if k in ("exact", "valid", "cell")}

    return evaluate


def build_mdm(options: dict, seed: int) -> TaskBundle:
    """MDM Sudoku: options train_path, layout (board81|prompt164), position_ids (structured|learned), augment,
    n_generate, n_eval, eval_split (test|hard)."""
    o = _options(options, MDM_OPTIONS)
    if o["layout"] not in ("board81", "prompt164"):
        raise ConfigError(f"unknown Sudoku layout {o['layout']!r}; valid: ['board81', 'prompt164']")
    if o["position_ids"] not in ("structured", "learned"):
        raise ConfigError(f"unknown position_ids {o['position_ids']!r}; valid: ['learned', 'structured']")
    board = o["layout"] == "board81"
    tok = encode.BOARD_TOKENIZER if board else encode.PROMPT_TOKENIZER
    fields = {"vocab_size": tok.vocab_size, "max_len": 81 if board else 164}
    if o["position_ids"] == "structured":
        fields["position_tables"] = encode.board_tables() if board else encode.prompt_tables()
        fields["positions"] = "none"
    data = load_train(o["train_path"], o["n_generate"])
    return TaskBundle(name="sudoku", tokenizer=tok, source=MDMSource(data, o["layout"], bool(o["augment"]), seed),
                      model_fields=fields, metadata={"layout": o["layout"], "n_train": len(data)},
                      evaluate=make_mdm_evaluate(o["layout"], o["eval_split"], int(o["n_eval"]), tok))


def build_arm(options: dict, seed: int) -> TaskBundle:
    """ARM Sudoku (Shah et al. triples): options train_path, order (solver|fixed|random), augment, n_generate,
    n_eval, eval_split."""
    o = _options(options, ARM_OPTIONS)
    if o["order"] not in encode.ORDERS:
        raise ConfigError(f"unknown ARM order {o['order']!r}; valid: {list(encode.ORDERS)}")
    data = load_train(o["train_path"], o["n_generate"])
    return TaskBundle(name="sudoku-arm", tokenizer=encode.ARM_TOKENIZER,
                      source=ARMSource(data, o["order"], bool(o["augment"]), seed),
                      model_fields={"vocab_size": encode.ARM_TOKENIZER.vocab_size, "max_len": 243, "causal": True},
                      metadata={"order": o["order"], "n_train": len(data)},
                      evaluate=make_arm_evaluate(o["eval_split"], int(o["n_eval"])))
