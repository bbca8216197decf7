"""The HF GPT-2 reference of benchmarks/sudoku_train_vs_hf.py must really be bidirectional."""
import importlib.util
from pathlib import Path

import pytest
import torch

from anyorder.models.transformer import paper_config

pytest.importorskip("transformers")
PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "sudoku_train_vs_hf.py"


def _bench():
    spec = importlib.util.spec_from_file_location("sudoku_train_vs_hf", PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_hf_reference_is_non_causal_and_same_size():
    bench = _bench()
    cfg = paper_config("gpt2-tiny-6m", max_len=81, n_layers=1, d_model=48, n_heads=4)
    torch.manual_seed(0)
    hf = bench.HFBidirectionalGPT2(cfg)
    assert bench.check_bidirectional(hf, cfg.vocab_size, 81) > 1e-4
    for block in hf.gpt2.transformer.h:  # the causal model must fail the same check
        block.attn.is_causal = True
    with pytest.raises(RuntimeError, match="causal"):
        bench.check_bidirectional(hf, cfg.vocab_size, 81)
    from anyorder.models.transformer import Transformer

    assert sum(p.numel() for p in hf.parameters()) == sum(p.numel() for p in Transformer(cfg).parameters())
