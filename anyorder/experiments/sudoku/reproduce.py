"""``anyorder reproduce sudoku``: paper Tables 2 and 5, accuracy vs NFE, and the decoding-order analysis.

Decodes the shipped test split (Table 2, paper Sec. 4.2) and hard split (Table 5, Sec. 4.5) with every strategy
of ``sudoku_strategies``: the paper's Algorithm 1 (vanilla, Binomial budget); scores vanilla (random order,
fixed K) / top_prob / top_prob_margin / entropy with Gumbel 0.5 annealed or no noise and unmask-and-keep; the
Ye et al. remasking decoder, literal (re-predict visible tokens) and carry-over (ours); argmax values, 50 steps;
and the ARMs when given. ``--checkpoint`` may be any Sudoku MDM (board81 or the paper's prompt164 layout).
Writes into ``--out``:

- ``table2.md/.csv``, ``table5.md/.csv``: our exact / valid / cell accuracy, mean NFE and time beside the paper;
- ``frontier.png`` + ``frontier.csv``: exact accuracy against mean NFE (step sweep, threshold and factor budgets);
  ``equal_nfe.md/.csv``: the step-sweep scores side by side at matched NFE;
- ``orders.md/.csv``: MDM order vs the 7-technique solver's order (``sudoku_orders``); ``--tables-only`` skips
  these and the frontier (``--quick`` also drops the remasking rows);
- ``breakdown_givens.csv``, ``breakdown_hardest.csv``: exact accuracy by number of givens / hardest technique;
- ``gap.md`` with ``--gap`` (``sudoku_gap``); ``config.json`` with the arguments and the wall time.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from anyorder.decode import Plan
from anyorder.experiments.sudoku import evaluate as ev
from anyorder.experiments.sudoku import report as rep
from anyorder.experiments.sudoku import strategies as st
from anyorder.experiments.sudoku.arm import solve_sudoku_arm
from anyorder.experiments.sudoku.gap import run_gap
from anyorder.experiments.sudoku.tables import COLUMNS, protocol_differences, with_paper_numbers, write_table
from anyorder.models.precision import PRECISION_HELP, PRECISIONS
from anyorder.options import parse_overrides, replace_checked
from anyorder.tasks.sudoku.dataset import shipped
from anyorder.tasks.sudoku.metrics import per_puzzle
from anyorder.train.checkpoint import load

DEFAULT_N, QUICK_N = 100, 32  # puzzles per split without / with --quick (an explicit --n wins)


def n_puzzles(args: argparse.Namespace) -> int:
    """Puzzles per split: ``--n`` if given, else QUICK_N with ``--quick``, else DEFAULT_N."""
    if args.n is not None:
        return args.n
    return QUICK_N if args.quick else DEFAULT_N


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--checkpoint", default=None, help=f"MDM checkpoint (default: {ev.DEFAULT_CHECKPOINT})")
    p.add_argument("--arm-solver", default=None, help="ARM checkpoint trained with solver order")
    p.add_argument("--arm-fixed", default=None, help="ARM checkpoint trained with fixed (row-major) order")
    p.add_argument("--test-split", default=None, help="test split file/dir (default: shipped)")
    p.add_argument("--hard-split", default=None, help="hard split file/dir (default: shipped)")
    p.add_argument("--n", type=int, default=None,
                   help=f"puzzles per split (default: {DEFAULT_N}, with --quick {QUICK_N}; paper ~0.1M)")
    p.add_argument("--steps", type=int, default=50, help="reverse steps (default: %(default)s, as the paper)")
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--device", default="cpu", help="cpu | cuda")
    p.add_argument("--precision", default="fp32", choices=list(PRECISIONS), help=PRECISION_HELP)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--arm-n", type=int, default=None,
                   help="puzzles per split for the ARMs (default: --n; ARM decoding re-reads the prefix each step)")
    p.add_argument("--quick", action="store_true",
                   help=f"paper rows only, no frontier sweep, n={QUICK_N} unless --n is given")
    p.add_argument("--tables-only", action="store_true",
                   help="Tables 2 and 5 with every row (remasking included), no frontier sweep or order analysis")
    p.add_argument("--gap", action="store_true", help="also run the top_prob vs margin gap analysis")
    p.add_argument("--gap-only", action="store_true", help="run only the gap analysis (test split)")
    p.add_argument("plan", nargs="*", default=[], metavar="KEY=VALUE",
                   help="decoding Plan fields applied on top of every MDM row (as in `anyorder decode --help`), "
                        "e.g. value=sample temperature=0.5; recorded in config.json")


def evaluate(sm, data, strategy: st.Strategy, args) -> tuple[dict, "ev.DecodedSplit"]:
    """Decode ``data`` with one strategy -> (table row, decoded)."""
    plan = replace_checked(strategy.plan, parse_overrides(Plan, getattr(args, "plan", [])))
    dec = ev.decode_puzzles(sm, data.puzzles, plan, args.batch_size, args.device, args.seed)
    m = per_puzzle(dec.grids, data.puzzles, data.solutions)
    row = dict(strategy.labels, n=len(data), exact_pct=100 * m["exact"].mean(), valid_pct=100 * m["valid"].mean(),
               cell_pct=100 * m["cell"].mean(), mean_nfe=float(dec.nfe.mean()), seconds=dec.seconds)
    row["_exact"] = m["exact"]
    return row, dec


def _log(msg: str) -> None:
    print(msg, flush=True)


def run_table(sm, data, strategies, args, split: str) -> tuple[list[dict], dict]:
    rows, decoded = [], {}
    for s in strategies:
        row, dec = evaluate(sm, data, s, args)
        rows.append(row)
        decoded[s.name] = dec
        _log(f"[{split}] {s.name}: exact {row['exact_pct']:.1f}%  nfe {row['mean_nfe']:.1f}  {row['seconds']:.1f}s")
    return rows, decoded


def run_arms(args, splits: dict) -> dict[str, list[dict]]:
    """ARM greedy and beam-3 rows per split (``anyorder.experiments.sudoku.arm``) for the given checkpoints."""
    out: dict[str, list[dict]] = {name: [] for name in splits}
    arms = {"solver": args.arm_solver, "fixed": args.arm_fixed}
    if not any(arms.values()):
        return out
    for order, path in arms.items():
        if path is None:
            continue
        model = load(path, device=args.device).model
        for name, data in splits.items():
            if args.arm_n is not None:
                data = data.subset(slice(0, args.arm_n))
            for beam in (1, 3):
                start = time.perf_counter()
                res = solve_sudoku_arm(model, data.puzzles, data.solutions, data.hardest, beam_width=beam,
                                       batch_size=args.batch_size)
                m = res.metrics
                out[name].append({"method": f"ARM {order} order | beam {beam}", "model": "arm", "order": order,
                                  "n": len(data), "exact_pct": 100 * m["exact"], "valid_pct": 100 * m["valid"],
                                  "cell_pct": 100 * m["cell"], "seconds": time.perf_counter() - start})
                _log(f"[{name}] ARM {order} beam {beam}: exact {100 * m['exact']:.1f}%")
    return out


def run_gap_only(sm, n: int, args: argparse.Namespace, out: Path, start: float) -> int:
    """``--gap-only``: the top_prob vs margin analysis on the test split; writes gap/calibration/ties files."""
    run_gap(sm, shipped("test", n, args.test_split), args, out)
    config = {k: v for k, v in vars(args).items() if k != "func"}
    seconds = time.perf_counter() - start
    (out / "gap_config.json").write_text(json.dumps(dict(config, seconds=seconds, n=n), indent=2, default=str))
    _log(f"wrote the gap analysis to {out} in {seconds:.0f} s")
    return 0


def run(args: argparse.Namespace) -> int:
    start = time.perf_counter()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    n = n_puzzles(args)
    sm = ev.load_sudoku_model(args.checkpoint, args.device)
    if args.gap_only:
        return run_gap_only(sm, n, args, out, start)
    splits = {"test": shipped("test", n, args.test_split), "hard": shipped("hard", n, args.hard_split)}
    table_rows, decoded = {}, {}
    for split, full in (("test", not args.quick), ("hard", not args.quick)):
        strategies = st.paper_strategies(args.steps) if args.quick else st.table_strategies(args.steps, full)
        table_rows[split], decoded[split] = run_table(sm, splits[split], strategies, args, split)
    arm_rows = run_arms(args, splits)
    if not (args.quick or args.tables_only):
        frontier = rep.run_frontier(sm, splits["test"], args, evaluate, _log)
        rep.write_frontier(frontier, out)
        rep.write_orders(sm, splits["test"], decoded["test"], args, out, evaluate)
    rep.write_breakdowns(table_rows, splits, out)
    if args.gap:
        run_gap(sm, splits["test"], args, out)
    seconds = time.perf_counter() - start
    for split, stem, title in (("test", "table2", "Table 2: Sudoku test split"),
                               ("hard", "table5", "Table 5: hard Sudoku split")):
        notes = protocol_differences(sm.config, {k: len(v) for k, v in splits.items()}, _data_source(splits),
                                     bool(args.arm_solver or args.arm_fixed), seconds)
        rows = with_paper_numbers(table_rows[split] + arm_rows[split], split)
        write_table(rows, COLUMNS, out / stem, f"{title} (checkpoint {sm.path})", notes)
    config = {k: v for k, v in vars(args).items() if k != "func"}
    (out / "config.json").write_text(json.dumps(dict(config, seconds=seconds, n=n), indent=2, default=str))
    _log(f"wrote {out} in {seconds:.0f} s")
    return 0


def _data_source(splits: dict) -> str:
    index = np.concatenate([np.asarray(d.index).ravel() for d in splits.values()])
    return (f"our own generated minimal puzzles (random full grid, cells blanked while the solution stays unique), "
            f"split by our 7-technique solver: test = solved, hard = not solved; generator indices "
            f"{int(index.min()) if len(index) else 0}..{int(index.max()) if len(index) else 0}")
