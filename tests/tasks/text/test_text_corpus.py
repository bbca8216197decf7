"""Corpus readers: the R lazy-load database of janeaustenr (built here with rdata's writer), the KJV dump,
local files and Hugging Face datasets (a save_to_disk directory and the json builder)."""
import gzip
import json
import struct
import zlib

import numpy as np
import pytest

from anyorder.errors import InputError
from anyorder.tasks.text import corpus


def _serialize(tmp_path, obj) -> bytes:
    rdata = pytest.importorskip("rdata")
    path = tmp_path / "obj.rds"
    rdata.write_rds(path, obj, compression="gzip")
    return gzip.decompress(path.read_bytes())


def _fake_janeaustenr(tmp_path, books: dict[str, list[str]]):
    """Write data/Rdata.rdx + Rdata.rdb in R's lazy-load layout (module docstring of corpus)."""
    blob, index = b"", {}
    for name, lines in books.items():
        raw = _serialize(tmp_path, np.array(lines))
        chunk = struct.pack(">I", len(raw)) + zlib.compress(raw)
        index[name] = np.array([len(blob), len(chunk)], dtype=np.int32)
        blob += chunk
    data = tmp_path / "pkg" / "data"
    data.mkdir(parents=True)
    (data / "Rdata.rdb").write_bytes(blob)
    (data / "Rdata.rdx").write_bytes(gzip.compress(_serialize(tmp_path, {"variables": index, "references": {},
                                                                          "compressed": np.array([True])})))
    return tmp_path / "pkg"


def test_read_austen_reflows_paragraphs(tmp_path):
    books = {b: [f"{b.upper()}", "", "It is a truth", "universally acknowledged.", "", "", "Next para."]
             for b in corpus.AUSTEN_BOOKS}
    out = corpus.read_austen(_fake_janeaustenr(tmp_path, books))
    assert list(out) == list(corpus.AUSTEN_BOOKS)
    assert out["emma"] == "EMMA\n\nIt is a truth universally acknowledged.\n\nNext para."


def test_read_austen_missing_book(tmp_path):
    with pytest.raises(InputError, match="no variables"):
        corpus.read_austen(_fake_janeaustenr(tmp_path, {"emma": ["x"]}))


def test_parse_kjv_groups_books_and_chapters():
    dump = "Ge1:1 In the beginning.\nGe1:2 And the earth.\nGe2:1 Thus.\n\n1Jo1:1 That which was.\n"
    assert corpus.parse_kjv(dump) == {"Ge": "In the beginning. And the earth.\n\nThus.", "1Jo": "That which was."}
    with pytest.raises(InputError, match="line 1"):
        corpus.parse_kjv("not a verse\n")


def test_local_documents(tmp_path):
    (tmp_path / "d" / "sub").mkdir(parents=True)
    (tmp_path / "d" / "b.txt").write_text("second")
    (tmp_path / "d" / "sub" / "a.md").write_text("first")
    (tmp_path / "d" / "skip.bin").write_bytes(b"\xff")
    docs = list(corpus.local_documents([tmp_path / "d"])())
    assert [t for _, t in docs] == ["second", "first"]
    with pytest.raises(InputError, match="no such file"):
        corpus.local_documents([tmp_path / "missing"])


def test_hf_documents_save_to_disk_and_json(tmp_path):
    datasets = pytest.importorskip("datasets")
    texts = ["one doc", "two doc", "three"]
    datasets.DatasetDict({"train": datasets.Dataset.from_dict({"text": texts})}).save_to_disk(str(tmp_path / "ds"))
    assert [t for _, t in corpus.hf_documents(str(tmp_path / "ds"))()] == texts
    assert len(list(corpus.hf_documents(str(tmp_path / "ds"), max_documents=2)())) == 2
    with pytest.raises(InputError, match="no split"):
        corpus.hf_documents(str(tmp_path / "ds"), split="test")
    rows = tmp_path / "rows.jsonl"
    rows.write_text("".join(json.dumps({"content": t}) + "\n" for t in texts))
    got = corpus.hf_documents("json", field="content", data_files=[str(rows)])()
    assert [t for _, t in got] == texts
    with pytest.raises(InputError, match="no field"):
        corpus.hf_documents("json", field="text", data_files=[str(rows)])
