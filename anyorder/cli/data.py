"""``anyorder data sudoku``: build Sudoku train/test/hard splits (data.md; docs/data-format.md).

Thin edge: parses arguments and calls ``anyorder.tasks.sudoku.dataset``.
"""
from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from anyorder.cli import data_text
from anyorder.errors import ConfigError, InputError
from anyorder.io import check_new_path, output_lock
from anyorder.tasks.sudoku import dataset

PAPER_SIZES = {"train": 1_800_000, "test": 100_000, "hard": 1_000_000}
SEED_OFFSET = {"train": 0, "test": 1, "hard": 2}  # split s of --split all uses stream seed + SEED_OFFSET[s]


def register(subparsers) -> None:
    p = subparsers.add_parser("data", help="build datasets")
    sub = p.add_subparsers(dest="dataset", metavar="DATASET")
    s = sub.add_parser("sudoku", help="generate, rate and store Sudoku splits (resumable chunks)",
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    s.add_argument("out", help="output directory (or FILE.npz for one packed file; chunks are built in FILE.npz.chunks/, then packed and removed)")
    s.add_argument("--split", default="all", choices=["train", "test", "hard", "all"],
                   help="one split, or all three into OUT/train, OUT/test, OUT/hard")
    s.add_argument("--n", type=int, default=argparse.SUPPRESS,
                   help="puzzles in a single split (default: the paper's size of that split)")
    for name, size in PAPER_SIZES.items():
        s.add_argument(f"--{name}", type=int, default=size, help=f"size of the {name} split with --split all")
    s.add_argument("--seed", type=int, default=0, help="generator stream seed")
    s.add_argument("--chunk", type=int, default=10000, help="generated puzzles per chunk file")
    s.add_argument("--exclude", nargs="*", default=[], help="datasets whose puzzles must not appear")
    s.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    s.add_argument("--from", dest="source", default=argparse.SUPPRESS, metavar="FILE",
                   help="instead of generating: read a published collection (one puzzle per line, 81 characters "
                        "with 0 or . for blanks, optionally ,SOLUTION; or a CSV with a puzzle/quizzes column, or "
                        "a Shah .npy), solve and rate it, and write OUT as our .npz (or a directory)")
    s.add_argument("--limit", type=int, default=argparse.SUPPRESS, help="with --from: only the first N puzzles")
    s.set_defaults(func=run_sudoku)
    data_text.register(sub)  # data text, data text-corpus
    from anyorder.cli import zebra_data  # noqa: PLC0415 - `anyorder data zebra`
    zebra_data.register(sub)
    p.set_defaults(func=lambda args: p.print_help())


def _build_one(out: Path, split: str, n: int, seed: int, args, exclude: set) -> None:
    packed = out.suffix == ".npz"
    target = out.with_name(out.name + ".chunks") if packed else out
    dataset.build_split(target, split, n, seed, chunk=args.chunk, exclude=exclude,
                        progress=not args.no_progress)
    if packed:
        dataset.save_npz(out, dataset.load(target).arrays)
        shutil.rmtree(target)
    print(f"{split}: {n} puzzles -> {out}")


def convert(args) -> int:
    """``--from FILE``: a published collection -> our dataset format (rated, solutions solved if absent)."""
    from anyorder.tasks.sudoku.formats import load_any, read_plain, read_radcliffe_csv

    src = Path(args.source)
    if not src.exists():
        raise InputError(f"--from {src}: file does not exist")
    if src.suffix == ".csv":
        data = read_radcliffe_csv(src, args.limit)
    elif src.suffix in (".npy", ".npz") or src.is_dir():
        data = load_any(src)
        data = data.subset(slice(0, args.limit)) if args.limit is not None else data
    else:
        data = read_plain(src, args.limit)
    out = Path(args.out)
    if out.suffix == ".npz":
        out.parent.mkdir(parents=True, exist_ok=True)
        dataset.save_npz(out, data.arrays)
    else:
        out.mkdir(parents=True, exist_ok=True)
        dataset.save_npz(out / "chunk_00000.npz", data.arrays)
    givens = data.n_givens
    print(f"{len(data)} puzzles ({int(givens.min())}-{int(givens.max())} givens, "
          f"{int(data.solvable.sum())} solvable by the 7 techniques) -> {out}")
    return 0


def run_sudoku(args) -> int:
    args.source, args.limit = getattr(args, "source", None), getattr(args, "limit", None)
    if args.source is not None:
        return convert(args)
    if args.limit is not None:
        raise ConfigError("--limit needs --from")
    if args.chunk <= 0:
        raise ConfigError(f"--chunk must be positive, got {args.chunk}")
    sizes = [getattr(args, "n", None)] if args.split != "all" else [getattr(args, s) for s in PAPER_SIZES]
    if any(n is not None and n < 1 for n in sizes):
        raise ConfigError(f"split sizes must be >= 1, got {[n for n in sizes if n is not None]}")
    out = check_new_path(args.out, "dataset")
    out.parent.mkdir(parents=True, exist_ok=True)
    with output_lock(out):  # two builds of one dataset at once would interleave chunks
        return _run_sudoku(args, out)


def _run_sudoku(args, out: Path) -> int:
    exclude: set = set()
    for path in args.exclude:
        exclude |= dataset.puzzle_keys(dataset.load(path))
    if args.split != "all":
        n = getattr(args, "n", None) or PAPER_SIZES[args.split]
        _build_one(out, args.split, n, args.seed, args, exclude)
        return 0
    for split in ("test", "hard", "train"):  # train last: it excludes the evaluation splits
        _build_one(out / split, split, getattr(args, split), args.seed + SEED_OFFSET[split], args, exclude)
        exclude |= dataset.puzzle_keys(dataset.load(out / split))
    return 0
