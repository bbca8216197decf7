"""Token encodings of Sudoku for MDMs and ARMs (data.md, "Sequence formats"; paper Sec. 4.6).

board81 (MDM): one token per cell, ids = digits 1-9, [MASK] = 0. Givens are fixed (is_fixed) and visible;
  blanks start as [MASK]; the loss falls on masked blanks only. Optional structured positions: row/col/box tables.
prompt164 (MDM, the paper's codebase layout): prompt 81 digits ('0' blank) | [SEP] | response 81 digits | [EOS].
  Our compact vocabulary: ids 0-9 = digits '0'-'9', 10 = [SEP], 11 = [EOS], 12 = [MASK]. Only the 81 response
  positions are maskable (all of them, clue cells included, as in the paper's codebase).
arm243 (ARM, Shah et al.): 81 (row, col, value) triples, rows/cols 0-8 and values 1-9 as ids 0-9, id 10 = [PAD]
  (unused: every sequence has exactly 243 tokens). Givens first (row-major), then the blanks in solver, fixed
  (row-major) or random order; loss on the blanks' triples only.
arm81 (ARM, ours, 3x shorter): one token per placed cell, id = 9 * cell + (value - 1) (ids 0-728), then
  729 = [BOS] (start token, so the prompt of k givens is k + 1 tokens) and 730 = [PAD] ([MASK] of the tokenizer;
  never emitted). [BOS], the givens (row-major), then the blanks in solver / fixed / random order: 82 tokens;
  loss on the blanks' tokens only. A (cell, value) token carries exactly the information of a (row, col, value)
  triple, so both formats describe the same distributions over placement sequences (docs/data-format.md).
All functions are vectorized over a batch: grids are (B, 81) ints with 0 = blank.
"""
from __future__ import annotations

import numpy as np

from anyorder.errors import ConfigError, InputError
from anyorder.tasks.sudoku.board import BOX, COL, ROW
from anyorder.tokenizers.symbols import SymbolTable

BOARD_TOKENIZER = SymbolTable(("[MASK]",) + tuple("123456789"), mask_id=0)
PROMPT_TOKENIZER = SymbolTable(tuple("0123456789") + ("[SEP]", "[EOS]", "[MASK]"), mask_id=12)
ARM_TOKENIZER = SymbolTable(tuple("0123456789") + ("[PAD]",), mask_id=10, pad_id=10)
ARM81_BOS, ARM81_PAD = 729, 730
ARM81_TOKENIZER = SymbolTable(tuple(f"r{c // 9 + 1}c{c % 9 + 1}={v}" for c in range(81) for v in range(1, 10))
                              + ("[BOS]", "[PAD]"), mask_id=ARM81_PAD, pad_id=ARM81_PAD)
ARM_FORMATS = ("arm243", "arm81")
SEP, EOS = 10, 11
ORDERS = ("solver", "fixed", "random")


def board_tables() -> tuple[tuple[int, ...], ...]:
    """Row, column and box id of each of the 81 board positions (values 0-8)."""
    return tuple(tuple(int(v) for v in t) for t in (ROW, COL, BOX))


def prompt_tables() -> tuple[tuple[int, ...], ...]:
    """Row, column, box (9 for [SEP]/[EOS]) and segment (0 prompt, 1 [SEP], 2 response, 3 [EOS]) of 164 positions."""
    def cells(t):
        return tuple(int(v) for v in t)
    row, col, box = (cells(t) + (9,) + cells(t) + (9,) for t in (ROW, COL, BOX))
    seg = (0,) * 81 + (1,) + (2,) * 81 + (3,)
    return row, col, box, seg


