"""Shared fixtures for the Sudoku experiment / CLI tests: a golden puzzle and oracle "models"."""
import numpy as np
import torch

from anyorder.experiments.sudoku.evaluate import SudokuCodec, SudokuModel

PUZZLE = "530070000600195000098000060800060003400803001700020006060000280000419005000080079"
SOLUTION = "534678912672195348198342567859761423426853791713924856961537284287419635345286179"
CODEC = SudokuCodec(digit_ids=(-1,) + tuple(range(1, 10)), mask_id=10)


# a valid grid by formula (row shifts 0,3,6,1,4,7,2,5,8), for tests that only need *a* solution
PATTERN_SOLUTION = np.array([(r * 3 + r // 3 + c) % 9 + 1 for r in range(9) for c in range(9)], np.int64)


def blanked(n: int, blanks: int, seed: int = 0) -> np.ndarray:
    """(n, 81) copies of PATTERN_SOLUTION; row b has ``blanks + b`` random cells set to 0."""
    rng = np.random.default_rng(seed)
    p = np.tile(PATTERN_SOLUTION, (n, 1))
    for b in range(n):
        p[b, rng.choice(81, blanks + b, replace=False)] = 0
    return p


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


class ArmOracle:
    """Causal triple 'model' (experiments.sudoku.arm arm243 layout, 11 ids) that writes the first empty cell (row-major)
    with ``solution``'s digit (optionally a wrong digit at ``wrong_cell``); ``rows`` records the batch sizes."""

    def __init__(self, solution: np.ndarray, wrong_cell: int | None = None):
        self.target = torch.as_tensor(np.asarray(solution, dtype=np.int64)).clone()
        if wrong_cell is not None:
            self.target[wrong_cell] = self.target[wrong_cell] % 9 + 1
        self.rows: list[int] = []

    def __call__(self, prefix: torch.Tensor) -> torch.Tensor:
        from anyorder.experiments.sudoku.arm import filled_cells

        n, t = prefix.shape
        self.rows.append(n)
        empty = ~filled_cells(prefix)  # (n, 81)
        if t % 3 == 0:
            token = empty.float().argmax(1) // 9
        elif t % 3 == 1:
            token = empty.view(n, 9, 9)[torch.arange(n), prefix[:, -1].clamp(max=8)].float().argmax(1)
        else:
            token = self.target[9 * prefix[:, -2].clamp(max=8) + prefix[:, -1].clamp(max=8)]
        logits = torch.zeros(n, t, 11)
        logits[torch.arange(n), -1, token] = 10.0
        return logits
