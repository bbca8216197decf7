"""Sudoku datasets: the on-disk format (docs/data-format.md) and the resumable split builder.

A dataset is a single ``.npz`` file or a directory of ``chunk_*.npz`` files plus ``meta.json``. Arrays
(n = number of puzzles): puzzles, solutions (n, 81) int8 (0 = blank); order (n, 81) int8 blank cells in solver
order, -1 padded; technique (n, 81) int8 per placement (ids in techniques.TECHNIQUES); n_givens, hardest (n,)
int8; solvable (n,) bool; index (n,) int64 position in the generator stream ``meta.seed``.
Splits (data.md): train/test = puzzles the 7 techniques solve, hard = the rest (paper Sec. 4.5, Table 5).
"""
from __future__ import annotations

import json
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from anyorder.errors import ConfigError, InputError
from anyorder.io import atomic_path, atomic_write

FIELDS = ("puzzles", "solutions", "order", "technique", "n_givens", "hardest", "solvable", "index")
SPLITS = ("train", "test", "hard")
FORMAT = "anyorder-sudoku"
FORMAT_VERSION = 1
SHIPPED = Path(__file__).resolve().parents[2] / "assets" / "sudoku"  # test.npz, hard.npz (1,000 puzzles each)


@dataclass(frozen=True, eq=False)
class SudokuData:
    """A loaded dataset: one numpy array per name in FIELDS (first axis = puzzle)."""

    arrays: dict

    def __len__(self) -> int:
        return int(self.arrays["puzzles"].shape[0])

    def __getattr__(self, name):
        if name in FIELDS:
            return self.arrays[name]
        raise AttributeError(name)

    def subset(self, idx) -> "SudokuData":
        return SudokuData({k: v[idx] for k, v in self.arrays.items()})


def rated_arrays(puzzles: np.ndarray, solutions: np.ndarray, index: np.ndarray) -> dict:
    """Rate puzzles with the step solver and assemble the FIELDS arrays."""
    from anyorder.tasks.sudoku.techniques import rate

    r = rate(puzzles)
    return {"puzzles": puzzles.astype(np.int8), "solutions": solutions.astype(np.int8), "order": r["order"],
            "technique": r["technique"], "n_givens": (puzzles > 0).sum(1).astype(np.int8),
            "hardest": r["hardest"], "solvable": r["solvable"], "index": np.asarray(index, np.int64)}


def concat(parts: list[dict]) -> dict:
    return {k: np.concatenate([p[k] for p in parts]) for k in FIELDS}


def save_npz(path: str | Path, arrays: dict) -> None:
    """Write a dataset file atomically (tmp file + os.replace)."""
    with atomic_path(path, suffix=".npz") as tmp:
        np.savez_compressed(tmp, **{k: arrays[k] for k in FIELDS})


def _load_file(path: Path) -> dict:
    try:
        with np.load(path, allow_pickle=False) as z:
            if not hasattr(z, "files"):
                raise InputError(f"{path}: a single array, not an anyorder Sudoku dataset (.npz of {list(FIELDS)})")
            missing = [k for k in FIELDS if k not in z.files]
            if missing:
                raise InputError(f"{path}: not an anyorder Sudoku dataset (missing arrays {missing})")
            arrays = {k: z[k] for k in FIELDS}
    except (OSError, ValueError, EOFError, KeyError, RuntimeError, zipfile.BadZipFile, zlib.error) as e:
        raise InputError(f"{path}: cannot read Sudoku dataset: {type(e).__name__}: {e}") from None
    _check_arrays(arrays, path)
    return arrays


def _check_arrays(arrays: dict, path: Path) -> None:
    """Shapes (n, 81) / (n,), integer or bool dtypes and digits 0-9, so a damaged file fails here, by name."""
    n = arrays["puzzles"].shape[0] if arrays["puzzles"].ndim else -1
    for k, v in arrays.items():
        shape = (n, 81) if k in ("puzzles", "solutions", "order", "technique") else (n,)
        if v.shape != shape or not (np.issubdtype(v.dtype, np.integer) or v.dtype == np.bool_):
            raise InputError(f"{path}: array {k!r} has shape {v.shape} dtype {v.dtype}, expected {shape} integers")
    for k in ("puzzles", "solutions"):
        if n and ((arrays[k] < 0) | (arrays[k] > 9)).any():
            raise InputError(f"{path}: array {k!r} holds values outside 0-9")


