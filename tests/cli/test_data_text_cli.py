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


def test_shards_with_a_checkpoints_tokenizer_feed_that_checkpoint(tmp_path, capsys):
    """`--tokenizer CHECKPOINT` reuses the shipped text MDM's BPE; order NLL refuses shards of another tokenizer."""
    from anyorder.experiments.text.order_nll import SHIPPED_MDM, open_shards
    from anyorder.train.checkpoint import load

    corpus = write_corpus(tmp_path / "c", n_docs=12, words=400)
    ours = tmp_path / "ours"
    assert main(["data", "text", str(ours), "--source", str(corpus), "--tokenizer", str(SHIPPED_MDM),
                 "--seq-len", "128", "--no-progress"]) == 0
    mdm = load(SHIPPED_MDM)
    shards = open_shards(mdm, str(ours))  # same tokenizer: accepted
    assert shards.tokenizer.vocab_size == 4096 and shards.tokenizer.encode("Emma") == mdm.tokenizer.encode("Emma")
    other = tmp_path / "other"
    assert main(["data", "text", str(other), "--source", str(corpus), *ARGS]) == 0
    capsys.readouterr()
    assert main(["reproduce", "text-order-nll", "--data", str(other), "--smoke", "--out", str(tmp_path / "o")]) == 2
    assert "another tokenizer" in capsys.readouterr().err
    assert main(["data", "text", str(tmp_path / "x"), "--source", str(corpus), "--tokenizer", str(corpus)]) == 2
