"""Benchmark: generate AND rate Sudoku puzzles on all cores (issue acceptance: >= 100,000 in <= 15 minutes).

    python benchmarks/sudoku_generate.py --n 100000 --seed 0

Prints throughput (puzzles/s), the 7-technique pass rate, the givens histogram and technique usage counts
(steps per technique summed over puzzles, and puzzles whose hardest technique is each one).
"""
from __future__ import annotations

import argparse
import json
import time

import numba
import numpy as np
from _output import write_json

from anyorder.tasks.sudoku.generate import generate
from anyorder.tasks.sudoku.techniques import TECHNIQUES, rate


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--chunk", type=int, default=10_000)
    ap.add_argument("--json", default=None, help="also write the numbers to this JSON file")
    args = ap.parse_args()
    generate(4, args.seed + 1)  # compile (numba cache) outside the timed region
    rate(generate(4, args.seed + 1)[0])
    givens, hardest, solvable, counts = [], [], [], np.zeros(9, np.int64)
    t0 = time.perf_counter()
    for start in range(0, args.n, args.chunk):
        p, _ = generate(min(args.chunk, args.n - start), args.seed, start=start)
        r = rate(p)
        givens.append((p > 0).sum(1))
        hardest.append(r["hardest"])
        solvable.append(r["solvable"])
        counts += r["counts"].sum(0)
        done = start + len(p)
        print(f"{done:>8} puzzles  {done / (time.perf_counter() - t0):8.1f} puzzles/s", flush=True)
    secs = time.perf_counter() - t0
    givens, hardest, solvable = map(np.concatenate, (givens, hardest, solvable))
    out = {
        "n": args.n, "seconds": round(secs, 1), "puzzles_per_s": round(args.n / secs, 1),
        "threads": numba.get_num_threads(), "pass_rate_7_techniques": round(float(solvable.mean()), 4),
        "givens_histogram": {int(g): int(c) for g, c in zip(*np.unique(givens, return_counts=True))},
        "givens_mean": round(float(givens.mean()), 2),
        "steps_per_technique": {TECHNIQUES[t]: int(counts[t]) for t in TECHNIQUES},
        "hardest_technique_solvable": {TECHNIQUES[t]: int(((hardest == t) & solvable).sum()) for t in TECHNIQUES},
        "hardest_technique_unsolvable": {TECHNIQUES[t]: int(((hardest == t) & ~solvable).sum()) for t in TECHNIQUES},
    }
    print(json.dumps(out, indent=1))
    write_json(args.json, out)


if __name__ == "__main__":
    main()
