"""End-to-end ``anyorder reproduce sudoku`` and the gap analysis with an oracle model on a tiny split."""
import argparse
import csv
import json
from pathlib import Path

import numpy as np
import pytest

import anyorder.experiments.sudoku.evaluate as ev
import anyorder.experiments.sudoku.reproduce as sudoku
import anyorder.experiments.sudoku.strategies as st
from anyorder.cli import main
from anyorder.experiments.sudoku.gap import expected_calibration_error
from anyorder.experiments.sudoku.orders import singles_order
from anyorder.tasks.sudoku.dataset import FIELDS, save_npz

from sudoku_fakes import PUZZLE, SOLUTION, digits, oracle


def _split(path, copies=2):
    p, s = digits(PUZZLE), digits(SOLUTION)
    idx = singles_order(p, s)
    order = np.full(81, -1, np.int8)
    order[idx[idx >= 0]] = np.nonzero(idx >= 0)[0]  # placeholder, replaced below
    cells = np.argsort(np.where(idx >= 0, idx, 999))[: (idx >= 0).sum()]
    order[:] = -1
    order[: len(cells)] = cells
    arrays = {"puzzles": np.stack([p] * copies), "solutions": np.stack([s] * copies),
              "order": np.stack([order] * copies), "technique": np.full((copies, 81), 2, np.int8),
              "n_givens": np.full(copies, (p > 0).sum(), np.int8), "hardest": np.full(copies, 3, np.int8),
              "solvable": np.ones(copies, bool), "index": np.arange(copies)}
    assert set(arrays) == set(FIELDS)
    save_npz(path, arrays)
    return path


@pytest.mark.slow
def test_reproduce_with_oracle(tmp_path, monkeypatch):
    monkeypatch.setattr(ev, "load_sudoku_model", lambda path, device: oracle(digits(SOLUTION)))
    small = st.frontier_strategies(step_sweep=(5, 50), taus=(0.9,), factors=(1.0,))
    monkeypatch.setattr(st, "frontier_strategies", lambda: small)
    test, hard = _split(tmp_path / "test.npz"), _split(tmp_path / "hard.npz")
    out = tmp_path / "out"
    rc = main(["reproduce", "sudoku", "--out", str(out), "--test-split", str(test), "--hard-split", str(hard),
               "--n", "2", "--gap"])
    assert rc == 0
    rows = list(csv.DictReader(open(out / "table2.csv")))
    margin = [r for r in rows if r["score"] == "top_prob_margin" and r["noise"] == "gumbel0.5-annealed"
              and r["mode"] == "unmask"][0]
    assert float(margin["exact_pct"]) == 100.0 and float(margin["paper_pct"]) == 89.49
    assert float(margin["mean_nfe"]) == 50.0
    assert (out / "frontier.png").stat().st_size > 1000
    orders = list(csv.DictReader(open(out / "orders.csv")))
    assert orders[-1]["placeable_fraction"] == "1.0"
    assert "Hypothesis" in (out / "gap.md").read_text() and "are our scores" in (out / "gap.md").read_text()
    gap = list(csv.DictReader(open(out / "gap.csv")))
    assert {r["score"]: r["origin"] for r in gap}["log_margin"] == "ours"
    equal = list(csv.DictReader(open(out / "equal_nfe.csv")))
    assert [int(r["nfe"]) for r in equal] == [5, 50] and float(equal[1]["top_prob_margin"]) == 100.0
    for name in ("table5.md", "breakdown_givens_test.csv", "breakdown_hardest_hard.csv", "gap.md",
                 "calibration.csv", "ties.csv", "config.json"):
        assert (out / name).exists(), name
    cal = list(csv.DictReader(open(out / "calibration.csv")))
    assert all(float(r["accuracy"]) == 1.0 for r in cal)


