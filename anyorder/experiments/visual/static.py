"""Static pictures of decoding orders (matplotlib; paper Sec. 4.3 "which cells go first").

- ``plot_orders``: Sudoku grids side by side (one per strategy, plus the step solver's order), each cell coloured
  by its reveal step, with the digit (givens grey, wrong digits red when the solution is known);
- ``plot_order_heatmap``: the mean normalised reveal step of every cell over a split (blanks only);
- ``plot_score_traces``: the chosen score of every revealed position against its step, per strategy.
All take plain arrays (``DecodedSplit.order``, ``Replay``) and return the Figure; ``save`` writes PNG/SVG/PDF.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import matplotlib

matplotlib.use("Agg")  # files only; never opens a window
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.colors import Normalize  # noqa: E402

from anyorder.errors import InputError  # noqa: E402
from anyorder.experiments.visual.replay import CMAP  # noqa: E402

GIVEN_COLOUR = "#d9d9d9"


def draw_order_grid(ax, digits: Sequence[int], order: Sequence[int], n_steps: int, title: str = "",
                    solution: Sequence[int] | None = None, index_labels: bool = False) -> None:
    """One 9 x 9 grid on ``ax``: blanks coloured by reveal step (``order`` (81,), -1 = given), digits written.
    ``index_labels`` writes the order (1-based) in the corner of each blank (used for the solver panel)."""
    digits, order = np.asarray(digits).reshape(81), np.asarray(order).reshape(81)
    cmap, norm = matplotlib.colormaps[CMAP], Normalize(0, max(n_steps - 1, 1))
    for i in range(81):
        r, c = divmod(i, 9)
        colour = GIVEN_COLOUR if order[i] < 0 else cmap(norm(order[i]))
        ax.add_patch(plt.Rectangle((c, 8 - r), 1, 1, facecolor=colour, edgecolor="#888888", lw=0.4))
        if digits[i]:
            light = order[i] >= 0 and norm(order[i]) < 0.55  # dark viridis colours: white text
            wrong = solution is not None and order[i] >= 0 and digits[i] != np.asarray(solution).reshape(81)[i]
            ax.text(c + 0.5, 8 - r + 0.45, str(int(digits[i])), ha="center", va="center", fontsize=11,
                    color="#d62728" if wrong else ("white" if light else "black"),
                    fontweight="bold" if order[i] < 0 or wrong else "normal")
        if index_labels and order[i] >= 0:
            ax.text(c + 0.08, 8 - r + 0.9, str(int(order[i]) + 1), ha="left", va="top", fontsize=5.5,
                    color="white" if norm(order[i]) < 0.55 else "black")
    for k in range(0, 10, 3):
        ax.plot([0, 9], [k, k], color="black", lw=1.6)
        ax.plot([k, k], [0, 9], color="black", lw=1.6)
    ax.set_xlim(0, 9)
    ax.set_ylim(0, 9)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title, fontsize=10)


def plot_orders(puzzle: Sequence[int], panels: Sequence[tuple[str, Sequence[int], Sequence[int], int]],
                solver_index: Sequence[int] | None = None, solution: Sequence[int] | None = None,
                title: str = ""):
    """Grids side by side. panels: (title, digits (81,), order (81,), n_steps) per strategy; ``solver_index``
    (81,) adds the step solver's panel (its placement index as the step, digits = ``solution`` or the first
    panel's). Returns the Figure (with a colour bar of the reveal step as a fraction of the steps)."""
    if not panels and solver_index is None:
        raise InputError("plot_orders needs at least one panel")
    puzzle = np.asarray(puzzle).reshape(81)
    items = [(t, np.asarray(d), np.where(puzzle > 0, -1, np.asarray(o)), n) for t, d, o, n in panels]
    if solver_index is not None:
        solver_index = np.where(puzzle > 0, -1, np.asarray(solver_index).reshape(81))
        digits = np.asarray(solution) if solution is not None else items[0][1]
        items.append(("step solver (7 techniques)", digits, solver_index, int(solver_index.max()) + 1))
    fig, axes = plt.subplots(1, len(items), figsize=(3.3 * len(items) + 0.6, 3.8), squeeze=False)
    for ax, (t, d, o, n) in zip(axes[0], items):
        draw_order_grid(ax, d, o, n, t, solution=solution, index_labels=t.startswith("step solver"))
    sm = plt.cm.ScalarMappable(cmap=CMAP, norm=Normalize(0, 1))
    fig.colorbar(sm, ax=axes[0].tolist(), fraction=0.02, pad=0.02, label="reveal step / steps (grey: given)")
    if title:
        fig.suptitle(title, fontsize=11)
    return fig


