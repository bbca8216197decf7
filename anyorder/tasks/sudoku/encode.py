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
arm162 (ARM, ours): each placement is two tokens, the cell ("r5c7", ids 729-809) and then its (cell, value)
  token (the arm81 id), after [BOS] (810); [PAD] = 811. 163 tokens. The value is predicted at the cell token's
  position, where the cell is an input, as in Shah et al.'s triples (value after row and column); in arm81 the
  model must choose the cell and compute its value in one softmax. Same distributions over placement sequences.
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
ARM162_CELL0, ARM162_BOS, ARM162_PAD = 729, 810, 811
ARM162_TOKENIZER = SymbolTable(ARM81_TOKENIZER.symbols[:729] + tuple(f"r{c // 9 + 1}c{c % 9 + 1}" for c in range(81))
                               + ("[BOS]", "[PAD]"), mask_id=ARM162_PAD, pad_id=ARM162_PAD)
ARM_FORMATS = ("arm243", "arm81", "arm162")
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


def encode_arm162(puzzles: np.ndarray, solutions: np.ndarray, cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """arm162: tokens (B, 163) int64 = [BOS] then (cell token, (cell, value) token) per cell of ``cells``;
    loss_mask on the blanks' two tokens each (positions 2k+1 .. 162 for k givens)."""
    t81, _ = encode_arm81(puzzles, solutions, cells)
    pairs = t81[:, 1:]
    body = np.stack([ARM162_CELL0 + pairs // 9, pairs], axis=2).reshape(len(pairs), 162)
    tokens = np.concatenate([np.full((len(pairs), 1), ARM162_BOS), body], axis=1)
    k = (np.asarray(puzzles) > 0).sum(1)
    return tokens, np.arange(163)[None, :] > 2 * k[:, None]


def arm162_to_arm81(tokens: np.ndarray) -> np.ndarray:
    """(B, 163) arm162 -> (B, 82) arm81: [BOS] + the (cell, value) slots (positions 2, 4, ..); a slot holding
    anything else becomes arm81's [PAD] (out of range). The cell tokens are dropped: the pair names its cell."""
    t = np.asarray(tokens, np.int64)
    if t.ndim != 2 or t.shape[1] != 163:
        raise InputError(f"arm162 Sudoku tokens must be (B, 163), got {t.shape}")
    pairs = t[:, 2::2]
    return np.concatenate([np.full((len(t), 1), ARM81_BOS), np.where(pairs < 729, pairs, ARM81_PAD)], axis=1)


def arm162_input(puzzles: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """arm162 decoding input: tokens (B, 163) = [BOS], the givens' two tokens each (row-major), [PAD] after;
    is_fixed (B, 163) = the 2k + 1 prompt positions."""
    p = np.asarray(puzzles, np.int64).reshape(-1, 81)
    tokens, loss_mask = encode_arm162(p, p, cell_sequence(p, None, "fixed"))
    return np.where(loss_mask, ARM162_PAD, tokens), ~loss_mask


def arm_token_factors(fmt: str) -> dict[str, tuple]:
    """Factored arm81 / arm162 token embeddings (``ModelConfig.position_tables`` / ``token_tables``): the
    (cell, value) token also gets a row of a row, column, box and digit table, an arm162 cell token its row,
    column and box rows, so tokens that share a row, column, box or digit share embedding components and the model
    need not learn Sudoku's geometry from unrelated ids. The four tables are attached to no position (every
    position has the tables' spare id 9, one constant vector each); [BOS] / [PAD] get nothing extra. Same
    sequences, same vocabulary: only the model's embedding changes."""
    if fmt not in ("arm81", "arm162"):
        raise ConfigError(f"factored cell embeddings need format arm81 or arm162, got {fmt!r}")
    cell, value = np.arange(729) // 9, np.arange(729) % 9
    pair_parts = (ROW[cell], COL[cell], BOX[cell], value)
    tables = [tuple(int(v) for v in t) for t in pair_parts]
    if fmt == "arm162":
        cell_parts = (ROW, COL, BOX, np.full(81, -1))
        tables = [t + tuple(int(v) for v in c) for t, c in zip(tables, cell_parts)]
    length = 82 if fmt == "arm81" else 163
    return {"position_tables": ((9,) * length,) * 4, "token_tables": tuple(t + (-1, -1) for t in tables)}


def arm81_input(puzzles: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """arm81 decoding input: tokens (B, 82) = [BOS], the givens row-major, then [PAD] up to 82, and is_fixed
    (B, 82) = the k + 1 prompt positions."""
    p = np.asarray(puzzles, np.int64).reshape(-1, 81)
    tokens, loss_mask = encode_arm81(p, p, cell_sequence(p, None, "fixed"))
    return np.where(loss_mask, ARM81_PAD, tokens), ~loss_mask


ARM_INPUTS = {"arm81": arm81_input, "arm162": arm162_input}  # decoding inputs of the [BOS] formats
