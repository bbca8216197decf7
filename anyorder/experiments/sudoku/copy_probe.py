"""Does a Sudoku MDM reproduce the tokens it can see? The precondition of the literal remasking decoder (issue 11,
item 6; the paper's remasking row follows Ye et al.: every step re-predicts all visible, non-fixed tokens).

Re-prediction can only keep a partial solution if, at a visible position, the model predicts the token that is
there. The MDM loss falls on masked positions only, so nothing in training asks for this; tied input / output
embeddings (the paper codebase's GPT-2 setting, preset ``sudoku-mdm-paper``) may give it for free, untied ones
(our board81 models) need not. ``copy_rates`` measures it directly, on solved puzzles masked at a given rate.
"""
from __future__ import annotations

import numpy as np
import torch

from anyorder.tasks.sudoku import encode

ENCODERS = {"board81": encode.encode_board, "prompt164": encode.encode_prompt}


@torch.no_grad()
def copy_rates(model: torch.nn.Module, puzzles: np.ndarray, solutions: np.ndarray, layout: str, mask_id: int,
               rates: tuple[float, ...] = (0.25, 0.5, 0.75), batch_size: int = 64, seed: int = 0) -> list[dict]:
    """One row per mask rate r: each maskable position of the encoded, solved puzzle is masked with probability r
    (one forward pass per batch), and

    - ``copy``: share of visible maskable positions whose argmax prediction is the visible token (1.0 = the
      literal remasking decoder keeps what it has; a model that ignores its input there scores about 1/9);
    - ``masked_acc``: share of masked positions predicted right (how well the model fills in, for scale).

    puzzles, solutions: (B, 81) digits (0 = blank in puzzles); layout: "board81" | "prompt164" (tasks.sudoku.encode).
    """
    if layout not in ENCODERS:
        raise ValueError(f"unknown Sudoku layout {layout!r}; valid: {sorted(ENCODERS)}")
    x0, is_fixed = (torch.as_tensor(a) for a in ENCODERS[layout](puzzles, solutions))
    gen = torch.Generator().manual_seed(seed)
    rows = []
    for rate in rates:
        counts = torch.zeros(4, dtype=torch.float64)  # visible, copied, masked, right
        for start in range(0, len(x0), batch_size):
            x, fixed = x0[start:start + batch_size], is_fixed[start:start + batch_size]
            masked = ~fixed & (torch.rand(x.shape, generator=gen) < rate)
            visible = ~fixed & ~masked
            pred = model(torch.where(masked, torch.full_like(x, mask_id), x)).argmax(-1)
            counts += torch.tensor([visible.sum(), (visible & (pred == x)).sum(), masked.sum(),
                                    (masked & (pred == x)).sum()], dtype=torch.float64)
        rows.append({"mask_rate": rate, "visible": int(counts[0]), "copy": float(counts[1] / counts[0].clamp(min=1)),
                     "masked": int(counts[2]), "masked_acc": float(counts[3] / counts[2].clamp(min=1))})
    return rows