def encode_board(puzzles: np.ndarray, solutions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """board81: x0 (B, 81) int64 = solution digits, is_fixed (B, 81) bool = givens."""
    return np.asarray(solutions, np.int64).copy(), np.asarray(puzzles) > 0


def board_input(puzzles: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """board81 decoding input: tokens (B, 81) with blanks = [MASK] (id 0), and is_fixed = givens."""
    p = np.asarray(puzzles, np.int64)
    return p.copy(), p > 0


def encode_prompt(puzzles: np.ndarray, solutions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """prompt164: x0 (B, 164) int64 and is_fixed (B, 164) (prompt, [SEP], [EOS] fixed; response maskable)."""
    p, s = np.asarray(puzzles, np.int64), np.asarray(solutions, np.int64)
    b = p.shape[0]
    x0 = np.concatenate([p, np.full((b, 1), SEP), s, np.full((b, 1), EOS)], axis=1)
    is_fixed = np.ones((b, 164), bool)
    is_fixed[:, 82:163] = False
    return x0, is_fixed


def prompt_input(puzzles: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """prompt164 decoding input: response fully masked."""
    x0, is_fixed = encode_prompt(puzzles, np.zeros_like(np.asarray(puzzles)))
    x0[:, 82:163] = PROMPT_TOKENIZER.mask_id
    return x0, is_fixed


def decode_tokens(tokens: np.ndarray, layout: str) -> np.ndarray:
    """(B, 81) digits from board81 / prompt164 tokens ([MASK] or non-digits become 0)."""
    t = np.asarray(tokens, np.int64)
    if layout == "board81":
        return np.where((t >= 1) & (t <= 9), t, 0)
    if layout == "prompt164":
        r = t[:, 82:163]
        return np.where((r >= 1) & (r <= 9), r, 0)
    raise ConfigError(f"unknown Sudoku layout {layout!r}; valid: ['board81', 'prompt164']")


def cell_sequence(puzzles: np.ndarray, order: np.ndarray | None, mode: str,
                  rng: np.random.Generator | None = None) -> np.ndarray:
    """(B, 81) cells: givens row-major, then blanks in ``mode`` order.

    solver: the placement order ``order`` (B, 81), -1 padded; blanks it misses follow row-major.
    fixed: blanks row-major. random: blanks in a random order from ``rng``.
    """
    p = np.asarray(puzzles)
    b = p.shape[0]
    cell = np.broadcast_to(np.arange(81), (b, 81))
    if mode == "fixed":
        rank = cell.astype(np.float64)
    elif mode == "random":
        if rng is None:
            raise ConfigError("order='random' needs a numpy Generator")
        rank = rng.random((b, 81))
    elif mode == "solver":
        if order is None:
            raise ConfigError("order='solver' needs the solver order")
        o = np.asarray(order, np.int64)
        rank = 100.0 + cell
        rows, steps = np.nonzero(o >= 0)
        rank[rows, o[rows, steps]] = steps
    else:
        raise ConfigError(f"unknown ARM order {mode!r}; valid: {list(ORDERS)}")
    rank = np.where(p > 0, cell - 1000.0, rank)
    return np.argsort(rank, axis=1, kind="stable")


def encode_arm(puzzles: np.ndarray, solutions: np.ndarray, cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """arm243: tokens (B, 243) int64 (row, col, value) per cell of ``cells``; loss_mask on the blanks' triples."""
    s = np.asarray(solutions, np.int64)
    b = s.shape[0]
    values = np.take_along_axis(s, cells, axis=1)
    tokens = np.stack([ROW[cells], COL[cells], values], axis=2).reshape(b, 243)
    k = (np.asarray(puzzles) > 0).sum(1)
    loss_mask = np.arange(243)[None, :] >= 3 * k[:, None]
    return tokens, loss_mask


def decode_arm(tokens: np.ndarray) -> np.ndarray:
    """(B, 81) grid from arm243 tokens (later triples overwrite earlier ones; malformed triples are skipped)."""
    t = np.asarray(tokens, np.int64)
    if t.ndim != 2 or t.shape[1] % 3:
        raise InputError(f"ARM Sudoku tokens must be (B, 3k), got {t.shape}")
    trip = t.reshape(t.shape[0], -1, 3)
    ok = (trip[..., 0] <= 8) & (trip[..., 1] <= 8) & (trip[..., 2] >= 1) & (trip[..., 2] <= 9)
    grid = np.zeros((t.shape[0], 81), np.int64)
    rows, k = np.nonzero(ok)
    grid[rows, 9 * trip[rows, k, 0] + trip[rows, k, 1]] = trip[rows, k, 2]
    return grid


def encode_arm81(puzzles: np.ndarray, solutions: np.ndarray, cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """arm81: tokens (B, 82) int64 = [BOS] then 9 * cell + value - 1 per cell of ``cells``; loss_mask on the
    blanks' tokens (positions k+1 .. 81 for k givens)."""
    s = np.asarray(solutions, np.int64)
    cells = np.asarray(cells, np.int64)
    values = np.take_along_axis(s, cells, axis=1)
    tokens = np.concatenate([np.full((s.shape[0], 1), ARM81_BOS), 9 * cells + values - 1], axis=1)
    k = (np.asarray(puzzles) > 0).sum(1)
    loss_mask = np.arange(82)[None, :] > k[:, None]
    return tokens, loss_mask


def decode_arm81(tokens: np.ndarray) -> np.ndarray:
    """(B, 81) grid from arm81 tokens: the first token naming a cell wins (a given is never overwritten);
    [BOS] / [PAD] are skipped."""
    t = np.asarray(tokens, np.int64)
    if t.ndim != 2:
        raise InputError(f"arm81 Sudoku tokens must be (B, L), got {t.shape}")
    grid = np.zeros((t.shape[0], 81), np.int64)
    rows = np.arange(t.shape[0])
    for pos in range(t.shape[1] - 1, -1, -1):  # backwards, so earlier tokens overwrite later ones
        ok = t[:, pos] < ARM81_BOS
        grid[rows[ok], t[ok, pos] // 9] = t[ok, pos] % 9 + 1
    return grid


def arm81_input(puzzles: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """arm81 decoding input: tokens (B, 82) = [BOS], the givens row-major, then [PAD] up to 82, and is_fixed
    (B, 82) = the k + 1 prompt positions."""
    p = np.asarray(puzzles, np.int64).reshape(-1, 81)
    tokens, loss_mask = encode_arm81(p, p, cell_sequence(p, None, "fixed"))
    return np.where(loss_mask, ARM81_PAD, tokens), ~loss_mask
