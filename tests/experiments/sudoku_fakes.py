"""Shared fixtures for the Sudoku experiment / CLI tests: a golden puzzle and oracle "models"."""
import numpy as np
import torch

from anyorder.experiments.sudoku.evaluate import SudokuCodec, SudokuModel

PUZZLE = "530070000600195000098000060800060003400803001700020006060000280000419005000080079"
SOLUTION = "534678912672195348198342567859761423426853791713924856961537284287419635345286179"
CODEC = SudokuCodec(digit_ids=(-1,) + tuple(range(1, 10)), mask_id=10)


def digits(s: str) -> np.ndarray:
    return np.array([int(c) for c in s], dtype=np.int8)


def oracle(solution: np.ndarray, wrong_cell: int | None = None) -> SudokuModel:
    """Logits (B, 81, 11) putting all mass on ``solution`` (optionally a wrong digit at one cell)."""
    target = torch.as_tensor(np.asarray(solution, dtype=np.int64)).clone()
    if wrong_cell is not None:
        target[wrong_cell] = target[wrong_cell] % 9 + 1

    def model(tokens: torch.Tensor) -> torch.Tensor:
        logits = torch.full((tokens.shape[0], 81, 11), -10.0)
        logits[:, torch.arange(81), target] = 10.0
        return logits

    return SudokuModel(model, CODEC, {"model": {}, "train": None}, "oracle")
