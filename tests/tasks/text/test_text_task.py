"""The text task over tiny shards: resumable windows, the pi-learner's order, validation NLL."""
import numpy as np
import pytest
import torch

from anyorder.errors import ConfigError
from anyorder.models.transformer import ModelConfig, Transformer
from anyorder.objectives.permutations import make_permutation
from anyorder.tasks.registry import build_task
from anyorder.tasks.text.shards import TextShards

from text_fixtures import build_tiny_shards


@pytest.fixture(scope="module")
def shards(tmp_path_factory):
    return build_tiny_shards(tmp_path_factory.mktemp("text"), seq_len=16)


def test_mdm_source_windows_are_resumable_crops(shards):
    bundle = build_task("text", {"data": str(shards), "seq_len": 8, "n_eval": 4}, seed=3)
    a, b = bundle.source.batch(5, 0, 6), bundle.source.batch(5, 0, 6)
    assert torch.equal(a["x0"], b["x0"]) and a["x0"].shape == (6, 8) and not a["is_fixed"].any()
    assert not torch.equal(a["x0"], bundle.source.batch(6, 0, 6)["x0"])
    train = np.asarray(TextShards.open(shards).split("train")).astype(np.int64)
    for row in a["x0"].numpy():  # each window is a contiguous piece of one packed row
        assert any(np.array_equal(row, r[o:o + 8]) for r in train for o in range(9))
    assert bundle.model_fields == {"vocab_size": 300, "max_len": 8}
    with pytest.raises(ConfigError, match="exceeds"):
        build_task("text", {"data": str(shards), "seq_len": 17})


def test_pi_learner_reads_x0_along_the_recorded_permutation(shards):
    bundle = build_task("text-pi", {"data": str(shards), "family": "uniform", "perm_seed": 4}, seed=1)
    perm = bundle.metadata["permutation"]
    assert perm == make_permutation("uniform", 16, 4).tolist()
    x0 = build_task("text", {"data": str(shards)}, seed=1).source.batch(2, 0, 3)["x0"]
    tokens = bundle.source.batch(2, 0, 3)["tokens"]
    assert torch.equal(tokens[:, 0], torch.zeros(3, dtype=torch.long))  # [MASK] as BOS
    assert torch.equal(tokens[:, 1:], x0[:, perm])
    assert bundle.model_fields["causal"] and bundle.model_fields["max_len"] == 17


def test_val_nll_of_untrained_models_is_near_log_vocab(shards):
    for name, causal, extra in (("text", False, 0), ("text-pi", True, 1)):
        bundle = build_task(name, {"data": str(shards), "n_eval": 8}, seed=0)
        torch.manual_seed(0)
        model = Transformer(ModelConfig(vocab_size=300, max_len=16 + extra, n_layers=1, d_model=16, n_heads=2,
                                        causal=causal)).eval()
        nll = bundle.evaluate(model, 0)["val_nll"]
        assert abs(nll - np.log(299 if name == "text" else 300)) < 0.5
        assert bundle.evaluate(model, 1)["val_nll"] == nll  # fixed masks: comparable across steps


def test_validation_windows_first_pieces_or_whole_rows(shards):
    from anyorder.tasks.text.task import validation_windows

    opened = TextShards.open(shards)
    val = np.asarray(opened.split("validation")).astype(np.int64)  # (rows, 16)
    first = validation_windows(opened, 8, 1000)
    assert torch.equal(first, torch.from_numpy(val[:, :8]))  # capped at the number of rows
    whole = validation_windows(opened, 8, 1000, whole_rows=True)
    assert whole.shape == (2 * val.shape[0], 8)
    assert torch.equal(whole[0::2], torch.from_numpy(val[:, :8])) and torch.equal(whole[1::2], torch.from_numpy(val[:, 8:]))
    assert torch.equal(validation_windows(opened, 5, 3, whole_rows=True), torch.from_numpy(val[:1, :15].reshape(3, 5)))
