"""Decode Sudoku splits with a checkpoint and score them (paper Sec. 4.2, 4.5; App. D.2).

Pieces shared by ``anyorder reproduce sudoku``, ``anyorder solve`` and ``anyorder demo``:
- ``SudokuCodec``: puzzles (B, 81) digits <-> model tokens (B, L) + is_fixed, and positions -> cells;
- ``load_sudoku_model``: the shipped (or a given) MDM checkpoint, with a clear error when it is missing;
- ``decode_puzzles``: batched decoding with timing, returning grids, per-cell reveal order and NFE;
(the shipped splits are ``tasks.sudoku.dataset.shipped``; per-puzzle metrics ``tasks.sudoku.metrics.per_puzzle``).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from anyorder.decode import Plan, decode
from anyorder.errors import CheckpointError
from anyorder.tasks.sudoku.encode import prompt_input
from anyorder.tasks.sudoku.rules import SudokuRules
from anyorder.train.checkpoint import load
from anyorder.train.config import is_mdm_checkpoint

DEFAULT_CHECKPOINT = Path(__file__).resolve().parents[2] / "assets" / "checkpoints" / "sudoku-mdm"


@dataclass(frozen=True)
class SudokuCodec:
    """81-cell board format: one token per cell, givens visible and fixed, blanks [MASK] (data.md).

    digit_ids[d] is the token id of digit d (1..9; index 0 unused); the board occupies positions
    ``offset .. offset + 81`` of a sequence of ``length`` tokens.
    """

    digit_ids: tuple[int, ...]
    mask_id: int
    length: int = 81
    offset: int = 0

    @classmethod
    def from_tokenizer(cls, tokenizer, length: int = 81) -> "SudokuCodec":
        """board81 (81 tokens) or prompt164 (puzzle | [SEP] | response | [EOS], board at offset 82), with
        digit ids read from the tokenizer's symbols (``anyorder.tasks.sudoku.encode`` layouts)."""
        index = {s: i for i, s in enumerate(tokenizer.symbols)}
        missing = [str(d) for d in range(1, 10) if str(d) not in index]
        if missing:
            raise CheckpointError(f"tokenizer has no symbols for digits {missing}: not a Sudoku model")
        if length not in (81, 164):
            raise CheckpointError(f"unsupported Sudoku sequence length {length}; expected 81 (board81) or "
                                  "164 (prompt164)")
        return cls((-1,) + tuple(index[str(d)] for d in range(1, 10)), tokenizer.mask_id, length,
                   0 if length == 81 else 82)

    def encode(self, puzzles: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        """puzzles (B, 81), 0 = blank -> tokens (B, L) int64, is_fixed (B, L) bool.
        board81: givens visible and fixed, blanks [MASK]; prompt164: the puzzle is the fixed prompt and the
        whole 81-cell response is masked (as in the paper's codebase)."""
        p = torch.as_tensor(np.asarray(puzzles, dtype=np.int64))
        lut = torch.tensor([self.mask_id] + list(self.digit_ids[1:]), dtype=torch.int64)
        if self.length == 81:
            return lut[p], p > 0
        tokens, is_fixed = prompt_input(np.asarray(puzzles))
        return torch.as_tensor(tokens), torch.as_tensor(is_fixed)

    def grids(self, tokens: torch.Tensor) -> np.ndarray:
        """tokens (B, L) -> (B, 81) int8 digits; any non-digit token (e.g. [MASK]) reads as 0."""
        cells = tokens[:, self.offset:self.offset + 81].cpu()
        lut = torch.zeros(max(max(self.digit_ids), self.mask_id) + 1, dtype=torch.int64)
        lut[list(self.digit_ids[1:])] = torch.arange(1, 10)
        inside = cells < len(lut)
        return torch.where(inside, lut[cells.clamp(max=len(lut) - 1)], 0).numpy().astype(np.int8)

    def cells(self, per_position: torch.Tensor) -> np.ndarray:
        """(B, L) per-position values (e.g. DecodeResult.order) -> (B, 81) numpy, cell-major."""
        return per_position[:, self.offset:self.offset + 81].cpu().numpy()


@dataclass(frozen=True)
class SudokuModel:
    """A model callable (tokens -> logits) with its codec and where it came from."""

    model: Callable[[torch.Tensor], torch.Tensor]
    codec: SudokuCodec
    config: dict
    path: str


def load_sudoku_model(path: str | Path | None = None, device: str = "cpu") -> SudokuModel:
    """Load an MDM Sudoku checkpoint (default: the shipped one at ``DEFAULT_CHECKPOINT``)."""
    path = Path(path) if path is not None else DEFAULT_CHECKPOINT
    if not path.exists():
        hint = (" (the shipped Sudoku checkpoint is not installed; train one with `anyorder train sudoku-mdm-cpu` "
                "and pass --checkpoint runs/<name>)") if path == DEFAULT_CHECKPOINT else ""
        raise CheckpointError(f"checkpoint {path} does not exist{hint}")
    loaded = load(path, device=device)
    if not is_mdm_checkpoint(loaded.config):
        raise CheckpointError(f"{path}: objective {loaded.config.get('objective')!r} is not an MDM")
    codec = SudokuCodec.from_tokenizer(loaded.tokenizer, loaded.model.cfg.max_len)
    return SudokuModel(loaded.model, codec, loaded.config, str(path))


def sudoku_rules(sm: SudokuModel) -> SudokuRules:
    """The Sudoku rule hooks (``tasks.sudoku.rules``) on this model's token layout, as a decoder checker."""
    vocab = sm.config.get("model", {}).get("vocab_size") or max(max(sm.codec.digit_ids), sm.codec.mask_id) + 1
    return SudokuRules(sm.codec.digit_ids, int(vocab), sm.codec.offset)


@dataclass(frozen=True)
class DecodedSplit:
    """grids (N, 81) int8 decoded digits; order (N, 81) reveal step per cell (-1 = given); nfe (N,);
    seconds: wall time of decoding (model calls included)."""

    grids: np.ndarray
    order: np.ndarray
    nfe: np.ndarray
    seconds: float


@torch.no_grad()
def decode_puzzles(sm: SudokuModel, puzzles: np.ndarray, plan: Plan, batch_size: int = 256,
                   device: str = "cpu", seed: int = 0, progress: Callable[[int], None] | None = None,
                   trace: bool = False, checker=None, status: list | None = None):
    """Decode puzzles (N, 81) in batches. Row i uses seed ``seed + i`` (batch-size independent).
    ``progress(n_done)`` is called after each batch. With ``trace`` (one batch only) also returns the trace.
    ``checker``: rule hooks for the decoders that use them (``sudoku_rules(sm)``); ``status``: a list that
    receives each batch's ``DecodeResult.status`` (numpy, or None when the decoder has none)."""
    grids, orders, nfes, traces = [], [], [], None
    start = time.perf_counter()
    for lo in range(0, len(puzzles), batch_size):
        tokens, is_fixed = sm.codec.encode(puzzles[lo:lo + batch_size])
        seeds = torch.arange(lo, lo + len(tokens), dtype=torch.int64) + seed
        res = decode(sm.model, tokens.to(device), is_fixed.to(device), plan, sm.codec.mask_id,
                     seeds.to(device), trace=trace, checker=checker)
        if status is not None:
            status.append(None if res.status is None else res.status.cpu().numpy())
        grids.append(sm.codec.grids(res.tokens))
        orders.append(np.where(np.asarray(puzzles[lo:lo + batch_size]) > 0, -1, sm.codec.cells(res.order)))
        nfes.append(res.nfe.cpu().numpy())
        traces = res.trace
        if progress is not None:
            progress(min(lo + batch_size, len(puzzles)))
    out = DecodedSplit(np.concatenate(grids), np.concatenate(orders), np.concatenate(nfes),
                       time.perf_counter() - start)
    return (out, traces) if trace else out
