"""Fuzz targets for every parser and file reader (issue 18, item 6). Each target takes fuzzed input and either
returns or raises one of the documented error types (``anyorder.errors.AnyorderError``); anything else is a crash.

Targets (name -> what it feeds):
  sudoku_text      bytes -> a puzzle file read by ``anyorder solve --file`` (cli.sudoku.read_text_puzzles)
  sudoku_csv       bytes -> a Radcliffe .csv dataset (tasks.sudoku.formats.load_any)
  sudoku_npz       bytes -> an .npz dataset file (tasks.sudoku.dataset.load)
  sudoku_npy       int array -> Shah .npy rows (tasks.sudoku.formats.read_shah)
  decode_tokens    bytes -> token lines for the Sudoku tokenizer (io.decode_text + cli.decode.parse_lines)
  train_overrides  KEY=VALUE strings -> anyorder train overrides (options.apply_overrides on a preset)
  plan_overrides   KEY=VALUE strings -> decoding plan items (cli.plan_args.plan_from_args)
  checkpoint_json  a valid config.json with one value replaced by fuzzed JSON, or raw bytes (checkpoint.load)

``CALLS`` counts the inputs each target received and ``ERRORS`` the documented errors each raised, by type
(scripts/fuzz.sh reports both). Files go to a fresh folder under ``$ANYORDER_FUZZ_TMP`` (default: the system
temporary directory); the large-budget driver points it at /dev/shm where it exists.
"""
from __future__ import annotations

import argparse
import collections
import copy
import json
import os
import re
import tempfile
from pathlib import Path

import numpy as np
import torch

from anyorder.errors import AnyorderError

ALLOWED = (AnyorderError,)
CALLS: collections.Counter = collections.Counter()
ERRORS: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
MESSAGES: dict[tuple[str, str], set] = collections.defaultdict(set)
"""(target, error type) -> distinct messages with the numbers replaced by '#' (at most 1,000 kept)."""


def record(target: str, error: BaseException) -> None:
    """Count one documented error that ``target`` raised."""
    kind = type(error).__name__
    ERRORS[target][kind] += 1
    seen = MESSAGES[target, kind]
    if len(seen) < 1000:
        seen.add(re.sub(r"\d+", "#", str(error).splitlines()[0] if str(error) else "")[:120])
_WORK = Path(tempfile.mkdtemp(prefix="anyorder-fuzz-", dir=os.environ.get("ANYORDER_FUZZ_TMP")))


def _file(name: str, data: bytes) -> Path:
    path = _WORK / name
    path.write_bytes(data)
    return path


def sudoku_text(data: bytes) -> None:
    from anyorder.cli.sudoku import read_text_puzzles

    CALLS["sudoku_text"] += 1
    read_text_puzzles(_file("puzzles.txt", data))


def sudoku_csv(data: bytes) -> None:
    from anyorder.tasks.sudoku.formats import load_any

    CALLS["sudoku_csv"] += 1
    load_any(_file("data.csv", data))


def sudoku_npz(data: bytes) -> None:
    from anyorder.tasks.sudoku.dataset import load

    CALLS["sudoku_npz"] += 1
    load(_file("data.npz", data))


def sudoku_npy(rows: np.ndarray) -> None:
    from anyorder.tasks.sudoku.formats import read_shah

    CALLS["sudoku_npy"] += 1
    path = _WORK / "rows.npy"
    np.save(path, rows)
    read_shah(path)


def _sudoku_tokenizer():
    from anyorder.tokenizers.symbols import SymbolTable

    return SymbolTable(("[MASK]",) + tuple("123456789"), mask_id=0)


def decode_tokens(data: bytes) -> None:
    from anyorder.cli.decode import parse_lines
    from anyorder.io import decode_text

    CALLS["decode_tokens"] += 1
    text = decode_text(data, "<fuzz>")
    parse_lines(text.splitlines(), _sudoku_tokenizer(), 81, exact=True)


def train_overrides(items: list[str]) -> None:
    from anyorder.configs import get_config
    from anyorder.options import apply_overrides

    CALLS["train_overrides"] += 1
    apply_overrides(get_config("toy-mdm"), items)


def plan_overrides(items: list[str]) -> None:
    from anyorder.cli.plan_args import plan_from_args

    CALLS["plan_overrides"] += 1
    plan_from_args(argparse.Namespace(plan=items))


_CKPT: dict = {}


def _tiny_checkpoint() -> tuple[Path, dict]:
    """A tiny valid checkpoint (built once) and its config."""
    if not _CKPT:
        from anyorder.models.transformer import ModelConfig, Transformer
        from anyorder.train.checkpoint import save_checkpoint

        cfg = ModelConfig(vocab_size=10, max_len=81, n_layers=1, d_model=8, n_heads=2)
        torch.manual_seed(0)
        path = save_checkpoint(_WORK / "ckpt", 1, {
            "model": cfg.to_dict(), "tokenizer": _sudoku_tokenizer().to_dict(),
            "task": {"name": "sudoku", "options": {}, "metadata": {}}, "objective": "mdm", "train": None},
            Transformer(cfg).state_dict())
        _CKPT["path"], _CKPT["config"] = path, json.loads((path / "config.json").read_text())
        _CKPT["original"] = (path / "config.json").read_bytes()
    return _CKPT["path"], _CKPT["config"]


def config_paths(config: dict) -> list[tuple]:
    """Every key path of a JSON dict (the places a fuzzed value may go)."""
    out = []

    def walk(obj, prefix):
        if isinstance(obj, dict):
            for k, v in obj.items():
                out.append(prefix + (k,))
                walk(v, prefix + (k,))
    walk(config, ())
    return out


def checkpoint_json(edit: tuple[int, object] | bytes) -> None:
    """``edit`` = (index into config_paths, new JSON value) or raw bytes for config.json."""
    from anyorder.train.checkpoint import load

    CALLS["checkpoint_json"] += 1
    path, config = _tiny_checkpoint()
    if isinstance(edit, bytes):
        data = edit
    else:
        index, value = edit
        paths = config_paths(config)
        keys = paths[index % len(paths)]
        cfg = copy.deepcopy(config)
        target = cfg
        for k in keys[:-1]:
            target = target[k]
        target[keys[-1]] = value
        data = json.dumps(cfg).encode()
    try:
        (path / "config.json").write_bytes(data)
        load(path)
    finally:
        (path / "config.json").write_bytes(_CKPT["original"])


TARGETS = ("sudoku_text", "sudoku_csv", "sudoku_npz", "sudoku_npy", "decode_tokens", "train_overrides",
           "plan_overrides", "checkpoint_json")
