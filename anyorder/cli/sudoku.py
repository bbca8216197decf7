"""``anyorder solve`` and ``anyorder demo``: solve Sudoku puzzles with an adaptive-order MDM (paper Sec. 4.2)
or an ARM baseline (Table 2; arm243 triples or arm81 tokens, greedy or beam search).

    anyorder solve 530070000600195000098000060800060003400803001700020006060000280000419005000080079
    anyorder solve --file puzzles.txt --output solutions.txt --strategy top_prob_margin --steps 50
    anyorder solve PUZZLE score=entropy mode=remask noise=gumbel0.5-annealed   # any Plan field as KEY=VALUE
    anyorder solve PUZZLE score=vanilla budget=binomial    # the paper's Algorithm 1 (random order, Binomial count)
    anyorder solve --file anyorder/assets/sudoku/test.npz --output out.txt --limit 100  # known solutions: accuracy
    anyorder solve --file anyorder/assets/sudoku/test.npz --summary s.json   # the accuracy as JSON (scripts)
    anyorder solve PUZZLE --show          # the decoding order step by step, coloured
    anyorder solve --file F --decoder backtrack max_nfe=100   # beyond the paper: selfcorrect | bestofn |
                                                              # restart | backtrack | orderbeam | beamback
                                                              # (--decoder = mode=)
    anyorder solve --file F --checkpoint ARM mode=beam beam_width=3   # ARM checkpoint (default: greedy)
    anyorder solve --file F --checkpoint ARM --beam 3                 # the same (--beam N is an alias)
    anyorder demo --n 100                 # vanilla vs top_prob vs top_prob_margin on the shipped test split

--file reads plain text (one puzzle per line) or a dataset with solutions (our .npz / directory, Shah et al.
.npy, Radcliffe .csv); with solutions known, the exact / valid / cell accuracy is printed (stderr).
--summary PATH writes the same numbers as JSON for scripts (``solve_summary``; written atomically).

Exit status: 0 = every output is a valid solution; 1 = some output is not (each named, with the reason);
2 = bad input / checkpoint / options; 3 = internal error (anyorder.cli.errors). A puzzle with several
solutions is solved (any valid completion counts) and reported on stderr; one with none is an input error.
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from anyorder.cli.plan_args import add_plan_arguments, plan_from_args, plan_record
from anyorder.errors import CheckpointError, InputError
from anyorder.experiments.sudoku.arm import decode_sudoku_arm
from anyorder.experiments.sudoku.evaluate import decode_puzzles, load_sudoku_model, sudoku_rules
from anyorder.experiments.sudoku.show import run_demo, show_decoding
from anyorder.io import atomic_write, read_text
from anyorder.tasks.sudoku.board import GROUPS
from anyorder.tasks.sudoku.formats import load_any
from anyorder.tasks.sudoku.metrics import per_puzzle
from anyorder.tasks.sudoku.parse import parse_puzzle
from anyorder.tasks.sudoku.solver import count_solutions
from anyorder.train.checkpoint import load, read_config, resolve
from anyorder.train.config import is_mdm_checkpoint

DATASET_SUFFIXES = (".npz", ".npy", ".csv")  # --file formats that carry solutions (tasks.sudoku.formats)
DEMO_N = 50  # puzzles in `anyorder demo`: ~1.5 s CPU per puzzle and strategy (6 x 256 model, 50 steps) -> ~80 s on 2 cores


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("solve", help="solve Sudoku puzzles with an MDM", description=__doc__)
    p.add_argument("puzzle", nargs="?", help="81 cells (digits, 0 or . for blanks; whitespace/9x9 layout ok)")
    p.add_argument("--file", help="puzzles: text, one per line (# comments ok), or a dataset with solutions "
                   "(.npz / dir, Shah .npy, Radcliffe .csv: prints the accuracy)")
    p.add_argument("--output", help="with --file: write one 81-digit solution per line here")
    p.add_argument("--limit", type=int, default=None, help="with --file: only the first N puzzles")
    p.add_argument("--summary", metavar="PATH", help="write a JSON summary here (counts, exact / valid / cell %%, "
                   "mean NFE, checkpoint, plan, files; written atomically)")
    add_plan_arguments(p)
    p.add_argument("--beam", type=int, default=None, metavar="N",
                   help="ARM checkpoints: = mode=beam beam_width=N (KEY=VALUE wins); MDM checkpoints reject it")
    _common(p)
    p.add_argument("--show", action="store_true", help="display the decoding order step by step")
    p.add_argument("--save", metavar="PICTURE", help="MDM: write the first puzzle's decoding order as a picture "
                   "(.png/.svg/.pdf; grid coloured by reveal step, beside the step solver's order)")
    p.add_argument("--html", metavar="PAGE", help="MDM: write the first puzzle's decoding as a self-contained "
                   "HTML page with a step slider")
    p.add_argument("--task", default="sudoku", choices=["sudoku", "zebra"],
                   help="zebra: Zebra puzzles (clue tokens or JSON lines; see anyorder.cli.zebra_solve)")
    p.add_argument("--size", default=None, help="--task zebra: HOUSESxATTRIBUTES of token lines without ANSWER")
    p.add_argument("--sizes", default=None, help="--task zebra: solve only the puzzles of these sizes, e.g. 3-4x3-4 "
                   "(the shipped MDM's; the shipped test split has 3-6 x 3-6)")
    p.set_defaults(func=cmd_solve)
    d = sub.add_parser("demo", help="compare decoding strategies on the shipped Sudoku test split")
    d.add_argument("--n", type=int, default=DEMO_N, help="test puzzles (default: %(default)s)")
    d.add_argument("--batch-size", type=int, default=256, help="puzzles decoded together (default: %(default)s)")
    add_plan_arguments(d)  # score is set per row (vanilla, top_prob, top_prob_margin); noise: see docs/sudoku.md
    _common(d)
    d.set_defaults(func=cmd_demo)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--checkpoint", default=None,
                   help="MDM or (solve only) ARM checkpoint directory (default: the shipped MDM)")
    p.add_argument("--device", default="cpu", help="torch device: cpu | cuda | cuda:N (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="decoding seed (default: %(default)s)")


@dataclass(frozen=True)
class ARMSolver:
    """An ARM Sudoku checkpoint: a causal model over arm243 triples or arm81 tokens (``experiments.sudoku.arm``)."""

    model: Callable
    path: str


def load_model(checkpoint, device, allow_arm: bool = False):
    """The Sudoku MDM (``experiments.sudoku.evaluate.SudokuModel``), or with ``allow_arm`` an ``ARMSolver`` when the checkpoint's
    is not an MDM (``train.config.is_mdm_checkpoint``: objective "ar"); tests replace this to inject a fake model."""
    if allow_arm and checkpoint is not None and Path(checkpoint).exists():
        config = read_config(resolve(checkpoint))
        if not is_mdm_checkpoint(config):
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
    for i, line in enumerate(read_text(path, "puzzle file").splitlines(), 1):
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
    if getattr(args, "task", "sudoku") != "zebra" and (args.size or args.sizes):
        raise InputError("--size and --sizes apply to --task zebra only")
    if getattr(args, "task", "sudoku") == "zebra":
        from anyorder.cli.zebra_solve import cmd_solve_zebra
        if args.puzzle is not None and "=" in args.puzzle.split()[0] and " " not in args.puzzle:
            args.plan, args.puzzle = [args.puzzle] + list(args.plan), None
        return cmd_solve_zebra(args)
    if args.puzzle is not None and "=" in args.puzzle:  # `solve --file F score=x`: argparse took it as PUZZLE
        args.plan, args.puzzle = [args.puzzle] + list(args.plan), None
    if args.beam is not None:  # alias of mode=beam beam_width=N; explicit KEY=VALUE items win
        if args.beam < 1:
            raise InputError(f"--beam must be >= 1, got {args.beam}")
        args.plan = ["mode=beam", f"beam_width={args.beam}"] + list(args.plan)
    plan = plan_from_args(args)
    puzzles, labels, solutions = read_puzzles(args)
    report_ambiguous(puzzles, labels)
    sm = load_model(args.checkpoint, args.device, allow_arm=True)
    grids, what, nfe = (solve_arm if isinstance(sm, ARMSolver) else solve_mdm)(args, sm, puzzles, plan)
    if solutions is not None:
        print(accuracy_summary(grids, puzzles, solutions, what), file=sys.stderr)
    valid = per_puzzle(grids, puzzles, None)["valid"]
    if args.summary:  # before the output: the exit status below may be 1 (some output invalid)
        summary = solve_summary(grids, puzzles, solutions, nfe, what, plan, args, getattr(sm, "path", args.checkpoint))
        atomic_write(args.summary, json.dumps(summary, indent=1, default=str) + "\n")
    return _report(args, grids, valid, labels, puzzles)


def solve_summary(grids: np.ndarray, puzzles: np.ndarray, solutions: np.ndarray | None, nfe: np.ndarray | None,
                  what: str, plan, args, checkpoint: str | None) -> dict:
    """The ``--summary`` JSON: counts and percentages (exact / cell only when the file has solutions, else
    None), mean NFE (model calls per puzzle; None for ARMs), and what produced them (model, plan, files)."""
    m = per_puzzle(grids, puzzles, solutions)
    n = len(puzzles)
    pct = lambda key: None if key not in m else round(100 * float(m[key].mean()), 4)  # noqa: E731
    return {"format": "anyorder-solve-summary", "version": 1, "task": "sudoku", "model": what,
            "checkpoint": None if checkpoint is None else str(checkpoint), "plan": plan_record(plan),
            "seed": args.seed, "device": args.device, "precision": getattr(args, "precision", "fp32"),
            "file": args.file, "limit": args.limit, "output": args.output, "n": n, "n_valid": int(m["valid"].sum()),
            "valid_pct": pct("valid"),
            "n_exact": int(m["exact"].sum()) if "exact" in m else None, "exact_pct": pct("exact"),
            "cell_pct": pct("cell"), "mean_nfe": None if nfe is None else float(np.mean(nfe))}


def solve_mdm(args, sm, puzzles: np.ndarray, plan) -> tuple[np.ndarray, str, np.ndarray]:
    """MDM decoding with the plan -> (grids (N, 81), description, NFE per puzzle (N,))."""
    if plan.mode in ("greedy", "beam"):
        raise InputError(f"mode={plan.mode} (or --beam) needs an ARM checkpoint; MDMs decode with mode=unmask, "
                         "remask, selfcorrect, bestofn, restart, backtrack, orderbeam or beamback")
    noise = "none" if plan.noise == "none" else (f"{plan.noise} {plan.noise_scale:g}"
                                                 + (" annealed" if plan.noise_anneal else ""))
    what = f"MDM {plan.score_name}, noise {noise}, {plan.mode}, budget {plan.budget}, {plan.steps} steps"
    if plan.propagate != "none" and plan.mode in ("backtrack", "beamback"):
        what += f", {plan.propagate} fills"
    rules = sudoku_rules(sm)  # the rule hooks, for the decoders that use a verifier (bestofn, backtrack, ...)
    if args.save or args.html:
        from anyorder.experiments.visual.sudoku import order_pictures

        for path in order_pictures(sm, puzzles[0], [plan], args.save, args.html, args.seed, args.device):
            print(f"wrote {path}", file=sys.stderr)
    if not args.show:
        dec = decode_puzzles(sm, puzzles, plan, 256, args.device, args.seed, checker=rules)
        return dec.grids, what, dec.nfe
    dec, trace = decode_puzzles(sm, puzzles[:1], plan, 1, args.device, args.seed, trace=True, checker=rules)
    show_decoding(puzzles[0], trace, sm.codec, plan)
    decs = [dec] + ([decode_puzzles(sm, puzzles[1:], plan, 256, args.device, args.seed + 1, checker=rules)]
                    if len(puzzles) > 1 else [])
    return np.concatenate([d.grids for d in decs]), what, np.concatenate([d.nfe for d in decs])


def solve_arm(args, arm: ARMSolver, puzzles: np.ndarray, plan) -> tuple[np.ndarray, str, None]:
    """ARM decoding (``experiments.sudoku.arm``): greedy (mode=greedy, or the default mode) or mode=beam with
    ``beam_width`` beams (``--beam N``); empty cells may be named, filled ones never ("format" constraint)."""
    if args.show or args.save or args.html:
        raise InputError("--show (and --save, --html) needs an MDM checkpoint (an ARM writes one cell per step, "
                         "in its own order)")
    if plan.mode not in ("unmask", "greedy", "beam"):
        raise InputError(f"an ARM checkpoint decodes with mode=greedy or mode=beam, not mode={plan.mode}")
    beam = plan.beam_width if plan.mode == "beam" else 1
    grids = decode_sudoku_arm(arm.model, puzzles, beam_width=beam).grid.numpy().astype(np.int8)
    return grids, f"ARM {'greedy' if beam == 1 else f'beam {beam}'}", None


def accuracy_summary(grids: np.ndarray, puzzles: np.ndarray, solutions: np.ndarray, what: str) -> str:
    """One line: exact / valid / cell accuracy (``tasks.sudoku.metrics.per_puzzle``) on puzzles with known
    solutions."""
    m = per_puzzle(grids, puzzles, solutions)
    n, k = len(puzzles), int(m["exact"].sum())
    return (f"accuracy ({what}) on {n} puzzles: exact {100 * k / n:.1f}% ({k}/{n}), "
            f"valid {100 * m['valid'].mean():.1f}%, cell {100 * m['cell'].mean():.1f}%")


def report_ambiguous(puzzles: np.ndarray, labels: list[str]) -> None:
    """Say on stderr which puzzles have more than one solution (the output is then one of them; every valid
    completion counts as solved) or none (only dataset rows get here: text puzzles without one are rejected)."""
    counts = count_solutions(puzzles, limit=2)
    for what, sel in (("more than one solution; the output is the one the model found", counts > 1),
                      ("no solution; its output cannot be valid", counts == 0)):
        names = [lab for lab, s in zip(labels, sel) if s]
        if names:
            print(f"note: {len(names)} of {len(labels)} puzzles have {what}: {', '.join(names[:10])}"
                  + (" ..." if len(names) > 10 else ""), file=sys.stderr)


def invalid_reason(grid: np.ndarray, puzzle: np.ndarray) -> str:
    """Why ``grid`` (81,) is not a solution of ``puzzle`` (81,): a blank left, a given changed, or the first
    row / column / box with a repeated digit."""
    grid, puzzle = np.asarray(grid).reshape(81), np.asarray(puzzle).reshape(81)
    cell = lambda i: f"r{i // 9 + 1}c{i % 9 + 1}"  # noqa: E731
    if (grid == 0).any():
        return f"{int((grid == 0).sum())} cells left blank (first {cell(int(np.argmax(grid == 0)))})"
    changed = np.flatnonzero((puzzle > 0) & (grid != puzzle))
    if len(changed):
        return f"given {cell(int(changed[0]))} changed from {int(puzzle[changed[0]])} to {int(grid[changed[0]])}"
    names = [f"row {i + 1}" for i in range(9)] + [f"column {i + 1}" for i in range(9)] + \
        [f"box {i + 1}" for i in range(9)]
    for name, cells in zip(names, GROUPS):
        values, counts = np.unique(grid[cells], return_counts=True)
        if (counts > 1).any():
            return f"digit {int(values[np.argmax(counts > 1)])} repeated in {name}"
    return "not a valid solution"


def _report(args, grids: np.ndarray, valid: np.ndarray, labels: list[str], puzzles: np.ndarray) -> int:
    if args.output:
        atomic_write(args.output, "".join("".join(map(str, g)) + "\n" for g in grids))
    elif args.file:
        for g in grids:
            print("".join(map(str, g)))
    else:
        print(format_grid(grids[0]))
    bad = [i for i, ok in enumerate(valid) if not ok]
    if bad:
        named = ", ".join(f"{labels[i]} ({invalid_reason(grids[i], puzzles[i])})" for i in bad[:10])
        print(f"error: {len(bad)} of {len(labels)} outputs are not valid solutions: {named}"
              + (" ..." if len(bad) > 10 else ""), file=sys.stderr)
        return 1
    if args.output:
        print(f"solved {len(labels)} puzzles -> {args.output}", file=sys.stderr)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    return run_demo(args, load_model(args.checkpoint, args.device), plan=plan_from_args(args))
