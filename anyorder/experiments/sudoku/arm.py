"""Sudoku ARM decoding over (row, col, value) triples (paper Table 2 ARM baselines; Shah et al. 2024).

Sequence (``tasks.sudoku.encode`` arm243, ids 0-9 = digits, 10 = [PAD]/[MASK]): the prompt is the givens' triples
(row-major), then the model writes one triple per blank, choosing the cell (row, col) as well as the value.
Decoding is greedy or beam search (``decode.autoregressive``); [PAD] is never emitted.

Invalid triples, handled explicitly:
- *out of range*: a row or column id of 9, or a value of 0 (ids that are digits but not legal there);
- *filled cell*: a triple naming a cell that a given or an earlier triple already filled.
``triples_to_grid`` keeps the first legal triple per cell and skips (and counts) invalid ones, so an invalid
triple never overwrites a given; a blank that no legal triple names stays 0 (the puzzle then counts as unsolved).

``constrain="format"`` (default) masks, at each step, the ids that would make the current triple invalid
(rows with no empty cell, columns of filled cells in the chosen row, value 0): the decoder takes the model's
best *valid* continuation, and ``n_invalid_argmax`` counts how often the unconstrained argmax would have been
invalid. ``constrain="none"`` decodes unconstrained; invalid triples then appear in the output and are
counted by ``triples_to_grid``. Neither mode enforces Sudoku rules (duplicate digits in a row/col/box are the
model's reasoning errors and show up in the metrics). Metrics come from ``tasks.sudoku.metrics.summarize``.

arm81 checkpoints (``encode`` arm81: [BOS], then one id 9 * cell + value - 1 per placed cell; recognized by the
model's ``max_len`` of 82) decode through the same functions: the prompt is [BOS] + the givens, each step picks
(cell, value) jointly in one softmax, "format" allows only the ids of still-empty cells (``cell_constraint``)
and ``n_invalid_argmax`` counts the steps whose unconstrained argmax named a filled cell (or [BOS]). In the
output, a token naming an already-filled cell counts as ``n_filled_cell``, an emitted [BOS] as out of range.

arm162 checkpoints (``max_len`` 163: [BOS], then a cell token and the (cell, value) token per placement) decode
the same way: "format" allows, at a cell slot, the cell tokens of still-empty cells and, at a value slot, the 9
(cell, value) ids of the cell just named (``cell_value_constraint``); the grid is read from the (cell, value)
slots (``encode.arm162_to_arm81``), so a slot holding anything else counts as out of range.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from anyorder.decode.autoregressive import decode_autoregressive
from anyorder.errors import ConfigError, InputError
from anyorder.evaluation.tasks import model_device
from anyorder.tasks.sudoku import encode
from anyorder.tasks.sudoku.metrics import summarize

CONSTRAINS = ("format", "none")
PAD = encode.ARM_TOKENIZER.pad_id  # 10: never emitted
N_IDS = encode.ARM_TOKENIZER.vocab_size  # 11
ARM81_LEN = 82  # [BOS] + 81 cells
ARM162_LEN = 163  # [BOS] + 81 x (cell, (cell, value))


@dataclass(frozen=True)
class GridResult:
    """grid (B, 81) int64 (0 = unfilled); n_out_of_range (B,) and n_filled_cell (B,) int64 invalid triples."""

    grid: torch.Tensor
    n_out_of_range: torch.Tensor
    n_filled_cell: torch.Tensor


def arm_prompt(puzzles: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    """(B, 81) puzzles (0 = blank) -> tokens (B, 243) int64 with the givens' triples first, n_prompt (B,) = 3k."""
    puzzles = np.asarray(puzzles, np.int64).reshape(-1, 81)
    k = (puzzles > 0).sum(1)
    if (k == 0).any():
        raise InputError("every ARM Sudoku prompt needs at least one given (the model has no start token)")
    tokens, _ = encode.encode_arm(puzzles, puzzles, encode.cell_sequence(puzzles, None, "fixed"))
    return torch.from_numpy(tokens), torch.from_numpy(3 * k)


def arm_format(model) -> str:
    """ "arm81" / "arm162" for a model of ``max_len`` 82 / 163, else "arm243" (fakes without a config: arm243)."""
    length = getattr(getattr(model, "cfg", None), "max_len", None)
    return {ARM81_LEN: "arm81", ARM162_LEN: "arm162"}.get(length, "arm243")


