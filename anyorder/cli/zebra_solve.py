"""``anyorder solve --task zebra``: solve Zebra puzzles with an MDM checkpoint (paper Sec. 4.7).

    anyorder solve --task zebra "= LHS c 0 1 RHS n 0 2 CLUE_END ..."        # one puzzle in Shah's clue tokens
    anyorder solve --task zebra --file puzzles.jsonl --output answers.jsonl   # JSON lines or clue-token lines
    anyorder solve --task zebra --file - < puzzles.txt                        # stdin
    anyorder solve --task zebra PUZZLE --show     # the answer table filling in decode order
Writes one JSON line per puzzle: {"answer": (m + 1) x n table (row 0 = houses, -1 = undecided), "valid": bool,
"exact": bool when the input carries the answer}; --summary PATH writes the counts as JSON (as for Sudoku). Token lines without ANSWER take their size from the largest
indices used (or --size NxM). Exit status: 0 = every answer satisfies all clues; 1 = some do not; 2 = bad input.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from anyorder.cli.plan_args import plan_from_args, plan_record
from anyorder.errors import InputError
from anyorder.evaluation.tasks import decode_problems
from anyorder.experiments.zebra.reproduce import DEFAULT_CHECKPOINT, load_zebra, mdm_evaluation
from anyorder.io import atomic_write
from anyorder.tasks.zebra.dataset import parse_sizes
from anyorder.tasks.zebra.formats import read_lines
from anyorder.tasks.zebra.metrics import verify


def read_items(args):
    n = m = None
    if getattr(args, "size", None):
        sizes = parse_sizes(args.size)
        if len(sizes) != 1:
            raise InputError(f"--size {args.size}: one size (HOUSESxATTRIBUTES, e.g. 4x4); to pick puzzles by size "
                             f"use --sizes {args.size}")
        ((n, m),) = sizes
    if (args.puzzle is None) == (args.file is None):
        raise InputError("give exactly one of PUZZLE or --file")
    if args.puzzle is not None:
        return read_lines([args.puzzle], "<argument>", n, m)
    if args.file == "-":
        return read_lines(sys.stdin.read().splitlines(), "<stdin>", n, m)
    path = Path(args.file)
    if not path.is_file():
        raise InputError(f"Zebra puzzle file {path} does not exist")
    return read_lines(path.read_text().splitlines(), str(path), n, m)


def cmd_solve_zebra(args) -> int:
    plan = plan_from_args(args)
    if plan.mode in ("greedy", "beam"):
        raise InputError(f"mode={plan.mode} needs an ARM; `solve --task zebra` decodes with an MDM")
    items = read_items(args)
    if getattr(args, "sizes", None):
        wanted = set(parse_sizes(args.sizes))
        items = [(p, o) for p, o in items if (p.n, p.m) in wanted]
        if not items:
            raise InputError(f"no puzzle of sizes {args.sizes} in the input")
    if args.limit is not None:
        items = items[:args.limit]
    loaded = load_zebra(args.checkpoint or DEFAULT_CHECKPOINT, args.device, "zebra")
    ev = mdm_evaluation(loaded, items)
    for i, (p, _) in enumerate(items):
        if p.n > ev.max_n or p.m > ev.max_m or len(p.clues) > ev.max_clues:
            hint = (f"; solve only the sizes it reads with --sizes 3-{ev.max_n}x2-{ev.max_m}"
                    if p.n > ev.max_n or p.m > ev.max_m else "")
            raise InputError(f"puzzle {i + 1} ({p.size}, {len(p.clues)} clues) exceeds what the checkpoint was "
                             f"trained on ({ev.max_n}x{ev.max_m}, <= {ev.max_clues} clues){hint}")
    problems = ev.problems()
    answers, res = decode_problems(loaded.model, ev, problems, plan, loaded.tokenizer.mask_id, seed=args.seed)
    ok = verify(problems.inputs.puzzles, answers)
    out = open(args.output, "w") if args.output else sys.stdout
    try:
        for i, (p, _) in enumerate(items):
            table = np.concatenate([np.arange(p.n)[None], answers[i][:p.m, :p.n]])
            rec = {"answer": table.tolist(), "valid": bool(ok[i])}
            if p.answer is not None:
                rec["exact"] = bool((table == p.answer).all())
            out.write(json.dumps(rec) + "\n")
            if args.show:
                print(show_order(p, res.order[i].cpu().numpy(), ev.max_clues, ev.max_n, table, ev.layout),
                      file=sys.stderr)
    finally:
        if args.output:
            out.close()
    hits = [bool((np.concatenate([np.arange(p.n)[None], answers[i][:p.m, :p.n]]) == p.answer).all())
            for i, (p, _) in enumerate(items) if p.answer is not None]
    if hits:
        print(f"exact: {100 * np.mean(hits):.1f}% of {len(hits)} puzzles with answers", file=sys.stderr)
    if getattr(args, "summary", None):
        summary = {"format": "anyorder-solve-summary", "version": 1, "task": "zebra", "model": "MDM",
                   "checkpoint": str(args.checkpoint or DEFAULT_CHECKPOINT), "plan": plan_record(plan),
                   "seed": args.seed, "device": args.device, "precision": getattr(args, "precision", "fp32"),
                   "file": args.file, "limit": args.limit,
                   "output": args.output, "n": len(items), "n_valid": int(ok.sum()),
                   "valid_pct": round(100 * float(ok.mean()), 4), "n_with_answers": len(hits),
                   "n_exact": int(sum(hits)) if hits else None,
                   "exact_pct": round(100 * float(np.mean(hits)), 4) if hits else None, "cell_pct": None,
                   "mean_nfe": float(res.nfe.float().mean())}
        atomic_write(args.summary, json.dumps(summary, indent=1, default=str) + "\n")
    return 0 if ok.all() else 1


def show_order(p, order: np.ndarray, max_clues: int, max_n: int, table: np.ndarray, layout: str = "table") -> str:
    """The answer table with the decode step of each cell ("value@step"), rows = attributes, columns = houses.
    "house" layout: the slots are (attribute, value), so cell (a, h) shows the step of the slot of its value."""
    steps = order[4 * max_clues:].reshape(-1, max_n)
    if layout == "house":
        values = table[1:, :p.n]
        by_value = steps[:p.m, :]
        steps = np.where(values >= 0, np.take_along_axis(by_value, np.maximum(values, 0), axis=1), -1)
    lines = ["attr\\house " + " ".join(f"{h:>6}" for h in range(p.n))]
    for a in range(p.m):
        lines.append(f"{a:>11} " + " ".join(f"{table[a + 1, h]:>3}@{steps[a, h]:<2}" for h in range(p.n)))
    return "\n".join(lines)
