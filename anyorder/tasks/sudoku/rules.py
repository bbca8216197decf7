"""Sudoku rules in token space: the task's ``consistent`` / ``verify`` / ``allowed`` hooks (tasks.base.Checker).

Decoders work on token batches (B, L), so the rules are stated on tokens: ``SudokuRules`` knows where the 81
cells sit in the sequence (``offset``: 0 for board81, 82 for prompt164) and which token id is each digit.
All three hooks are vectorised over the batch (one (B, 81, 10) one-hot and one (81, 81) peer product).

- ``consistent(tokens) -> (B,) bool``: no row, column or box holds a digit twice (blank / [MASK] cells ignored);
- ``verify(tokens) -> (B,) bool``: every cell holds a digit and every row, column and box is a permutation of 1-9;
- ``allowed(tokens) -> (B, L, V) bool``: at each cell, the digit tokens no peer already holds; positions outside
  the board allow every token (decoders never change them: they are fixed).
- ``implied(tokens) -> (B, L, V) bool``: ``allowed`` narrowed by one round of the two classic deductions, for
  decoders that propagate (``Plan.propagate``): a *hidden single* (digit d has one allowed cell in a row, column
  or box: that cell may only be d) and a *missing digit* (d has no allowed cell in a group that lacks it: no
  blank of that group may take anything, a dead end). Sound: no solution that extends the revealed digits is
  excluded. (*Naked singles*, a cell with one allowed digit, need no narrowing: the decoder fills them.)
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from anyorder.tasks.sudoku.board import GROUPS, SEES

_PEERS = torch.from_numpy((SEES & ~np.eye(81, dtype=bool)).astype(np.float32))  # (81, 81), a cell is no own peer
_GROUPS = torch.from_numpy(GROUPS)  # (27, 9)
_MEMBER = torch.zeros(27, 81).scatter_(1, _GROUPS, 1.0)  # (27, 81) group g holds cell c


@dataclass(frozen=True)
class SudokuRules:
    """Sudoku constraints on a token layout. digit_ids[d] = token id of digit d (index 0 unused)."""

    digit_ids: tuple[int, ...]
    vocab_size: int
    offset: int = 0

    @classmethod
    def for_layout(cls, layout: str) -> "SudokuRules":
        """board81: ids 1-9 are the digits (V = 10); prompt164: ids 1-9 too, V = 13, board at offset 82."""
        if layout == "board81":
            return cls((-1,) + tuple(range(1, 10)), 10, 0)
        return cls((-1,) + tuple(range(1, 10)), 13, 82)

    def digits(self, tokens: torch.Tensor) -> torch.Tensor:
        """(B, L) tokens -> (B, 81) int64 digits, 0 for anything that is not a digit token."""
        cells = tokens[:, self.offset:self.offset + 81].long()
        lut = torch.zeros(max(self.vocab_size, int(cells.max()) + 1 if cells.numel() else 1), dtype=torch.int64,
                          device=tokens.device)
        lut[torch.tensor(self.digit_ids[1:], device=tokens.device)] = torch.arange(1, 10, device=tokens.device)
        return lut[cells]

    def _onehot(self, tokens: torch.Tensor) -> torch.Tensor:
        """(B, 81, 9) float one-hot of the placed digits (all zero at blanks)."""
        d = self.digits(tokens)
        return (d[..., None] == torch.arange(1, 10, device=d.device)).float()

    def consistent(self, tokens: torch.Tensor) -> torch.Tensor:
        """(B,) bool: no digit twice in a row, column or box."""
        counts = self._onehot(tokens)[:, _GROUPS.to(tokens.device)].sum(dim=2)  # (B, 27, 9)
        return (counts <= 1).all(dim=2).all(dim=1)

    def verify(self, tokens: torch.Tensor) -> torch.Tensor:
        """(B,) bool: a complete, valid solution grid (each group holds each digit exactly once)."""
        counts = self._onehot(tokens)[:, _GROUPS.to(tokens.device)].sum(dim=2)
        return (counts == 1).all(dim=2).all(dim=1)

    def allowed(self, tokens: torch.Tensor) -> torch.Tensor:
        """(B, L, V) bool: at board cells, digit tokens that no peer holds (other tokens False); elsewhere True."""
        used = torch.einsum("pc,bcd->bpd", _PEERS.to(tokens.device), self._onehot(tokens)) > 0  # (B, 81, 9)
        b, length = tokens.shape
        out = torch.ones(b, length, self.vocab_size, dtype=torch.bool, device=tokens.device)
        board = torch.zeros(b, 81, self.vocab_size, dtype=torch.bool, device=tokens.device)
        board[..., list(self.digit_ids[1:])] = ~used
        out[:, self.offset:self.offset + 81] = board
        return out

    def implied(self, tokens: torch.Tensor) -> torch.Tensor:
        """(B, L, V) bool: ``allowed`` narrowed by hidden singles and missing digits (module docstring)."""
        out = self.allowed(tokens)
        digits = list(self.digit_ids[1:])
        board = out[:, self.offset:self.offset + 81][..., digits]  # (B, 81, 9) allowed digit at each cell
        d = self.digits(tokens)
        blank = d == 0
        cand = board & blank[..., None]
        groups = _GROUPS.to(tokens.device)
        places = cand[:, groups].sum(dim=2)  # (B, 27, 9): allowed cells of each digit in each group
        placed = self._onehot(tokens)[:, groups].sum(dim=2) > 0  # (B, 27, 9)
        single = (places == 1) & ~placed
        missing = ((places == 0) & ~placed).any(dim=2)  # (B, 27)
        # cell c is pinned to digit k if c is the one allowed place of k in one of its groups
        member = _MEMBER.to(tokens.device)
        pinned = torch.einsum("gc,bgk->bck", member, single.float()) > 0  # (B, 81, 9) candidate-or-not
        pinned &= cand
        narrowed = torch.where(pinned.any(dim=2, keepdim=True), pinned, board)
        dead = torch.einsum("gc,bg->bc", member, missing.float()) > 0  # (B, 81)
        narrowed &= ~(dead & blank)[..., None]
        cells = out[:, self.offset:self.offset + 81].clone()
        cells[..., digits] = torch.where(blank[..., None], narrowed, board)
        out[:, self.offset:self.offset + 81] = cells
        return out
