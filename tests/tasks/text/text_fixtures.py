"""A tiny synthetic corpus and shards for the text task's tests."""
from __future__ import annotations

import random
from pathlib import Path

WORDS = ("the cat dog sat on mat log and a ran far home quickly slowly red blue green big small "
         "house tree river hill bird fish sun moon").split()


def write_corpus(directory: Path, n_docs: int = 12, words: int = 150, seed: int = 0) -> Path:
    """``n_docs`` text files of random sentences under ``directory`` (one document each)."""
    rng = random.Random(seed)
    directory.mkdir(parents=True, exist_ok=True)
    for d in range(n_docs):
        sentences = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 9))).capitalize() + "."
                     for _ in range(words // 6)]
        (directory / f"doc{d:02d}.txt").write_text(" ".join(sentences) + "\n")
    return directory


def build_tiny_shards(tmp_path: Path, seq_len: int = 16, vocab_size: int = 300):
    from anyorder.tasks.text.corpus import local_documents
    from anyorder.tasks.text.shards import build_shards

    corpus = write_corpus(tmp_path / "corpus")
    out = tmp_path / "shards"
    build_shards(local_documents([corpus]), out, seq_len=seq_len, vocab_size=vocab_size, val_fraction=0.2,
                 block_rows=2)
    return out