def _bos_prompt(fmt: str, puzzles: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    tokens, is_fixed = encode.ARM_INPUTS[fmt](puzzles)
    return torch.from_numpy(tokens), torch.from_numpy(is_fixed.sum(1))


def arm81_prompt(puzzles: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    """(B, 81) puzzles -> tokens (B, 82) int64 ([BOS], the givens row-major, [PAD] after), n_prompt (B,) = k + 1."""
    return _bos_prompt("arm81", puzzles)


def arm162_prompt(puzzles: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    """(B, 81) puzzles -> tokens (B, 163) int64 ([BOS], the givens' cell and (cell, value) tokens row-major, [PAD]
    after), n_prompt (B,) = 2k + 1."""
    return _bos_prompt("arm162", puzzles)


def cell_value_constraint(prefix: torch.Tensor, t: int) -> torch.Tensor:
    """arm162: allowed ids (N, 812) at position t: odd t (a cell slot) = the cell tokens of cells that no earlier
    (cell, value) token names; even t = the 9 (cell, value) ids of the cell token at t - 1."""
    n, dev = prefix.shape[0], prefix.device
    allowed = torch.zeros(n, encode.ARM162_TOKENIZER.vocab_size, dtype=torch.bool, device=dev)
    if t % 2:
        pairs = prefix[:, 2:t:2]
        cell = torch.where(pairs < 729, pairs // 9, 81)
        filled = torch.zeros(n, 82, dtype=torch.bool, device=dev).scatter_(1, cell, True)[:, :81]
        allowed[:, encode.ARM162_CELL0:encode.ARM162_CELL0 + 81] = ~filled
        return allowed
    cell = (prefix[:, t - 1] - encode.ARM162_CELL0).clamp(0, 80)  # a non-cell token (only unconstrained) -> 0
    ids = 9 * cell[:, None] + torch.arange(9, device=dev)
    return allowed.scatter_(1, ids, True)


def cell_constraint(prefix: torch.Tensor, t: int) -> torch.Tensor:
    """arm81: allowed ids (N, 731) at any position = the 9 values of every cell that no earlier token names."""
    n = prefix.shape[0]
    cell = (prefix // 9).clamp(max=81)  # [BOS] / [PAD] -> 81
    filled = torch.zeros(n, 82, dtype=torch.bool, device=prefix.device).scatter_(1, cell, True)[:, :81]
    allowed = torch.zeros(n, encode.ARM81_TOKENIZER.vocab_size, dtype=torch.bool, device=prefix.device)
    allowed[:, :encode.ARM81_BOS] = (~filled).repeat_interleave(9, dim=1)
    return allowed


def arm81_to_grid(tokens: torch.Tensor) -> GridResult:
    """(B, 82) arm81 tokens -> grid (first token per cell wins, ``encode.decode_arm81``), the count of emitted
    [BOS]/[PAD] after position 0 (out of range) and of tokens naming an already-filled cell."""
    body = tokens[:, 1:]
    ok = body < encode.ARM81_BOS
    cell = torch.where(ok, body // 9, 81)
    distinct = torch.zeros(len(tokens), 82, dtype=torch.bool, device=tokens.device).scatter_(1, cell, True)
    grid = torch.from_numpy(encode.decode_arm81(tokens.cpu().numpy())).to(tokens.device)
    return GridResult(grid, (~ok).sum(1), ok.sum(1) - distinct[:, :81].sum(1))


def _cells(triples: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """triples (N, k, 3) -> cell id (N, k) in [0, 81] (81 = out of range) and in-range flag (N, k)."""
    row, col, val = triples.unbind(-1)
    ok = (row <= 8) & (col <= 8) & (val >= 1) & (val <= 9)
    return torch.where(ok, 9 * row + col, torch.full_like(row, 81)), ok


def filled_cells(prefix: torch.Tensor) -> torch.Tensor:
    """(N, t) prefix -> (N, 81) bool: cells named by a complete in-range triple of the prefix."""
    k = prefix.shape[1] // 3
    cell, _ = _cells(prefix[:, :3 * k].reshape(prefix.shape[0], k, 3))
    filled = torch.zeros(prefix.shape[0], 82, dtype=torch.bool, device=prefix.device)
    return filled.scatter_(1, cell, True)[:, :81]


def triple_constraint(prefix: torch.Tensor, t: int) -> torch.Tensor:
    """Allowed ids (N, 11) at position t so that triple t // 3 names an empty, in-range cell and a value 1-9."""
    n, dev = prefix.shape[0], prefix.device
    allowed = torch.zeros(n, N_IDS, dtype=torch.bool, device=dev)
    if t % 3 == 2:
        allowed[:, 1:10] = True
        return allowed
    empty = ~filled_cells(prefix).view(n, 9, 9)  # (N, row, col)
    if t % 3 == 0:
        allowed[:, :9] = empty.any(2)
        return allowed
    row = prefix[:, t - 1].clamp(max=8)  # an out-of-range row (only possible unconstrained) reads as row 8
    allowed[:, :9] = empty[torch.arange(n, device=dev), row]
    return allowed


def triples_to_grid(tokens: torch.Tensor) -> GridResult:
    """(B, 3k) triples -> grid keeping the first legal triple per cell; counts skipped invalid triples.
    (B, 82) arm81 tokens go to ``arm81_to_grid``, (B, 163) arm162 tokens through ``encode.arm162_to_arm81``."""
    if tokens.ndim == 2 and tokens.shape[1] == ARM162_LEN:
        tokens = torch.from_numpy(encode.arm162_to_arm81(tokens.cpu().numpy())).to(tokens.device)
    if tokens.ndim == 2 and tokens.shape[1] == ARM81_LEN:
        return arm81_to_grid(tokens)
    if tokens.ndim != 2 or tokens.shape[1] % 3:
        raise InputError(f"ARM Sudoku tokens must be (B, 3k), got {tuple(tokens.shape)}")
    b, k = tokens.shape[0], tokens.shape[1] // 3
    triples = tokens.reshape(b, k, 3)
    cell, ok = _cells(triples)
    earlier = torch.ones(k, k, dtype=torch.bool, device=tokens.device).tril(-1)  # earlier[j, i]: i < j
    repeat = ((cell[:, :, None] == cell[:, None, :]) & earlier & ok[:, None, :]).any(2) & ok
    keep = ok & ~repeat
    grid = torch.zeros(b, 82, dtype=torch.long, device=tokens.device)
    grid.scatter_(1, torch.where(keep, cell, 81), torch.where(keep, triples[..., 2], 0))
    return GridResult(grid[:, :81], (~ok).sum(1), repeat.sum(1))


@dataclass(frozen=True)
class SudokuARMResult:
    """grid (B, 81); tokens (B, 243); invalid-triple counts (B,) each; metrics from tasks.sudoku.metrics."""

    grid: np.ndarray
    tokens: np.ndarray
    n_out_of_range: np.ndarray
    n_filled_cell: np.ndarray
    n_invalid_argmax: np.ndarray
    metrics: dict[str, float]


def _decode_chunk(model, puzzles: np.ndarray, beam_width: int, constrain: str) -> tuple[torch.Tensor, torch.Tensor]:
    dev = model_device(model)
    prompt, constraint, pad = _FORMATS[arm_format(model)]
    tokens, n_prompt = prompt(puzzles)
    res = decode_autoregressive(model, tokens.to(dev), n_prompt.to(dev), beam_width,
                                constraint if constrain == "format" else None, forbid_ids=(pad,))
    return res.tokens, res.n_invalid_argmax


# per format: prompt builder, "format" constraint, the never-emitted [PAD] id
_FORMATS = {"arm243": (arm_prompt, triple_constraint, PAD),
            "arm81": (arm81_prompt, cell_constraint, encode.ARM81_PAD),
            "arm162": (arm162_prompt, cell_value_constraint, encode.ARM162_PAD)}


@dataclass(frozen=True)
class ARMGrids:
    """Decoded grids without scoring: grid (B, 81) int64 (0 = unfilled), tokens (B, 243), the invalid-triple
    counts of ``triples_to_grid`` and n_invalid_argmax (B,), all CPU tensors."""

    grid: torch.Tensor
    tokens: torch.Tensor
    invalid: GridResult
    n_invalid_argmax: torch.Tensor


def decode_sudoku_arm(model, puzzles: np.ndarray, beam_width: int = 1, constrain: str = "format",
                      batch_size: int = 256) -> ARMGrids:
    """Decode every puzzle (B, 81) with a causal triple model (greedy if beam_width == 1, else beam search),
    ``batch_size`` puzzles per decode call (each of 243 - min(3k) model calls on batch_size*width rows)."""
    if constrain not in CONSTRAINS:
        raise ConfigError(f"unknown constrain={constrain!r}; valid: {list(CONSTRAINS)}")
    puzzles = np.asarray(puzzles, np.int64).reshape(-1, 81)
    toks, inv = [], []
    for lo in range(0, len(puzzles), batch_size):
        t, i = _decode_chunk(model, puzzles[lo:lo + batch_size], beam_width, constrain)
        toks.append(t.cpu())
        inv.append(i.cpu())
    tokens = torch.cat(toks)
    g = triples_to_grid(tokens)
    return ARMGrids(g.grid, tokens, g, torch.cat(inv))


def solve_sudoku_arm(model, puzzles: np.ndarray, solutions: np.ndarray, hardest: np.ndarray | None = None,
                     beam_width: int = 1, constrain: str = "format", batch_size: int = 256) -> SudokuARMResult:
    """``decode_sudoku_arm`` and score it (exact / valid / cell + breakdowns).

    Extra metrics: "invalid_out_of_range" / "invalid_filled_cell" (mean invalid triples per puzzle in the
    output), "invalid_argmax" (mean steps per puzzle where the unconstrained argmax was invalid; "format" only).
    """
    puzzles = np.asarray(puzzles, np.int64).reshape(-1, 81)
    d = decode_sudoku_arm(model, puzzles, beam_width, constrain, batch_size)
    g, grid = d.invalid, d.grid.numpy()
    metrics = summarize(grid, puzzles, solutions, hardest)
    metrics.update(invalid_out_of_range=float(g.n_out_of_range.float().mean()),
                   invalid_filled_cell=float(g.n_filled_cell.float().mean()),
                   invalid_argmax=float(d.n_invalid_argmax.float().mean()))
    return SudokuARMResult(grid, d.tokens.numpy(), g.n_out_of_range.numpy(), g.n_filled_cell.numpy(),
                           d.n_invalid_argmax.numpy(), metrics)
