"""``anyorder decode CKPT --prompt TEXT --show`` on a tiny text checkpoint (BPE)."""
from __future__ import annotations

import re

import pytest
import torch

from anyorder.cli import main
from anyorder.cli.decode import prompt_row, reveal_steps
from anyorder.errors import InputError
from anyorder.models.transformer import ModelConfig, Transformer
from anyorder.tokenizers.bpe import BPETokenizer
from anyorder.train.checkpoint import save_checkpoint

CORPUS = ["the cat sat on the mat", "the dog ran to the log", "a bird sang in the tree"] * 20


@pytest.fixture(scope="module")
def text_ckpt(tmp_path_factory):
    tok = BPETokenizer.train(CORPUS, vocab_size=280, extra_special=("[EOS]",))
    cfg = ModelConfig(vocab_size=tok.vocab_size, max_len=12, n_layers=1, d_model=16, n_heads=2)
    torch.manual_seed(0)
    meta = {"model_kind": "transformer", "model": cfg.to_dict(), "objective": "mdm", "train": None,
            "task": {"name": "text", "options": {}, "metadata": {}}}
    return save_checkpoint(tmp_path_factory.mktemp("ckpt"), 1, meta, Transformer(cfg).state_dict(), tokenizer=tok), tok


def test_prompt_row_and_reveal_steps(text_ckpt):
    _, tok = text_ckpt
    row = prompt_row("the cat", tok, 6, 12)
    assert row[:2] == tok.encode("the cat") and row[2:] == [tok.mask_id] * 4
    with pytest.raises(InputError, match="length"):
        prompt_row("the cat sat on the mat the dog", tok, 5, 12)
    ids = tok.encode("the cat sat")[:3]
    a, b = tok.decode([ids[1]]), tok.decode([ids[2]])
    assert reveal_steps(ids, [-1, 1, 0], tok) == [f"step   0: 2:{b!r}", f"step   1: 1:{a!r}"]
    assert reveal_steps(ids, [-1, 0, 0], tok) == [f"step   0: 1:{a!r}  2:{b!r}"]


def test_decode_prompt_show(text_ckpt, capsys):
    path, tok = text_ckpt
    assert main(["decode", str(path), "--prompt", "the cat", "--length", "10", "--show", "steps=4",
                 "score=top_prob_margin"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    steps = [line for line in out if line.startswith("step")]
    assert 1 <= len(steps) <= 4 and out[-1].startswith("the cat")
    positions = [int(p) for line in steps for p in re.findall(r"(?:^|  )(\d+):['\"]", line.split(": ", 1)[1])]
    n_prompt = len(tok.encode("the cat"))
    assert sorted(positions) == list(range(n_prompt, 10))  # every masked position revealed exactly once
    assert main(["decode", str(path), "--prompt", "x" * 40, "--length", "10"]) == 2
