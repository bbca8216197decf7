"""Secondary outputs of ``anyorder reproduce sudoku``: the accuracy-vs-NFE frontier, the order analysis and
the breakdowns by number of givens and hardest technique (paper Sec. 4.2-4.3, 4.5)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from anyorder.experiments.report import figure
from anyorder.experiments.sudoku import strategies as st
from anyorder.experiments.sudoku.orders import order_summary, placeable_fraction
from anyorder.experiments.sudoku.tables import write_table
from anyorder.tasks.sudoku.techniques import TECHNIQUES

FRONTIER_COLUMNS = ["family", "method", "budget", "steps", "threshold", "factor", "n", "exact_pct", "mean_nfe",
                    "seconds"]


FRONTIER_NOTES = [
    "The 'steps' families are at matched NFE: with the schedule budget every puzzle uses exactly T model calls, "
    "so rows with equal mean_nfe compare the scores at the same compute (equal_nfe.md puts them side by side).",
    "The threshold / factor budgets choose their own number of model calls per puzzle, so two such rows differ "
    "in compute as well as in score; compare them along the NFE axis (frontier.png), not at equal tau or f.",
]


def equal_nfe_rows(rows: list[dict]) -> list[dict]:
    """The step-sweep families side by side at matched NFE: one row per T with each score's exact % and
    margin - top_prob. A point enters only if its mean NFE equals T (every puzzle used exactly T calls)."""
    table: dict[int, dict] = {}
    for r in rows:
        if not r["family"].endswith(" steps") or abs(r["mean_nfe"] - r["steps"]) > 1e-6:
            continue
        table.setdefault(r["steps"], {"nfe": r["steps"]})[r["family"].removesuffix(" steps")] = r["exact_pct"]
    out = [table[t] for t in sorted(table)]
    for row in out:
        if "top_prob" in row and "top_prob_margin" in row:
            row["margin_minus_top_prob"] = row["top_prob_margin"] - row["top_prob"]
    return out


def write_equal_nfe(rows: list[dict], out: Path) -> Path:
    """equal_nfe.md/.csv: exact accuracy (%) of each score at the same model-call budget (test split)."""
    n = rows[0]["n"] if rows else 0
    notes = ["Each column is the same decoder (no noise, unmask-and-keep, schedule budget, argmax values) with "
             "exactly `nfe` model calls per puzzle; 'vanilla' here is a random order with a fixed K per step.",
             f"n = {n} puzzles per cell: one puzzle is {100 / max(n, 1):.1f} points; the binomial standard error "
             f"at 50% is {100 * (0.25 / max(n, 1)) ** 0.5:.1f} points."]
    write_table(equal_nfe_rows(rows), ["nfe", "vanilla", "top_prob", "top_prob_margin", "margin_minus_top_prob"],
                out / "equal_nfe", "Exact accuracy (%) at matched NFE (test split)", notes)
    return out / "equal_nfe.md"


def run_frontier(sm, data, args, evaluate, log) -> list[dict]:
    """Evaluate every frontier family on ``data``; rows carry their family name."""
    rows = []
    for family, strategies in st.frontier_strategies().items():
        for s in strategies:
            row, _ = evaluate(sm, data, s, args)
            rows.append(dict(row, family=family))
            log(f"[frontier] {s.name}: exact {row['exact_pct']:.1f}%  nfe {row['mean_nfe']:.1f}")
    return rows


def write_frontier(rows: list[dict], out: Path) -> Path:
    """frontier.csv/.md and frontier.png: exact accuracy (%) against mean NFE, one line per family."""
    write_table(rows, FRONTIER_COLUMNS, out / "frontier", "Exact accuracy vs mean NFE (test split)", FRONTIER_NOTES)
    write_equal_nfe(rows, out)
    with figure(out / "frontier.png", figsize=(7, 4.5)) as (_, ax):
        for family in dict.fromkeys(r["family"] for r in rows):
            pts = sorted((r["mean_nfe"], r["exact_pct"]) for r in rows if r["family"] == family)
            ax.plot(*zip(*pts), marker="o", label=family)
        ax.set_xlabel("mean NFE (model calls per puzzle)")
        ax.set_ylabel("exact accuracy (%)")
        ax.set_title("Sudoku: accuracy vs compute per decoding strategy")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    return out / "frontier.png"


def solver_index(data) -> np.ndarray:
    """(N, 81) placement index of each cell in the 7-technique solver's order (-1 for givens/unplaced)."""
    order = np.asarray(data.order, dtype=np.int64)
    index = np.full(order.shape, -1, dtype=np.int64)
    rows, ks = np.nonzero(order >= 0)
    index[rows, order[rows, ks]] = ks
    return index