def test_quick_keeps_an_explicit_n(tmp_path, monkeypatch):
    """--quick picks n=32 only when --n is not given; an explicit --n 100 is kept (was silently 32)."""
    monkeypatch.setattr(ev, "load_sudoku_model", lambda path, device: oracle(digits(SOLUTION)))
    test, hard = _split(tmp_path / "test.npz", copies=40), _split(tmp_path / "hard.npz", copies=40)
    out = tmp_path / "out"
    assert main(["reproduce", "sudoku", "--out", str(out), "--test-split", str(test), "--hard-split", str(hard),
                 "--quick", "--n", "100"]) == 0
    assert json.loads((out / "config.json").read_text())["n"] == 100
    rows = list(csv.DictReader(open(out / "table2.csv")))
    measured = [r for r in rows if r["n"]]
    assert len(measured) == 3 and all(r["n"] == "40" for r in measured)  # all 40 puzzles, not the first 32
    vanilla = [r for r in measured if r["score"] == "vanilla"][0]
    assert vanilla["budget"] == "binomial" and float(vanilla["paper_pct"]) == 6.88
    quick = argparse.Namespace(n=None, quick=True)
    assert sudoku.n_puzzles(quick) == 32 and sudoku.n_puzzles(argparse.Namespace(n=None, quick=False)) == 100


def test_tables_only_keeps_every_row_and_skips_the_sweeps(tmp_path, monkeypatch):
    monkeypatch.setattr(ev, "load_sudoku_model", lambda path, device: oracle(digits(SOLUTION)))
    test, hard = _split(tmp_path / "test.npz"), _split(tmp_path / "hard.npz")
    out = tmp_path / "out"
    assert main(["reproduce", "sudoku", "--out", str(out), "--test-split", str(test), "--hard-split", str(hard),
                 "--n", "2", "--tables-only", "steps=5"]) == 0
    for name in ("table2.csv", "table5.csv"):
        measured = [r for r in csv.DictReader(open(out / name)) if r["n"]]
        assert len(measured) == len(st.table_strategies(50, True))
        assert {"remask-repredict", "remask-carry-over"} <= {r["mode"] for r in measured}
    assert not (out / "frontier.csv").exists() and not (out / "orders.csv").exists()


def test_ece():
    assert expected_calibration_error(np.array([1.0, 1.0]), np.array([1, 1])) == 0.0
    assert abs(expected_calibration_error(np.array([0.9, 0.9]), np.array([0, 1])) - 0.4) < 1e-9


def test_shipped_paths_point_into_the_package_assets():
    import anyorder
    from anyorder.experiments.sudoku.evaluate import DEFAULT_CHECKPOINT
    from anyorder.tasks.sudoku.dataset import SHIPPED

    assets = Path(anyorder.__file__).resolve().parent / "assets"
    assert DEFAULT_CHECKPOINT == assets / "checkpoints" / "sudoku-mdm" and SHIPPED == assets / "sudoku"
    assert (SHIPPED / "test.npz").is_file()


def test_equal_nfe_rows_pair_scores_only_at_matched_nfe():
    from anyorder.experiments.sudoku.report import equal_nfe_rows

    rows = [{"family": "top_prob steps", "steps": 10, "mean_nfe": 10.0, "exact_pct": 50.0},
            {"family": "top_prob_margin steps", "steps": 10, "mean_nfe": 10.0, "exact_pct": 60.0},
            {"family": "vanilla steps", "steps": 20, "mean_nfe": 20.0, "exact_pct": 1.0},
            {"family": "top_prob_margin threshold", "steps": 81, "mean_nfe": 10.0, "exact_pct": 99.0},
            {"family": "top_prob steps", "steps": 81, "mean_nfe": 40.5, "exact_pct": 99.0}]  # not all T calls
    assert equal_nfe_rows(rows) == [{"nfe": 10, "top_prob": 50.0, "top_prob_margin": 60.0,
                                     "margin_minus_top_prob": 10.0}, {"nfe": 20, "vanilla": 1.0}]
