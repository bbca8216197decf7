import pytest

from anyorder.errors import InputError
from anyorder.models.transformer import PAPER_CONFIGS, ModelConfig
from anyorder.objectives.flops import forward_flops_per_token, training_flops_per_token


def test_hand_computed_config():
    # 2 layers, d=8, GELU MLP 32, LayerNorm with bias, learned positions.
    cfg = ModelConfig(vocab_size=5, max_len=10, n_layers=2, d_model=8, n_heads=2)
    attn = 8 * 24 + 24 + 8 * 8 + 8  # qkv + proj (with biases)
    mlp = 8 * 32 + 32 + 32 * 8 + 8
    norms = 2 * (2 * 8)
    n = 2 * (attn + mlp + norms) + 2 * 8  # + final norm; embeddings and head excluded
    assert n == 1760
    assert forward_flops_per_token(cfg, 10) == 2 * n + 2 * 2 * 10 * 8
    assert training_flops_per_token(cfg, 10) == 6 * n + 6 * 2 * 10 * 8 == 11520


def test_paper_config_magnitude():
    cfg = PAPER_CONFIGS["smdm-19m"]
    flops = training_flops_per_token(cfg, 1024)
    assert 6 * 18.5e6 < flops < 6 * 19.5e6 + 6 * 8 * 1024 * 384 + 1


def test_seq_len_checked():
    with pytest.raises(InputError):
        training_flops_per_token(PAPER_CONFIGS["gpt2-tiny-6m"], 1000)
