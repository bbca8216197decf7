import numpy as np

from anyorder.experiments.sudoku.orders import (
    candidates,
    order_summary,
    placeable_cells,
    placeable_fraction,
    rank_correlations,
    singles_order,
)

from sudoku_fakes import PUZZLE, SOLUTION, digits

P, S = digits(PUZZLE), digits(SOLUTION)


def test_candidates_and_lone_single():
    grid = S.copy()
    grid[0] = 0
    cand = candidates(grid[None])[0]
    assert cand[0].sum() == 1 and cand[0, S[0] - 1]
    assert not cand[1:].any()
    assert placeable_cells(grid[None])[0].tolist() == [True] + [False] * 80


def test_hidden_single_without_lone_single():
    # r1c1 of the golden puzzle is blank with candidates {1,2,4}; row 1 needs digits where it's the only spot
    mask = placeable_cells(P[None])[0]
    cand = candidates(P[None])[0]
    lone = cand.sum(-1) == 1
    assert mask.sum() > lone.sum()  # some cells are placeable only as hidden singles
    assert not mask[P > 0].any()


def test_solver_order_scores_one_and_reverse_minus_one():
    idx = singles_order(P, S)
    assert idx is not None and (idx >= 0).sum() == (P == 0).sum()
    summary = order_summary(P[None], S[None], idx[None], idx[None])
    assert summary["spearman"] == 1.0 or abs(summary["spearman"] - 1) < 1e-12
    assert summary["kendall"] == 1.0 and summary["placeable_fraction"] == 1.0
    rev = np.where(idx >= 0, idx.max() - idx, -1)
    rho, tau = rank_correlations(rev[None], idx[None])
    assert abs(rho[0] + 1) < 1e-12 and abs(tau[0] + 1) < 1e-12
    assert placeable_fraction(P[None], S[None], rev[None])[0] < 1.0


def test_all_at_once_order_is_nan_and_judged_on_initial_grid():
    order = np.where(P == 0, 0, -1)
    rho, tau = rank_correlations(order[None], singles_order(P, S)[None])
    assert np.isnan(rho[0]) and np.isnan(tau[0])
    frac = placeable_fraction(P[None], S[None], order[None])[0]
    assert frac == placeable_cells(P[None])[0].sum() / (P == 0).sum()
