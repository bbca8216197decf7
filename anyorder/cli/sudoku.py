"""``anyorder solve`` and ``anyorder demo``: solve Sudoku puzzles with an adaptive-order MDM (paper Sec. 4.2)
or (solve) an ARM baseline (Table 2; arm243 triples or arm81 tokens, greedy or beam search).

    anyorder solve 530070000600195000098000060800060003400803001700020006060000280000419005000080079
    anyorder solve --file puzzles.txt --output solutions.txt --strategy top_prob_margin --steps 50
    anyorder solve PUZZLE score=entropy mode=remask noise=gumbel0.5-annealed   # any Plan field as KEY=VALUE
    anyorder solve PUZZLE --show          # the decoding order step by step, coloured
    anyorder solve --file F --checkpoint ARM mode=beam beam_width=3   # ARM checkpoint (default: greedy)
    anyorder demo --n 100                 # vanilla vs top_prob vs top_prob_margin on the shipped test split

Exit status: 0 = every output is a valid solution; 1 = some output is not; 2 = bad input / checkpoint.
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from anyorder.cli.plan_args import add_plan_arguments, plan_from_args
from anyorder.errors import CheckpointError, InputError
from anyorder.experiments.sudoku.arm import decode_sudoku_arm
from anyorder.experiments.sudoku.evaluate import decode_puzzles, load_sudoku_model
from anyorder.experiments.sudoku.show import run_demo, show_decoding
from anyorder.tasks.sudoku.metrics import per_puzzle
from anyorder.tasks.sudoku.parse import parse_puzzle
from anyorder.train.checkpoint import load, read_config, resolve

DEMO_N = 50  # puzzles in `anyorder demo`: ~1.5 s CPU per puzzle and strategy (6 x 256 model, 50 steps) -> ~80 s on 2 cores


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("solve", help="solve Sudoku puzzles with an MDM", description=__doc__)
    p.add_argument("puzzle", nargs="?", help="81 cells (digits, 0 or . for blanks; whitespace/9x9 layout ok)")
    p.add_argument("--file", help="read puzzles from this file, one per line (blank lines and # comments skipped)")
    p.add_argument("--output", help="with --file: write one 81-digit solution per line here")
    add_plan_arguments(p)
    _common(p)
    p.add_argument("--show", action="store_true", help="display the decoding order step by step")
    p.set_defaults(func=cmd_solve)
    d = sub.add_parser("demo", help="compare decoding strategies on the shipped Sudoku test split")
    d.add_argument("--n", type=int, default=DEMO_N, help="test puzzles (default: %(default)s)")
    d.add_argument("--batch-size", type=int, default=256)
    add_plan_arguments(d)  # score is set per row (vanilla, top_prob, top_prob_margin); noise: see docs/sudoku.md
    _common(d)
    d.set_defaults(func=cmd_demo)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--checkpoint", default=None, help="MDM checkpoint directory (default: the shipped one)")
    p.add_argument("--device", default="cpu", help="cpu | cuda")
    p.add_argument("--seed", type=int, default=0)


@dataclass(frozen=True)
class ARMSolver:
    """An ARM Sudoku checkpoint: a causal model over arm243 triples or arm81 tokens (``experiments.sudoku.arm``)."""

    model: Callable
    path: str


def load_model(checkpoint, device, allow_arm: bool = False):
    """The Sudoku MDM (``experiments.sudoku.evaluate.SudokuModel``), or with ``allow_arm`` an ``ARMSolver`` when the checkpoint's
    objective is "ar"; tests replace this to inject a fake model."""
    if allow_arm and checkpoint is not None and Path(checkpoint).exists():
        config = read_config(resolve(checkpoint))
        if config.get("objective") == "ar":
            if config["task"].get("name") != "sudoku-arm":
                raise CheckpointError(f"{checkpoint}: ARM task {config['task'].get('name')!r} is not sudoku-arm")
            return ARMSolver(load(checkpoint, device=device).model, str(checkpoint))
    return load_sudoku_model(checkpoint, device)


def read_puzzles(args) -> tuple[np.ndarray, list[str]]:
    """Parse the positional puzzle or --file (one per line). Errors name the line. Returns (N, 81), labels."""
    if (args.puzzle is None) == (args.file is None):
        raise InputError("give exactly one of PUZZLE or --file")
    if args.output and not args.file:
        raise InputError("--output needs --file")
    if args.puzzle is not None:
        return parse_puzzle(args.puzzle, require_unique=False)[None], ["puzzle"]
    path = Path(args.file)
    if not path.is_file():
        raise InputError(f"puzzle file {path} does not exist")
    grids, labels = [], []
    for i, line in enumerate(path.read_text().splitlines(), 1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        try:
            grids.append(parse_puzzle(text, require_unique=False))
        except InputError as e:
            raise type(e)(f"{path}:{i}: {e}") from e
        labels.append(f"{path.name}:{i}")
    if not grids:
        raise InputError(f"{path}: no puzzles found")
    return np.stack(grids), labels


def format_grid(grid: np.ndarray) -> str:
    """(81,) digits -> 9 lines with 3x3 box separators ('.' for blanks)."""
    lines = []
    for r in range(9):
        if r in (3, 6):
            lines.append("------+-------+------")
        cells = [str(int(v)) if v else "." for v in grid[9 * r:9 * r + 9]]
        lines.append(" | ".join(" ".join(cells[c:c + 3]) for c in (0, 3, 6)))
    return "\n".join(lines)


def cmd_solve(args: argparse.Namespace) -> int:
    if args.puzzle is not None and "=" in args.puzzle:  # `solve --file F score=x`: argparse took it as PUZZLE
        args.plan, args.puzzle = [args.puzzle] + list(args.plan), None
    plan = plan_from_args(args)
    puzzles, labels = read_puzzles(args)
    sm = load_model(args.checkpoint, args.device, allow_arm=True)
    if isinstance(sm, ARMSolver):
        grids = solve_arm(args, sm, puzzles, plan)
    elif args.show:
        dec, trace = decode_puzzles(sm, puzzles[:1], plan, 1, args.device, args.seed, trace=True)
        show_decoding(puzzles[0], trace, sm.codec, plan)
        decs = [dec] + ([decode_puzzles(sm, puzzles[1:], plan, 256, args.device, args.seed + 1)]
                        if len(puzzles) > 1 else [])
        grids = np.concatenate([d.grids for d in decs])
    else:
        grids = decode_puzzles(sm, puzzles, plan, 256, args.device, args.seed).grids
    valid = per_puzzle(grids, puzzles, None)["valid"]
    return _report(args, grids, valid, labels)


def solve_arm(args, arm: ARMSolver, puzzles: np.ndarray, plan) -> np.ndarray:
    """ARM decoding (``experiments.sudoku.arm``): greedy (mode=greedy, or the default mode) or mode=beam with
    ``beam_width`` beams; empty cells may be named, filled ones never ("format" constraint)."""
    if args.show:
        raise InputError("--show needs an MDM checkpoint (an ARM writes one cell per step, in its own order)")
    if plan.mode not in ("unmask", "greedy", "beam"):
        raise InputError(f"an ARM checkpoint decodes with mode=greedy or mode=beam, not mode={plan.mode}")
    beam = plan.beam_width if plan.mode == "beam" else 1
    return decode_sudoku_arm(arm.model, puzzles, beam_width=beam).grid.numpy().astype(np.int8)


def _report(args, grids: np.ndarray, valid: np.ndarray, labels: list[str]) -> int:
    if args.output:
        Path(args.output).write_text("".join("".join(map(str, g)) + "\n" for g in grids))
    elif args.file:
        for g in grids:
            print("".join(map(str, g)))
    else:
        print(format_grid(grids[0]))
    bad = [lab for lab, ok in zip(labels, valid) if not ok]
    if bad:
        print(f"error: {len(bad)} of {len(labels)} outputs are not valid solutions: {', '.join(bad[:10])}"
              + (" ..." if len(bad) > 10 else ""), file=sys.stderr)
        return 1
    if args.output:
        print(f"solved {len(labels)} puzzles -> {args.output}", file=sys.stderr)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    return run_demo(args, load_model(args.checkpoint, args.device), plan=plan_from_args(args))
