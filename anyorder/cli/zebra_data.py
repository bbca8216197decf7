"""``anyorder data zebra OUT``: generate Zebra train/test splits as JSON lines (docs/zebra.md).

Thin edge: registered by ``cli/data.py``; calls ``anyorder.tasks.zebra``.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from anyorder.errors import ConfigError
from anyorder.tasks.zebra.dataset import parse_sizes
from anyorder.tasks.zebra.formats import write_jsonl
from anyorder.tasks.zebra.generate import generate_parallel

SEED_OFFSET = {"train": 0, "test": 1}


def register(sub) -> None:
    z = sub.add_parser("zebra", help="generate Zebra puzzles (clues, answer table, solver order) as JSON lines",
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    z.add_argument("out", help="output directory: OUT/train.jsonl and OUT/test.jsonl")
    z.add_argument("--train", type=int, default=20000, help="train puzzles (Shah et al.: ~1.5M)")
    z.add_argument("--test", type=int, default=1000, help="test puzzles (Shah et al.: ~0.1M)")
    z.add_argument("--sizes", default="3-6x3-6", help="HOUSESxATTRIBUTES ranges, e.g. 3-6x3-6 or 3-4x3-4")
    z.add_argument("--seed", type=int, default=0, help="stream seed (test uses seed + 1)")
    z.add_argument("--workers", type=int, default=1, help="generator processes (same output for any number)")
    z.set_defaults(func=run_zebra)


def run_zebra(args) -> int:
    if args.train < 0 or args.test < 0:
        raise ConfigError("--train and --test must be non-negative")
    sizes = parse_sizes(args.sizes)
    out = Path(args.out)
    test_keys: set = set()
    for split in ("test", "train"):
        count = getattr(args, split)
        if not count:
            continue
        t = time.perf_counter()
        items = [x for x in generate_parallel(count, args.seed + SEED_OFFSET[split], sizes, args.workers)
                 if split == "test" or _key(x[0]) not in test_keys]
        if split == "test":
            test_keys = {_key(p) for p, _ in items}
        k = write_jsonl(out / f"{split}.jsonl", items)
        dt = time.perf_counter() - t
        print(f"{split}: {k} puzzles ({args.sizes}) -> {out / f'{split}.jsonl'} in {dt:.1f}s ({k / dt:.1f}/s)")
    return 0


def _key(p) -> tuple:
    return (p.n, p.m, p.clues)
