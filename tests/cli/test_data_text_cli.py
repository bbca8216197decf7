"""``anyorder data text``: local sources, a save_to_disk dataset, clear errors (exit 2)."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "tasks" / "text"))
from anyorder.cli import main  # noqa: E402
from anyorder.tasks.text.shards import TextShards  # noqa: E402

from text_fixtures import write_corpus  # noqa: E402

ARGS = ["--seq-len", "16", "--vocab-size", "300", "--no-progress"]


def test_data_text_from_local_files(tmp_path, capsys):
    corpus = write_corpus(tmp_path / "c")
    assert main(["data", "text", str(tmp_path / "s"), "--source", str(corpus), *ARGS]) == 0
    assert "12 documents" in capsys.readouterr().out
    assert TextShards.open(tmp_path / "s").meta["rows"]["validation"] > 0


def test_data_text_from_saved_dataset(tmp_path):
    datasets = pytest.importorskip("datasets")
    texts = [t.read_text() for t in sorted(write_corpus(tmp_path / "c").iterdir())]
    datasets.Dataset.from_dict({"body": texts}).save_to_disk(str(tmp_path / "ds"))
    assert main(["data", "text", str(tmp_path / "s"), "--hf", str(tmp_path / "ds"), "--hf-field", "body", *ARGS]) == 0
    assert TextShards.open(tmp_path / "s").meta["n_documents"] == 12


def test_data_text_errors(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ANYORDER_TEXT_CORPUS", str(tmp_path / "none"))
    assert main(["data", "text", str(tmp_path / "s"), *ARGS]) == 2
    assert "build_text_corpus.sh" in capsys.readouterr().err
    assert main(["data", "text", str(tmp_path / "s"), "--source", str(tmp_path / "missing"), *ARGS]) == 2
