"""Zebra metrics and the verifier (paper Table 3: exact-table accuracy).

exact: every attribute cell of the table equals the solution; cell: fraction of attribute cells right;
valid: the table is complete, each attribute row a permutation, and every clue holds (the verifier; for the
unique puzzles of our generator valid == exact). Breakdowns by size ("exact/size=4x3").
"""
from __future__ import annotations

import numpy as np

from anyorder.tasks.zebra.puzzle import Puzzle


def verify(puzzles: tuple[Puzzle, ...], answers: np.ndarray) -> np.ndarray:
    """(B,) bool: the decoded tables ((B, M, N) values, -1 = missing) are complete and satisfy every clue."""
    out = np.zeros(len(puzzles), bool)
    for i, p in enumerate(puzzles):
        t = np.asarray(answers[i])[:p.m, :p.n]
        if (t < 0).any() or not (np.sort(t, axis=1) == np.arange(p.n)).all():
            continue
        out[i] = p.satisfied_by(np.concatenate([np.arange(p.n)[None], t]))
    return out


def per_puzzle(pred: np.ndarray, target: np.ndarray) -> dict[str, np.ndarray]:
    """exact (B,) bool and cell (B,) float over the in-size cells (target >= 0); arrays (B, M, N)."""
    pred, target = np.asarray(pred), np.asarray(target)
    inside = target >= 0
    right = (pred == target) & inside
    b = len(target)
    exact = (right | ~inside).reshape(b, -1).all(1)
    cell = right.reshape(b, -1).sum(1) / np.maximum(inside.reshape(b, -1).sum(1), 1)
    return {"exact": exact, "cell": cell}


def summarize(pred: np.ndarray, target: np.ndarray, size: np.ndarray,
              puzzles: tuple[Puzzle, ...] | None = None) -> dict[str, float]:
    """Means plus breakdowns by size ("exact/size=NxM", "count/size=NxM")."""
    m = per_puzzle(pred, target)
    if puzzles is not None:
        m["valid"] = verify(puzzles, pred)
    out = {k: float(v.mean()) for k, v in m.items()}
    labels = np.array([f"{n}x{a}" for n, a in np.asarray(size)])
    for lab in sorted(set(labels.tolist())):
        sel = labels == lab
        for k, v in m.items():
            out[f"{k}/size={lab}"] = float(v[sel].mean())
        out[f"count/size={lab}"] = float(sel.sum())
    return out
