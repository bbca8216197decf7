"""Zebra generator / solver throughput and clue statistics by size (docs/zebra.md).

Usage: OMP_NUM_THREADS=1 python benchmarks/zebra_generate.py [--per-size 20] [--seed 0]
Prints, per size: puzzles/s of the generator (incl. the final solve; the numba solver is compiled / loaded from
its cache before timing), solves/s of the deductive solver (numba loop) on the
finished puzzles, SAT uniqueness checks/s, clues per puzzle (mean / max) and the clue-type shares.
CPU time (time.process_time) is reported as well as wall time because the machine may be shared.
"""
from __future__ import annotations

import argparse
import collections
import time

import numpy as np

from anyorder.tasks.zebra.generate import SIZES, generate_one
from anyorder.tasks.zebra.puzzle import CLUE_TYPES
from anyorder.tasks.zebra.solver import solve
from anyorder.tasks.zebra.uniqueness import count_solutions


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--per-size", type=int, default=20)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    print("| size | gen puzzles/s (CPU) | solves/s (CPU) | SAT checks/s (CPU) | clues mean | clues max | "
          + " | ".join(CLUE_TYPES) + " |")
    print("|" + "---|" * (6 + len(CLUE_TYPES)))
    generate_one(3, 3, np.random.default_rng(0))  # load / compile the numba solver before timing
    total = collections.Counter()
    gen_cpu_all, count_all = 0.0, 0
    for n, m in SIZES:
        rng = np.random.default_rng([args.seed, n, m])
        c0 = time.process_time()
        items = [generate_one(n, m, rng) for _ in range(args.per_size)]
        gen_cpu = time.process_time() - c0
        c0 = time.process_time()
        for p, _ in items:
            solve(p)
        solve_cpu = time.process_time() - c0
        c0 = time.process_time()
        unique = all(count_solutions(p) == 1 for p, _ in items)
        sat_cpu = time.process_time() - c0
        assert unique
        k = np.array([len(p.clues) for p, _ in items])
        kinds = collections.Counter(c.kind for p, _ in items for c in p.clues)
        total.update(kinds)
        gen_cpu_all += gen_cpu
        count_all += len(items)
        share = " | ".join(f"{100 * kinds[t] / k.sum():.0f}%" for t in CLUE_TYPES)
        print(f"| {n}x{m} | {len(items) / gen_cpu:.1f} | {len(items) / solve_cpu:.0f} | {len(items) / sat_cpu:.0f} | "
              f"{k.mean():.1f} | {k.max()} | {share} |")
    share = " | ".join(f"{100 * total[t] / sum(total.values()):.0f}%" for t in CLUE_TYPES)
    print(f"| all (uniform sizes) | {count_all / gen_cpu_all:.1f} | | | | | {share} |")


if __name__ == "__main__":
    main()
