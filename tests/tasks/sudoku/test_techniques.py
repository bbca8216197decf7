import numpy as np
import pytest

from anyorder.tasks.sudoku.board import from_strings, to_string
from anyorder.tasks.sudoku.candidates import store_candidates
from anyorder.tasks.sudoku.generate import generate
from anyorder.tasks.sudoku.techniques import rate

from .test_solver import EASY, INKALA


def test_golden_classification():
    r = rate(from_strings([EASY, INKALA]))
    assert r["solvable"].tolist() == [True, False]
    assert r["hardest"][0] == 2 and r["counts"][0, 2] == 51  # lone singles alone solve the easy puzzle
    order = r["order"][0]
    assert sorted(order[order >= 0].tolist()) == [i for i, ch in enumerate(EASY) if ch == "0"]
    assert order[0] == 40  # r5c5 is the first (row-major) cell with one candidate


def test_solver_order_replays_to_solution():
    p, s = generate(200, seed=11)
    r = rate(p)
    for i in np.flatnonzero(r["solvable"])[:50]:
        o = r["order"][i]
        o = o[o >= 0]
        assert len(o) == (p[i] == 0).sum() and set(o.tolist()) == set(np.flatnonzero(p[i] == 0).tolist())
        assert set(r["technique"][i, : len(o)].tolist()) <= set(range(2, 9))


def test_candidate_layout_matches_cpython_sets():
    rng = np.random.default_rng(0)
    for _ in range(500):
        n = int(rng.integers(0, 10))
        digits = rng.permutation(np.arange(1, 10))[:n].astype(np.int64)
        cand = np.zeros((1, 9), np.int64)
        cn = np.zeros(1, np.int64)
        cm = np.zeros(1, np.int64)
        store_candidates(cand, cn, cm, 0, digits, n)
        ref = set()
        for d in digits.tolist():
            ref.add(d)
        assert cand[0, : cn[0]].tolist() == list(ref)


def _dokusan_rate(puzzle):
    from dokusan import exceptions, solvers
    from dokusan.boards import BoxSize, Sudoku

    s = Sudoku.from_string(to_string(puzzle), box_size=BoxSize(3, 3))
    order = []
    try:
        for step in solvers.steps(s):
            if step.combination.name in ("Lone Single", "Hidden Single"):
                pos = step.combination.cells[0].position
                order.append(9 * pos.row + pos.column)
    except exceptions.Unsolvable:
        return False, order
    return True, order


@pytest.mark.slow
def test_agrees_with_dokusan_on_1000_generated_puzzles():
    pytest.importorskip("dokusan")
    p, _ = generate(1000, seed=2024)
    r = rate(p)
    mismatches = []
    for i in range(len(p)):
        ok, order = _dokusan_rate(p[i])
        mine = r["order"][i][r["order"][i] >= 0].tolist()
        if ok != bool(r["solvable"][i]) or order != mine:
            mismatches.append(i)
    assert not mismatches, f"{len(mismatches)} puzzles disagree with dokusan, e.g. {to_string(p[mismatches[0]])}"
    assert 0.55 < r["solvable"].mean() < 0.75  # data.md: about 63-66% pass the 7-technique filter
