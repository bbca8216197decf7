"""``anyorder solve`` and ``anyorder demo``: solve Sudoku puzzles with an adaptive-order MDM (paper Sec. 4.2)
or an ARM baseline (Table 2; arm243 triples or arm81 tokens, greedy or beam search).

    anyorder solve 530070000600195000098000060800060003400803001700020006060000280000419005000080079
    anyorder solve --file puzzles.txt --output solutions.txt --strategy top_prob_margin --steps 50
    anyorder solve PUZZLE score=entropy mode=remask noise=gumbel0.5-annealed   # any Plan field as KEY=VALUE
    anyorder solve PUZZLE score=vanilla budget=binomial    # the paper's Algorithm 1 (random order, Binomial count)
    anyorder solve --file anyorder/assets/sudoku/test.npz --output out.txt --limit 100  # known solutions: accuracy
    anyorder solve PUZZLE --show          # the decoding order step by step, coloured
    anyorder solve --file F --decoder backtrack max_nfe=100   # beyond the paper: selfcorrect | bestofn |
                                                              # backtrack | orderbeam (--decoder = mode=)
    anyorder solve --file F --checkpoint ARM mode=beam beam_width=3   # ARM checkpoint (default: greedy)
    anyorder solve --file F --checkpoint ARM --beam 3                 # the same (--beam N is an alias)
    anyorder demo --n 100                 # vanilla vs top_prob vs top_prob_margin on the shipped test split

--file reads plain text (one puzzle per line) or a dataset with solutions (our .npz / directory, Shah et al.
.npy, Radcliffe .csv); with solutions known, the exact / valid / cell accuracy is printed (stderr).

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
from anyorder.experiments.sudoku.evaluate import decode_puzzles, load_sudoku_model, sudoku_rules
from anyorder.experiments.sudoku.show import run_demo, show_decoding
from anyorder.tasks.sudoku.formats import load_any
from anyorder.tasks.sudoku.metrics import per_puzzle
from anyorder.tasks.sudoku.parse import parse_puzzle
from anyorder.train.checkpoint import load, read_config, resolve

DATASET_SUFFIXES = (".npz", ".npy", ".csv")  # --file formats that carry solutions (tasks.sudoku.formats)
DEMO_N = 50  # puzzles in `anyorder demo`: ~1.5 s CPU per puzzle and strategy (6 x 256 model, 50 steps) -> ~80 s on 2 cores


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("solve", help="solve Sudoku puzzles with an MDM", description=__doc__)
    p.add_argument("puzzle", nargs="?", help="81 cells (digits, 0 or . for blanks; whitespace/9x9 layout ok)")
    p.add_argument("--file", help="puzzles: text, one per line (# comments ok), or a dataset with solutions "
                   "(.npz / dir, Shah .npy, Radcliffe .csv: prints the accuracy)")
    p.add_argument("--output", help="with --file: write one 81-digit solution per line here")
    p.add_argument("--limit", type=int, default=None, help="with --file: only the first N puzzles")
    add_plan_arguments(p)
    p.add_argument("--beam", type=int, default=None, metavar="N",
                   help="ARM checkpoints: = mode=beam beam_width=N (KEY=VALUE wins); MDM checkpoints reject it")
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
    p.add_argument("--checkpoint", default=None,
                   help="MDM or (solve only) ARM checkpoint directory (default: the shipped MDM)")
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


def read_puzzles(args) -> tuple[np.ndarray, list[str], np.ndarray | None]:
    """Parse the positional puzzle or --file. Returns (N, 81) puzzles, labels and the (N, 81) solutions when
    the file is a dataset that has them (else None). Errors name the line."""
    if (args.puzzle is None) == (args.file is None):
        raise InputError("give exactly one of PUZZLE or --file")
    if args.output and not args.file:
        raise InputError("--output needs --file")
    if args.puzzle is not None:
        return parse_puzzle(args.puzzle, require_unique=False)[None], ["puzzle"], None
    path = Path(args.file)
    if path.is_dir() or path.suffix in DATASET_SUFFIXES:
        data = load_any(path)
        data = data.subset(slice(0, args.limit)) if args.limit is not None else data
        labels = [f"{path.name}:{i + 1}" for i in range(len(data))]
        return np.asarray(data.puzzles, np.int64), labels, np.asarray(data.solutions, np.int64)
    puzzles, labels = read_text_puzzles(path)
    return puzzles[:args.limit], labels[:args.limit], None


def read_text_puzzles(path: Path) -> tuple[np.ndarray, list[str]]:
    """One puzzle per line (blank lines and # comments skipped); errors name the line."""
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
    if args.beam is not None:  # alias of mode=beam beam_width=N; explicit KEY=VALUE items win
        if args.beam < 1:
            raise InputError(f"--beam must be >= 1, got {args.beam}")
        args.plan = ["mode=beam", f"beam_width={args.beam}"] + list(args.plan)
    plan = plan_from_args(args)
    puzzles, labels, solutions = read_puzzles(args)
    sm = load_model(args.checkpoint, args.device, allow_arm=True)
    grids, what = (solve_arm if isinstance(sm, ARMSolver) else solve_mdm)(args, sm, puzzles, plan)
    if solutions is not None:
        print(accuracy_summary(grids, puzzles, solutions, what), file=sys.stderr)
    valid = per_puzzle(grids, puzzles, None)["valid"]
    return _report(args, grids, valid, labels)


def solve_mdm(args, sm, puzzles: np.ndarray, plan) -> tuple[np.ndarray, str]:
    """MDM decoding with the plan -> (grids (N, 81), description)."""
    if plan.mode in ("greedy", "beam"):
        raise InputError(f"mode={plan.mode} (or --beam) needs an ARM checkpoint; MDMs decode with mode=unmask, "
                         "remask, selfcorrect, bestofn, backtrack or orderbeam")
    noise = "none" if plan.noise == "none" else (f"{plan.noise} {plan.noise_scale:g}"
                                                 + (" annealed" if plan.noise_anneal else ""))
    what = f"MDM {plan.score_name}, noise {noise}, {plan.mode}, budget {plan.budget}, {plan.steps} steps"
    rules = sudoku_rules(sm)  # the rule hooks, for the decoders that use a verifier (bestofn, backtrack, ...)
    if not args.show:
        return decode_puzzles(sm, puzzles, plan, 256, args.device, args.seed, checker=rules).grids, what
    dec, trace = decode_puzzles(sm, puzzles[:1], plan, 1, args.device, args.seed, trace=True, checker=rules)
    show_decoding(puzzles[0], trace, sm.codec, plan)
    decs = [dec] + ([decode_puzzles(sm, puzzles[1:], plan, 256, args.device, args.seed + 1, checker=rules)]
                    if len(puzzles) > 1 else [])
    return np.concatenate([d.grids for d in decs]), what


def solve_arm(args, arm: ARMSolver, puzzles: np.ndarray, plan) -> tuple[np.ndarray, str]:
    """ARM decoding (``experiments.sudoku.arm``): greedy (mode=greedy, or the default mode) or mode=beam with
    ``beam_width`` beams (``--beam N``); empty cells may be named, filled ones never ("format" constraint)."""
    if args.show:
        raise InputError("--show needs an MDM checkpoint (an ARM writes one cell per step, in its own order)")
    if plan.mode not in ("unmask", "greedy", "beam"):
        raise InputError(f"an ARM checkpoint decodes with mode=greedy or mode=beam, not mode={plan.mode}")
    beam = plan.beam_width if plan.mode == "beam" else 1
    grids = decode_sudoku_arm(arm.model, puzzles, beam_width=beam).grid.numpy().astype(np.int8)
    return grids, f"ARM {'greedy' if beam == 1 else f'beam {beam}'}"


def accuracy_summary(grids: np.ndarray, puzzles: np.ndarray, solutions: np.ndarray, what: str) -> str:
    """One line: exact / valid / cell accuracy (``tasks.sudoku.metrics.per_puzzle``) on puzzles with known
    solutions."""
    m = per_puzzle(grids, puzzles, solutions)
    n, k = len(puzzles), int(m["exact"].sum())
    return (f"accuracy ({what}) on {n} puzzles: exact {100 * k / n:.1f}% ({k}/{n}), "
            f"valid {100 * m['valid'].mean():.1f}%, cell {100 * m['cell'].mean():.1f}%")


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