def mean_reveal_position(puzzles: np.ndarray, orders: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(N, 81) puzzles and reveal steps -> ((81,) mean normalised rank in [0, 1] over the puzzles where the cell
    is blank (NaN if never), (81,) how many). Rank: the cell's step ranked among the puzzle's blanks (ties
    averaged), divided by the number of blanks - 1, so 0 = first revealed, 1 = last, whatever the step count."""
    from scipy.stats import rankdata

    puzzles, orders = np.asarray(puzzles).reshape(-1, 81), np.asarray(orders).reshape(-1, 81)
    blank = puzzles == 0
    ranks = np.where(blank, rankdata(np.where(blank, orders, np.inf), axis=1) - 1, 0.0)
    frac = ranks / np.maximum(blank.sum(1, keepdims=True) - 1, 1)
    count = blank.sum(0)
    total = np.where(blank, frac, 0.0).sum(0)
    return np.where(count > 0, total / np.maximum(count, 1), np.nan), count


def plot_order_heatmap(puzzles: np.ndarray, orders: np.ndarray, title: str = ""):
    """Heat map of ``mean_reveal_position`` over a split: which cells a strategy fills first (dark = early)."""
    mean, count = mean_reveal_position(puzzles, orders)
    fig, ax = plt.subplots(figsize=(4.6, 4.0))
    im = ax.imshow(mean.reshape(9, 9), cmap=CMAP, vmin=0, vmax=1)
    for i in range(81):
        if count[i]:
            v = mean[i]
            ax.text(i % 9, i // 9, f"{v:.2f}", ha="center", va="center", fontsize=6,
                    color="white" if v < 0.55 else "black")
    for k in (2.5, 5.5):
        ax.axhline(k, color="white", lw=1.5)
        ax.axvline(k, color="white", lw=1.5)
    ax.set_xticks(range(9), [str(c + 1) for c in range(9)])
    ax.set_yticks(range(9), [str(r + 1) for r in range(9)])
    fig.colorbar(im, ax=ax, fraction=0.046, label="mean reveal rank (0 first, 1 last)")
    ax.set_title(title or f"reveal order over {len(np.asarray(puzzles).reshape(-1, 81))} puzzles", fontsize=10)
    return fig


def plot_score_traces(traces: dict[str, tuple[Sequence[int], Sequence[float]]], title: str = "",
                      ylabel: str = "score at reveal"):
    """traces: name -> (order (n,), score (n,)) per revealed position (NaN / order < 0 skipped). Each position
    is a dot at (step, score); the line is the mean score per step."""
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    for k, (name, (order, score)) in enumerate(traces.items()):
        order = np.asarray(order, np.float64).reshape(-1)
        score = np.asarray([np.nan if s is None else s for s in np.asarray(score, object).reshape(-1)], np.float64)
        ok = (order >= 0) & np.isfinite(score)
        colour = f"C{k}"
        ax.scatter(order[ok] + 1, score[ok], s=10, alpha=0.5, color=colour)
        steps = np.unique(order[ok])
        ax.plot(steps + 1, [score[ok][order[ok] == s].mean() for s in steps], color=colour, lw=1.4, label=name)
    ax.set_xlabel("step")
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    ax.set_title(title or "chosen score of each revealed position", fontsize=10)
    fig.tight_layout()
    return fig


def save(fig, path: str | Path, dpi: int = 130) -> Path:
    """Write ``fig`` (format from the suffix: png, svg, pdf) and close it."""
    path = Path(path)
    if path.suffix.lower() not in (".png", ".svg", ".pdf"):
        raise InputError(f"picture file {path} must end in .png, .svg or .pdf")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return path
