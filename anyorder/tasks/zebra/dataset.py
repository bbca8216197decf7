"""Zebra datasets: JSON-lines splits (formats.py), packed arrays, size filters, the shipped test split.

``anyorder data zebra OUT`` writes OUT/train.jsonl and OUT/test.jsonl (docs/zebra.md). The shipped split
(``anyorder/assets/zebra/test.jsonl``) is generated with seed ``SHIPPED_SEED`` over all sizes 3-6 x 3-6.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from anyorder.errors import ConfigError, InputError
from anyorder.tasks.zebra import encode
from anyorder.tasks.zebra.formats import read_file, write_jsonl
from anyorder.tasks.zebra.generate import generate
from anyorder.tasks.zebra.puzzle import MAX_SIZE, Puzzle

ASSETS = Path(__file__).resolve().parents[2] / "assets" / "zebra"
SHIPPED_SEED = 20250013


def parse_sizes(spec: str) -> tuple[tuple[int, int], ...]:
    """"3-6x3-6" (houses x attributes, inclusive ranges; "4x5" for one size) -> ((n, m), ...)."""
    mt = re.fullmatch(r"(\d)(?:-(\d))?x(\d)(?:-(\d))?", str(spec).strip())
    if not mt:
        raise ConfigError(f"bad Zebra sizes {spec!r}; expected HOUSESxATTRIBUTES ranges such as '3-6x3-6' or '4x4'")
    n0, n1, m0, m1 = (int(x) if x else None for x in mt.groups())
    n1, m1 = n1 or n0, m1 or m0
    if not (3 <= n0 <= n1 <= MAX_SIZE and 2 <= m0 <= m1 <= MAX_SIZE):
        raise ConfigError(f"Zebra sizes {spec!r} out of range 3-{MAX_SIZE} houses x 2-{MAX_SIZE} attributes")
    return tuple((n, m) for n in range(n0, n1 + 1) for m in range(m0, m1 + 1))


@dataclass(frozen=True, eq=False)
class Packed:
    """Packed puzzles (``encode.pack`` arrays) with their Puzzle objects; ``len`` and row selection."""

    arrays: dict
    puzzles: tuple

    def __len__(self) -> int:
        return len(self.puzzles)

    def select(self, idx) -> "Packed":
        idx = np.asarray(idx)
        return Packed({k: v[idx] for k, v in self.arrays.items()}, tuple(self.puzzles[int(i)] for i in idx))


def pack_items(items: list[tuple[Puzzle, np.ndarray | None]], max_clues: int, max_n: int = MAX_SIZE,
               max_m: int = MAX_SIZE) -> Packed:
    return Packed(encode.pack(items, max_clues, max_n, max_m), tuple(p for p, _ in items))


def load(path: str | Path, sizes: tuple | None = None, max_clues: int | None = None
         ) -> list[tuple[Puzzle, np.ndarray | None]]:
    """Puzzles of a file (either format), optionally only those of ``sizes`` with at most ``max_clues`` clues."""
    items = read_file(path)
    if sizes is not None:
        items = [x for x in items if (x[0].n, x[0].m) in set(sizes)]
    if max_clues is not None:
        items = [x for x in items if len(x[0].clues) <= max_clues]
    if not items:
        raise InputError(f"no Zebra puzzles of sizes {sizes} with <= {max_clues} clues in {path}")
    return items


@functools.lru_cache(maxsize=1)
def _shipped_items() -> tuple:
    path = ASSETS / "test.jsonl"
    if not path.is_file():
        raise InputError(f"shipped Zebra test split {path} is missing (build it with `anyorder data zebra`)")
    return tuple(read_file(path))


def shipped(n: int | None = None, sizes: tuple | None = None, max_clues: int | None = None):
    """The shipped test split (first ``n`` puzzles after the size / clue filters; parsed once per process)."""
    items = [x for x in _shipped_items() if (sizes is None or (x[0].n, x[0].m) in set(sizes))
             and (max_clues is None or len(x[0].clues) <= max_clues)]
    if not items:
        raise InputError(f"no shipped Zebra puzzles of sizes {sizes} with <= {max_clues} clues")
    return items[:n] if n else items


def build_split(path: str | Path, count: int, seed: int, sizes: tuple) -> int:
    """Generate ``count`` puzzles (sizes uniform over ``sizes``) into a JSON-lines file; returns the count."""
    return write_jsonl(path, generate(count, seed, sizes))
