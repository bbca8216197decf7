"""Ranking positions by score, shared by the unmask and remask decoders: higher first, ties by position."""
from __future__ import annotations

import torch


def finite_scores(scores: torch.Tensor) -> torch.Tensor:
    """NaN -> lowest float32, +-inf -> the largest finite float32 of that sign (so -inf stays free for
    non-candidates)."""
    big = torch.finfo(torch.float32).max
    return scores.nan_to_num(nan=-big, posinf=big, neginf=-big)


def rank_descending(scores: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(scores sorted descending per row, rank (B, L) int64 of each position; ties -> lower position first)."""
    sorted_scores, index = scores.sort(dim=1, descending=True, stable=True)
    positions = torch.arange(scores.shape[1], device=scores.device).expand_as(index)
    return sorted_scores, torch.empty_like(index).scatter_(1, index, positions)