def load(path: str | Path) -> SudokuData:
    """Load a dataset file (.npz) or directory (chunk_*.npz + meta.json, truncated to meta['n'])."""
    path = Path(path)
    if path.is_file():
        return SudokuData(_load_file(path))
    if not path.is_dir():
        raise InputError(f"Sudoku dataset {path} does not exist")
    chunks = sorted(path.glob("chunk_*.npz"))
    if not chunks:
        raise InputError(f"{path}: no chunk_*.npz files (build it with `anyorder data sudoku`)")
    arrays = concat([_load_file(c) for c in chunks])
    meta_path = path / "meta.json"
    if meta_path.exists():
        n = json.loads(meta_path.read_text()).get("n")
        if n is not None:
            arrays = {k: v[: int(n)] for k, v in arrays.items()}
    return SudokuData(arrays)


def _keep(arrays: dict, split: str, exclude: set[bytes]) -> dict:
    keep = arrays["solvable"] if split in ("train", "test") else ~arrays["solvable"]
    if exclude:
        keys = [row.tobytes() for row in arrays["puzzles"]]
        keep = keep & np.array([k not in exclude for k in keys], bool)
    return {k: v[keep] for k, v in arrays.items()}


def build_split(out: str | Path, split: str, n: int, seed: int, chunk: int = 10000,
                exclude: set[bytes] = frozenset(), progress: bool = True) -> Path:
    """Generate puzzles from stream ``seed`` in chunks of ``chunk`` until ``n`` of class ``split`` exist.

    Chunk k covers generator indices [k*chunk, (k+1)*chunk) and is written to out/chunk_{k:05d}.npz with the
    puzzles of this split's class (solvable for train/test, unsolvable for hard); existing chunks are reused,
    so an interrupted build resumes. ``exclude``: puzzle byte-strings (int8 rows) that must not appear.
    """
    from tqdm import tqdm

    from anyorder.tasks.sudoku.generate import generate

    if split not in SPLITS:
        raise ConfigError(f"unknown Sudoku split {split!r}; valid: {list(SPLITS)}")
    if n < 1 or chunk < 1:
        raise ConfigError(f"need n >= 1 and chunk >= 1 puzzles, got n={n}, chunk={chunk}")
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError(f"{out} exists and is not a directory; choose a new or existing dataset directory")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise InputError(f"cannot create dataset directory {out}: {e.strerror or e}") from None
    meta = {"format": FORMAT, "format_version": FORMAT_VERSION, "split": split, "seed": int(seed),
            "chunk": int(chunk), "n": None}
    if (out / "meta.json").exists():
        old = json.loads((out / "meta.json").read_text())
        if any(old.get(key) != meta[key] for key in ("split", "seed", "chunk")):
            raise ConfigError(f"{out} holds a different build ({old}); use another directory to build {meta}")
    atomic_write(out / "meta.json", json.dumps(meta, indent=1))
    total, k = 0, 0
    bar = tqdm(total=n, desc=f"sudoku {split}", unit="puzzle", disable=not progress)
    while total < n:
        path = out / f"chunk_{k:05d}.npz"
        if path.exists():
            kept = _load_file(path)
        else:
            p, s = generate(chunk, seed, start=k * chunk)
            kept = _keep(rated_arrays(p, s, np.arange(k * chunk, (k + 1) * chunk)), split, exclude)
            save_npz(path, kept)
        got = len(kept["puzzles"])
        bar.update(min(got, n - total))
        total += got
        k += 1
    bar.close()
    meta["n"] = int(n)
    atomic_write(out / "meta.json", json.dumps(meta, indent=1))
    return out


def shipped(split: str, n: int | None = None, path: str | Path | None = None) -> SudokuData:
    """The first ``n`` puzzles of the split shipped with the package ("test" | "hard"), or of the dataset at
    ``path`` when given; InputError names the places looked at."""
    candidates = [Path(path)] if path else [SHIPPED / f"{split}.npz", SHIPPED / split]
    for p in candidates:
        if p.exists():
            data = load(p)
            return data.subset(slice(0, n)) if n is not None else data
    raise InputError(f"Sudoku split {split!r} not found (looked for {', '.join(map(str, candidates))}); "
                     f"shipped splits: ['hard', 'test']")


def puzzle_keys(data: SudokuData) -> set[bytes]:
    """Exact-string keys of a dataset's puzzles (for disjointness checks)."""
    return {row.tobytes() for row in data.puzzles}
