"""A Sudoku "model" that knows the answer, wrapped as ``replay.Displayed`` (board81 tokens: [MASK] = 0)."""
import time

import numpy as np
import torch

from anyorder.experiments.visual.replay import Displayed
from anyorder.tasks.sudoku.display import SudokuDisplay

PUZZLE = "530070000600195000098000060800060003400803001700020006060000280000419005000080079"
SOLUTION = "534678912672195348198342567859761423426853791713924856961537284287419635345286179"


def digits(s: str) -> np.ndarray:
    return np.array([int(c) for c in s], dtype=np.int8)


class Oracle:
    """Logits (B, 81, 10) with the solution's digit likely; cell i is more confident the smaller i is, so
    confidence-ordered decoding reveals cells in row-major order. ``delay``: seconds per call."""

    def __init__(self, solution: str = SOLUTION, delay: float = 0.0):
        self.target = torch.as_tensor(digits(solution).astype(np.int64))
        self.delay = delay
        self.calls = 0

    def __call__(self, tokens: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        if self.delay:
            time.sleep(self.delay)
        logits = torch.zeros(tokens.shape[0], 81, 10)
        logits[:, torch.arange(81), self.target] = 8.0 - torch.arange(81) / 81.0
        return logits


def shown(delay: float = 0.0) -> Displayed:
    return Displayed(Oracle(delay=delay), SudokuDisplay("board81"), 0, "sudoku", "/secret/dir/oracle")
