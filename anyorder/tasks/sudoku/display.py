"""Sudoku's display hooks (``tasks.base.Display``): what pictures and ``anyorder serve`` need from the task.

The board is 9 x 9 cells in 3 x 3 boxes; a problem is an (81,) int8 puzzle (0 = blank). Works for both MDM
layouts (board81, prompt164: the board is the 81 response positions). The reference order is the 7-technique
step solver's placement index of each blank (paper Sec. 4.3), -1 for givens.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from anyorder.errors import CheckpointError, InputError
from anyorder.tasks.sudoku import encode
from anyorder.tasks.sudoku.metrics import per_puzzle
from anyorder.tasks.sudoku.parse import parse_puzzle

# difficulty -> hardest step-solver technique ids allowed (techniques.TECHNIQUES; 0 = none, 2/3 singles,
# 4-8 pairs ... unique rectangles); "hard": the 7 techniques cannot finish it
DIFFICULTIES = {"easy": (0, 3), "medium": (4, 8), "hard": None}
GENERATE_BATCH = 16  # puzzles generated per try (numba, both cores)
N_EXAMPLES = 3  # shipped puzzles per split offered by examples()
GENERATE_TRIES = 40  # tries before giving up on a difficulty (hard puzzles are ~1-2% of random minimal ones)


@dataclass(frozen=True)
class SudokuDisplay:
    """``Display`` of the "sudoku" task for a checkpoint's layout ("board81" | "prompt164")."""

    layout_name: str = "board81"
    kind: str = "grid"
    max_chars: int = 1000  # a 9x9 grid with separators and whitespace fits easily
    difficulties: tuple[str, ...] = tuple(DIFFICULTIES)

    def __post_init__(self) -> None:
        if self.layout_name not in ("board81", "prompt164"):
            raise CheckpointError(f"unsupported Sudoku layout {self.layout_name!r}; valid: board81, prompt164")

    @property
    def layout(self) -> dict:
        return {"rows": 9, "cols": 9, "box": [3, 3]}

    @property
    def offset(self) -> int:
        return 0 if self.layout_name == "board81" else 82

    @property
    def tokenizer(self):
        return encode.BOARD_TOKENIZER if self.layout_name == "board81" else encode.PROMPT_TOKENIZER

    def parse(self, text: str) -> np.ndarray:
        """One puzzle (81 cells, digits / 0 / '.'); InputError names the problem (length, characters,
        conflicting givens, no solution). Puzzles with several solutions are accepted."""
        if not isinstance(text, str):
            raise InputError("puzzle must be a string")
        if len(text) > self.max_chars:
            raise InputError(f"puzzle text too long: {len(text)} characters (at most {self.max_chars})")
        return parse_puzzle(text, require_unique=False)

    def format(self, problem: np.ndarray) -> str:
        return "".join(str(int(v)) for v in np.asarray(problem).reshape(81))

    def encode(self, problems) -> tuple[torch.Tensor, torch.Tensor]:
        fn = encode.board_input if self.layout_name == "board81" else encode.prompt_input
        tokens, is_fixed = fn(np.stack([np.asarray(p).reshape(81) for p in problems]))
        return torch.from_numpy(tokens), torch.from_numpy(is_fixed)

    def cells(self, per_position: torch.Tensor) -> np.ndarray:
        return per_position[:, self.offset:self.offset + 81].detach().cpu().numpy()

    def digits(self, tokens: torch.Tensor) -> np.ndarray:
        """(B, L) tokens -> (B, 81) digits, 0 where [MASK]."""
        return encode.decode_tokens(tokens.detach().cpu().numpy(), self.layout_name).astype(np.int64)

    def labels(self, tokens: torch.Tensor) -> list[list[str]]:
        return [[str(int(d)) if d else "" for d in row] for row in self.digits(tokens)]

    def token_labels(self, ids) -> list[str]:
        symbols = self.tokenizer.symbols
        return [symbols[int(i)] for i in np.asarray(ids).reshape(-1)]

    def check(self, problems, tokens: torch.Tensor) -> dict[str, list]:
        """valid: every row, column and box holds 1-9 and the givens are kept."""
        puzzles = np.stack([np.asarray(p).reshape(81) for p in problems])
        return {"valid": [bool(v) for v in per_puzzle(self.digits(tokens), puzzles, None)["valid"]]}

    def generate(self, difficulty: str, seed: int) -> np.ndarray:
        """A fresh minimal puzzle (``generate.generate``) whose step-solver rating matches ``difficulty``."""
        from anyorder.tasks.sudoku.generate import generate
        from anyorder.tasks.sudoku.techniques import rate

        if difficulty not in DIFFICULTIES:
            raise InputError(f"unknown difficulty {difficulty!r}; valid: {list(DIFFICULTIES)}")
        span = DIFFICULTIES[difficulty]
        for t in range(GENERATE_TRIES):
            puzzles, _ = generate(GENERATE_BATCH, int(seed), start=t * GENERATE_BATCH)
            r = rate(puzzles)
            ok = ~r["solvable"] if span is None else \
                r["solvable"] & (r["hardest"] >= span[0]) & (r["hardest"] <= span[1])
            if ok.any():
                return puzzles[int(np.argmax(ok))].astype(np.int8)
        raise InputError(f"no {difficulty} puzzle in {GENERATE_TRIES * GENERATE_BATCH} generated ones; try another "
                         "seed")

    def examples(self) -> dict[str, np.ndarray]:
        """The first puzzles of the shipped test and hard splits."""
        from anyorder.tasks.sudoku.dataset import shipped

        out = {}
        for split in ("test", "hard"):
            for i, puzzle in enumerate(shipped(split, N_EXAMPLES).puzzles):
                out[f"shipped {split} #{i + 1}"] = puzzle.astype(np.int8)
        return out

    def reference_order(self, problem: np.ndarray) -> np.ndarray | None:
        """(81,) placement index of each blank by the step solver (-1 for givens); None if it gets stuck."""
        from anyorder.tasks.sudoku.techniques import rate

        r = rate(np.asarray(problem).reshape(1, 81))
        if not r["solvable"][0]:
            return None
        return solver_index(r["order"][0])


def solver_index(cells_in_order: np.ndarray) -> np.ndarray:
    """Step-solver order as stored ((81,) cell ids in placement order, -1 padded) -> (81,) index per cell."""
    cells_in_order = np.asarray(cells_in_order, np.int64)
    index = np.full(81, -1, np.int64)
    placed = cells_in_order[cells_in_order >= 0]
    index[placed] = np.arange(len(placed))
    return index


def display(task: dict) -> SudokuDisplay:
    """The ``Task.display`` hook: the checkpoint's task dict -> ``SudokuDisplay`` of its layout."""
    layout = (task.get("metadata") or {}).get("layout") or (task.get("options") or {}).get("layout") or "board81"
    return SudokuDisplay(layout)
