"""Tokenizer round trip and fixed-length packing with document boundaries on a tiny synthetic corpus."""
import numpy as np
import pytest

from anyorder.errors import InputError
from anyorder.tasks.text.corpus import local_documents
from anyorder.tasks.text.shards import TextShards, build_shards, train_tokenizer

from text_fixtures import build_tiny_shards, write_corpus


def test_bpe_round_trip_and_specials(tmp_path):
    docs = local_documents([write_corpus(tmp_path / "c")])
    tok = train_tokenizer(docs, vocab_size=300)
    assert tok.special_tokens == {"mask": 0, "pad": 1, "eos": 2}
    for _, text in docs():
        assert tok.decode(tok.encode(text)) == text
    unseen = "Zebras graze; 42 naïve émigrés!"
    assert tok.decode(tok.encode(unseen)) == unseen  # byte level: any text encodes


def test_packing_is_the_eos_separated_stream(tmp_path):
    out = build_tiny_shards(tmp_path, seq_len=16)
    sh = TextShards.open(out)
    tok, meta = sh.tokenizer, sh.meta
    docs = [t for _, t in local_documents([tmp_path / "corpus"])()]
    stream = np.concatenate([np.array(tok.encode(t) + [meta["eos_id"]]) for t in docs])
    assert meta["n_tokens"] == stream.size and meta["n_documents"] == len(docs)
    n_rows = stream.size // 16
    rows = stream[: n_rows * 16].reshape(n_rows, 16)
    train, val = sh.split("train"), sh.split("validation")
    assert train.shape[0] + val.shape[0] == n_rows and val.shape[0] > 0
    assert isinstance(train, np.memmap) and train.dtype == np.uint16
    # every packed row appears in exactly one split, in stream order, blocks of 2 rows kept together
    blocks = np.arange(n_rows) // 2
    is_val = np.zeros(n_rows, dtype=bool)
    j = 0
    for i in range(n_rows):
        if j < val.shape[0] and np.array_equal(rows[i], val[j]):
            is_val[i], j = True, j + 1
    assert j == val.shape[0]
    assert np.array_equal(np.asarray(train), rows[~is_val])
    assert all(len(set(is_val[blocks == b])) == 1 for b in range(blocks.max() + 1))
    # document boundaries: the number of [EOS] tokens packed equals the documents that end inside the rows
    assert (rows == meta["eos_id"]).sum() == (np.cumsum([len(tok.encode(t)) + 1 for t in docs]) <= n_rows * 16).sum()


def test_shards_refuse_overwrite_and_bad_dirs(tmp_path):
    out = build_tiny_shards(tmp_path)
    with pytest.raises(InputError, match="already holds"):
        build_shards(local_documents([tmp_path / "corpus"]), out, seq_len=16, vocab_size=300)
    with pytest.raises(InputError, match="missing meta.json"):
        TextShards.open(tmp_path)
    (out / "train.bin").write_bytes(b"\x00\x01")
    with pytest.raises(InputError, match="wrong size"):
        TextShards.open(out).split("train")
