"""Memory-mapped token shards of packed text (the text task's data; docs/text.md).

``build_shards(documents, out_dir, ...)`` trains a byte-level BPE (HF ``tokenizers``, ``BPETokenizer``) on the
documents unless a tokenizer is given, encodes each document, appends the document separator [EOS] after it and
writes one token stream; the stream is cut into rows of ``seq_len`` tokens (fixed-length packing: a row may hold
the end of one document, [EOS], and the start of the next; the last partial row is dropped). Rows are grouped in
blocks of ``block_rows`` consecutive rows and a seeded ``val_fraction`` of the blocks goes to validation, so the
two splits share no text. Output directory::

    meta.json           {"format": "anyorder-text-shards", "seq_len", "dtype", "vocab_size", "eos_id", "mask_id",
                         "rows": {"train": n, "validation": m}, "n_tokens", "n_documents", "sources", ...}
    tokenizer.json      the BPE (BPETokenizer.save)
    train.bin           (n, seq_len) uint16 (uint32 if vocab_size > 65536), raw C order, np.memmap
    validation.bin      (m, seq_len) same dtype

``TextShards.open(dir)`` maps them read-only; training reads rows by index and never loads the corpus.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from anyorder.errors import InputError
from anyorder.tasks.text.corpus import Documents
from anyorder.tokenizers.registry import load_tokenizer

FORMAT = "anyorder-text-shards"
EOS = "[EOS]"
SPLITS = ("train", "validation")


def _dtype(vocab_size: int) -> np.dtype:
    return np.dtype(np.uint16 if vocab_size <= 1 << 16 else np.uint32)


def train_tokenizer(documents: Documents, vocab_size: int, min_frequency: int = 2):
    """A byte-level BPE with [MASK]=0, [PAD]=1, [EOS]=2 trained on the documents (streamed)."""
    from anyorder.tokenizers.bpe import BPETokenizer

    return BPETokenizer.train((text for _, text in documents()), vocab_size, min_frequency=min_frequency,
                              extra_special=(EOS,))


def build_shards(documents: Documents, out_dir: str | Path, seq_len: int = 256, vocab_size: int = 4096,
                 val_fraction: float = 0.02, block_rows: int = 16, seed: int = 0, tokenizer=None,
                 sources: list[str] | None = None, progress: bool = False) -> dict[str, Any]:
    """Build the shards (module docstring) and return the meta dict. Refuses to overwrite existing shards."""
    if seq_len < 2 or not 0.0 <= val_fraction < 1.0 or block_rows < 1:
        raise InputError(f"need seq_len >= 2, 0 <= val_fraction < 1, block_rows >= 1; got {seq_len}, "
                         f"{val_fraction}, {block_rows}")
    out = Path(out_dir)
    if (out / "meta.json").exists():
        raise InputError(f"{out} already holds text shards (meta.json); choose another directory or delete it")
    out.mkdir(parents=True, exist_ok=True)
    tok = tokenizer if tokenizer is not None else train_tokenizer(documents, vocab_size)
    eos = tok.special_tokens.get("eos")
    if eos is None:
        raise InputError("the tokenizer has no [EOS] document separator")
    dtype = _dtype(tok.vocab_size)
    stream_path = out / "stream.tmp"
    n_tokens = n_docs = 0
    with open(stream_path, "wb") as f:
        for _, text in tqdm(documents(), desc="encode", unit="doc", disable=not progress):
            ids = np.asarray(tok.encode(text) + [eos], dtype=dtype)
            f.write(ids.tobytes())
            n_tokens += ids.size
            n_docs += 1
    if n_docs == 0:
        stream_path.unlink()
        raise InputError("no documents")
    n_rows = n_tokens // seq_len
    if n_rows < 2:
        stream_path.unlink()
        raise InputError(f"corpus too small: {n_tokens} tokens make {n_rows} rows of {seq_len}")
    stream = np.memmap(stream_path, dtype=dtype, mode="r", shape=(n_rows, seq_len))
    n_blocks = -(-n_rows // block_rows)
    n_val_blocks = min(n_blocks - 1, max(1 if val_fraction > 0 else 0, round(val_fraction * n_blocks)))
    val_blocks = np.zeros(n_blocks, dtype=bool)
    val_blocks[np.random.default_rng([seed, 5]).choice(n_blocks, n_val_blocks, replace=False)] = True
    is_val = np.repeat(val_blocks, block_rows)[:n_rows]
    rows = {}
    for split, select in (("train", ~is_val), ("validation", is_val)):
        index = np.flatnonzero(select)
        rows[split] = int(index.size)
        if index.size:
            mm = np.memmap(out / f"{split}.bin", dtype=dtype, mode="w+", shape=(index.size, seq_len))
            for lo in range(0, index.size, 4096):  # copy in chunks: bounded memory
                mm[lo:lo + 4096] = stream[index[lo:lo + 4096]]
            mm.flush()
            del mm
        else:
            (out / f"{split}.bin").write_bytes(b"")
    del stream
    stream_path.unlink()
    tok_config = tok.save(out)
    meta = {"format": FORMAT, "format_version": 1, "seq_len": seq_len, "dtype": dtype.name,
            "vocab_size": tok.vocab_size, "eos_id": int(eos), "mask_id": tok.mask_id, "pad_id": tok.pad_id,
            "rows": rows, "n_tokens": n_tokens, "n_tokens_packed": n_rows * seq_len, "n_documents": n_docs,
            "val_fraction": val_fraction, "block_rows": block_rows, "seed": seed, "tokenizer": tok_config,
            "sources": list(sources or [])}
    tmp = out / "meta.json.tmp"
    tmp.write_text(json.dumps(meta, indent=2) + "\n")
    os.replace(tmp, out / "meta.json")  # meta.json last: its presence means the shards are complete
    return meta


@dataclass(frozen=True, eq=False)
class TextShards:
    """Read-only view of a shard directory: ``meta``, ``tokenizer`` and ``split(name) -> (rows, seq_len) memmap``."""

    directory: Path
    meta: dict[str, Any]
    tokenizer: Any

    @classmethod
    def open(cls, directory: str | Path) -> "TextShards":
        d = Path(directory).expanduser()
        path = d / "meta.json"
        if not path.is_file():
            raise InputError(f"{d}: no text shards here (missing meta.json); build them with `anyorder data text`")
        try:
            meta = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as e:
            raise InputError(f"{path}: unreadable: {e}") from e
        if meta.get("format") != FORMAT:
            raise InputError(f"{path}: not an {FORMAT} file (format={meta.get('format')!r})")
        return cls(d, meta, load_tokenizer(meta["tokenizer"], d))

    @property
    def seq_len(self) -> int:
        return int(self.meta["seq_len"])

    def split(self, name: str) -> np.ndarray:
        if name not in SPLITS:
            raise InputError(f"unknown split {name!r}; valid: {list(SPLITS)}")
        n = int(self.meta["rows"][name])
        path = self.directory / f"{name}.bin"
        dtype = np.dtype(self.meta["dtype"])
        if not path.is_file() or path.stat().st_size != n * self.seq_len * dtype.itemsize:
            raise InputError(f"{path}: missing or wrong size (expected {n} x {self.seq_len} {dtype.name})")
        if n == 0:
            return np.zeros((0, self.seq_len), dtype=dtype)
        return np.memmap(path, dtype=dtype, mode="r", shape=(n, self.seq_len))
