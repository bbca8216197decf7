"""End-to-end ``anyorder reproduce sudoku`` and the gap analysis with an oracle model on a tiny split."""
import csv
from pathlib import Path

import numpy as np
import pytest

import anyorder.experiments.sudoku.evaluate as ev
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
    for name in ("table5.md", "breakdown_givens_test.csv", "breakdown_hardest_hard.csv", "gap.md",
                 "calibration.csv", "ties.csv", "config.json"):
        assert (out / name).exists(), name
    cal = list(csv.DictReader(open(out / "calibration.csv")))
    assert all(float(r["accuracy"]) == 1.0 for r in cal)


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