def order_rows(data, decoded_by_name: dict) -> list[dict]:
    """One row per decoded run + the solver's own order as a reference."""
    idx = solver_index(data)
    rows = []
    for name, dec in decoded_by_name.items():
        rows.append(dict(method=name, **order_summary(data.puzzles, dec.grids, dec.order, idx)))
    frac = placeable_fraction(data.puzzles, data.solutions, idx)
    rows.append({"method": "7-technique solver order (reference)", "spearman": 1.0, "kendall": 1.0,
                 "placeable_fraction": float(frac.mean()), "n_puzzles": len(frac)})
    return rows


def write_orders(sm, data, decoded_test: dict, args, out: Path, evaluate) -> Path:
    """Order analysis on the test split: one-cell-per-step runs for top_prob / margin plus the 50-step runs."""
    runs = {}
    for score in ("top_prob_margin", "top_prob"):
        s = st.one_per_step(score)
        runs[s.name] = evaluate(sm, data, s, args)[1]
    for name, dec in decoded_test.items():
        if "| unmask | schedule" in name and ("top_prob" in name or "vanilla" in name):
            runs[name] = dec
    rows = order_rows(data, runs)
    notes = ["spearman/kendall: per-puzzle rank correlation between the MDM's reveal step and the solver's "
             "placement index over the blanks (ties allowed), averaged over puzzles.",
             "placeable_fraction: share of reveals that were a lone single or hidden single of the plain "
             "row/column/box candidates of the grid just before that step (sudoku_orders.placeable_cells)."]
    write_table(rows, ["method", "spearman", "kendall", "placeable_fraction", "n_puzzles"], out / "orders",
                "MDM decoding order vs the 7-technique solver order (test split)", notes)
    return out / "orders.md"


def _breakdown(rows: list[dict], key: np.ndarray, name: str) -> list[dict]:
    out = []
    for value in np.unique(key):
        sel = key == value
        entry = {name: value.item() if hasattr(value, "item") else value, "n": int(sel.sum())}
        for r in rows:
            entry[r["method"]] = 100 * float(r["_exact"][sel].mean())
        out.append(entry)
    return out


def write_breakdowns(table_rows: dict, splits: dict, out: Path) -> None:
    """Exact accuracy (%) per strategy by number of givens (test, hard) and by hardest technique."""
    for split, rows in table_rows.items():
        data = splits[split]
        methods = [r["method"] for r in rows]
        by_givens = _breakdown(rows, np.asarray(data.n_givens), "n_givens")
        write_table(by_givens, ["n_givens", "n", *methods], out / f"breakdown_givens_{split}",
                    f"Exact accuracy (%) by number of givens ({split} split)")
        hardest = np.asarray(data.hardest)
        names = np.array([TECHNIQUES.get(int(h), "unsolved" if split == "hard" else str(int(h))) for h in hardest])
        by_tech = _breakdown(rows, names, "hardest_technique")
        write_table(by_tech, ["hardest_technique", "n", *methods], out / f"breakdown_hardest_{split}",
                    f"Exact accuracy (%) by hardest technique the solver needed ({split} split)")
