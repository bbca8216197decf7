"""The tokenizer contract: symbol tables, a trained BPE (HF ``tokenizers``) and a Hugging Face tokenizer all
encode/decode, name their special tokens and round-trip through a checkpoint (``anyorder.load``)."""
import pytest

import anyorder
from anyorder.errors import CheckpointError, ConfigError
from anyorder.models.transformer import ModelConfig, Transformer
from anyorder.tokenizers import TOKENIZERS, SymbolTable, TokenizerError, load_tokenizer
from anyorder.train.checkpoint import save_checkpoint

CORPUS = ["the cat sat on the mat", "the dog sat on the log", "a cat and a dog", "masked diffusion plans order"] * 20


def bpe():
    from anyorder.tokenizers.bpe import BPETokenizer

    return BPETokenizer.train(CORPUS, vocab_size=300)


def hf():
    transformers = pytest.importorskip("transformers")
    from anyorder.tokenizers.hf import HFTokenizer

    fast = transformers.PreTrainedTokenizerFast(tokenizer_object=bpe().core, mask_token="[MASK]", pad_token="[PAD]")
    return HFTokenizer(fast)


def symbols():
    return SymbolTable(("[MASK]", "a", "b", "c"), mask_id=0)


def roundtrip(tok, tmp_path):
    """Save a tiny model + ``tok`` as a checkpoint and load it back."""
    cfg = ModelConfig(vocab_size=tok.vocab_size, max_len=8, n_layers=1, d_model=16, n_heads=2)
    meta = {"model_kind": "transformer", "model": cfg.to_dict(), "task": {"name": "text", "options": {}, "metadata": {}},
            "objective": "mdm", "train": None}
    path = save_checkpoint(tmp_path / "ckpt", 1, meta, Transformer(cfg).state_dict(), tokenizer=tok)
    return anyorder.load(path)


@pytest.mark.parametrize("make, text", [(symbols, "abca"), (bpe, "the cat sat on the log"),
                                        (hf, "a dog sat on the mat")])
def test_every_kind_satisfies_the_contract_and_survives_a_checkpoint(tmp_path, make, text):
    tok = make()
    assert tok.kind in TOKENIZERS and tok.special_tokens["mask"] == tok.mask_id < tok.vocab_size
    ids = tok.encode(text)
    assert all(0 <= i < tok.vocab_size for i in ids) and tok.mask_id not in ids
    assert tok.decode(ids) == text
    loaded = roundtrip(tok, tmp_path)
    assert type(loaded.tokenizer) is type(tok) and loaded.config["tokenizer"]["kind"] == tok.kind
    assert loaded.tokenizer.encode(text) == ids and loaded.tokenizer.mask_id == tok.mask_id
    assert loaded.tokenizer.pad_id == tok.pad_id and loaded.tokenizer.vocab_size == tok.vocab_size


def test_bpe_compresses_and_keeps_special_ids():
    tok = bpe()
    assert (tok.mask_id, tok.pad_id) == (0, 1)
    assert len(tok.encode("the cat sat on the mat")) < len("the cat sat on the mat")


def test_checkpoints_without_a_kind_are_symbol_tables():
    old = {"symbols": ["[MASK]", "1", "2"], "mask_id": 0, "pad_id": None}  # format of shipped checkpoints
    assert load_tokenizer(old) == SymbolTable(("[MASK]", "1", "2"), mask_id=0)
    with pytest.raises(TokenizerError, match="valid: .*'bpe'"):
        load_tokenizer({**old, "kind": "wordpiece"})


def test_hf_tokenizer_needs_a_mask_token():
    transformers = pytest.importorskip("transformers")
    from anyorder.tokenizers.hf import HFTokenizer

    with pytest.raises(TokenizerError, match="mask token"):
        HFTokenizer(transformers.PreTrainedTokenizerFast(tokenizer_object=bpe().core))


def test_model_kind_is_recorded_and_checked(tmp_path):
    loaded = roundtrip(symbols(), tmp_path)
    assert loaded.config["model_kind"] == "transformer" and isinstance(loaded.model, Transformer)
    import json

    cfg_file = loaded.path / "config.json"
    cfg_file.write_text(json.dumps({**json.loads(cfg_file.read_text()), "model_kind": "mamba"}))
    with pytest.raises(CheckpointError, match="unknown model kind 'mamba'; valid: \\['hf', 'transformer'\\]"):
        anyorder.load(loaded.path)
    with pytest.raises(ConfigError, match="unknown model kind"):
        anyorder.TrainConfig(name="x", task="toy", model_kind="mamba")


def test_decode_cli_reads_text_lines_with_a_bpe_checkpoint(tmp_path):
    from anyorder.cli.decode import format_row, parse_lines

    tok = bpe()
    rows = parse_lines(["the cat [MASK] on the mat", ""], tok, 64)
    assert len(rows) == 1 and tok.mask_id in rows[0]
    assert format_row(rows[0], tok) == "the cat [MASK] on the mat"
