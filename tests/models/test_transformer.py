import copy
import dataclasses
import json

import pytest
import torch

from anyorder.errors import ConfigError, InputError
from anyorder.models.transformer import (
    PAPER_CONFIGS,
    ModelConfig,
    Transformer,
    count_parameters,
    paper_config,
)


def tiny(**kw) -> ModelConfig:
    base = dict(vocab_size=7, max_len=12, n_layers=2, d_model=16, n_heads=2)
    base.update(kw)
    return ModelConfig(**base)


def tokens(b=3, length=12, vocab=7, seed=0):
    return torch.randint(0, vocab, (b, length), generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("mlp", ["gelu", "swiglu"])
@pytest.mark.parametrize("norm", ["layernorm", "rmsnorm"])
@pytest.mark.parametrize("positions", ["learned", "rope", "none"])
@pytest.mark.parametrize("causal", [False, True])
def test_forward_shapes_and_grad(mlp, norm, positions, causal):
    torch.manual_seed(0)
    model = Transformer(tiny(mlp=mlp, norm=norm, positions=positions, causal=causal, bias=norm == "layernorm"))
    logits = model(tokens(length=9))
    assert logits.shape == (3, 9, 7) and logits.dtype == torch.float32
    assert torch.isfinite(logits).all()
    logits.square().mean().backward()
    assert all(p.grad is not None for p in model.parameters())


@pytest.mark.parametrize("causal", [False, True])
def test_causal_masking(causal):
    torch.manual_seed(0)
    model = Transformer(tiny(causal=causal)).eval()
    x = tokens(b=1)
    y = x.clone()
    y[0, 6] = (y[0, 6] + 1) % 7
    diff = (model(x) - model(y)).abs().amax(-1)[0]
    assert diff[:6].max() < 1e-6 if causal else diff[:6].max() > 1e-4
    assert diff[6:].max() > 1e-4


def test_no_positions_is_permutation_equivariant_rope_is_not():
    torch.manual_seed(0)
    x = tokens(b=2)
    perm = torch.randperm(12, generator=torch.Generator().manual_seed(1))
    plain = Transformer(tiny(positions="none")).eval()
    torch.testing.assert_close(plain(x[:, perm]), plain(x)[:, perm], atol=1e-5, rtol=1e-5)
    rope = Transformer(tiny(positions="rope")).eval()
    with torch.no_grad():
        for block in rope.blocks:
            block.attn.qkv.weight.mul_(20.0)  # make attention sharp enough for positions to matter
    assert (rope(x[:, perm]) - rope(x)[:, perm]).abs().max() > 1e-4


def test_position_tables_embeddings():
    rows = tuple(i // 4 for i in range(12))
    cols = tuple(i % 4 for i in range(12))
    cfg = tiny(positions="none", position_tables=(rows, cols))
    model = Transformer(cfg).eval()
    assert [e.num_embeddings for e in model.table_embs] == [3, 4]
    x = torch.full((1, 12), 3)
    out = model(x)[0]
    assert (out[0] - out[1]).abs().max() > 1e-5  # same token, different column id
    assert model(x[:, :5]).shape == (1, 5, 7)  # shorter inputs use a table prefix


def test_dropout_train_vs_eval():
    model = Transformer(tiny(dropout=0.5))
    x = tokens()
    assert not torch.equal(model(x), model(x))
    model.eval()
    assert torch.equal(model(x), model(x))


def test_tied_embeddings():
    model = Transformer(tiny(tie_embeddings=True))
    assert model.head.weight is model.tok_emb.weight
    assert count_parameters(model) == count_parameters(tiny()) - 7 * 16


@pytest.mark.parametrize(
    "bad",
    [torch.zeros(2, 3), torch.zeros(3, dtype=torch.long), torch.zeros(1, 13, dtype=torch.long),
     torch.full((1, 4), 7), torch.full((1, 4), -1), torch.zeros(2, 3, dtype=torch.int32)],
)
def test_input_errors(bad):
    with pytest.raises(InputError):
        Transformer(tiny())(bad)


@pytest.mark.parametrize(
    "kw",
    [dict(d_model=15), dict(mlp="relu"), dict(norm="batchnorm"), dict(positions="alibi"),
     dict(position_tables=((0, 1, 2),)), dict(dropout=1.0), dict(n_layers=0),
     dict(n_heads=4, d_model=12, positions="rope")],
)
def test_config_errors(kw):
    with pytest.raises(ConfigError):
        tiny(**kw)


def test_config_json_round_trip():
    cfg = tiny(position_tables=(tuple(range(12)), tuple([0] * 12)), mlp="swiglu", d_mlp=40)
    back = ModelConfig.from_dict(json.loads(json.dumps(cfg.to_dict())))
    assert back == cfg
    assert isinstance(back.position_tables, tuple) and isinstance(back.position_tables[0], tuple)
    assert tiny().d_mlp == 64
    with pytest.raises(ConfigError, match="valid"):
        ModelConfig.from_dict({**cfg.to_dict(), "n_layer": 3})


def test_count_parameters_by_hand():
    cfg = tiny(bias=False, norm="rmsnorm", positions="learned")
    d, v, length, f = 16, 7, 12, 64
    per_layer = 4 * d * d + 2 * d * f + 2 * d
    expected = v * d + length * d + 2 * per_layer + d + d * v
    assert count_parameters(cfg) == expected == count_parameters(Transformer(cfg))
    assert count_parameters(cfg, non_embedding=True) == 2 * per_layer + d


def test_paper_configs_sizes():
    n = {name: count_parameters(cfg) for name, cfg in PAPER_CONFIGS.items()}
    assert 5.3e6 < n["gpt2-tiny-6m"] < 6.0e6
    assert 18.5e6 < count_parameters(PAPER_CONFIGS["smdm-19m"], non_embedding=True) < 19.5e6
    assert 41.5e6 < n["shah-arm-42m"] < 43e6
    assert PAPER_CONFIGS["shah-arm-42m"].causal and not PAPER_CONFIGS["gpt2-tiny-6m"].causal


def test_paper_config_overrides():
    cfg = paper_config("gpt2-tiny-6m", max_len=40, dropout=0.0)
    assert cfg.max_len == 40 and cfg.n_layers == 3 and cfg.dropout == 0.0
    assert paper_config("gpt2-tiny-6m", d_model=96).d_mlp == 384
    with pytest.raises(ConfigError):
        paper_config("gpt-5")
    with pytest.raises(ConfigError):
        paper_config("smdm-19m", layers=3)


def test_fanin_init_scales_linear_weights_by_fan_in_and_keeps_embeddings():
    from anyorder.models.transformer import ModelConfig, Transformer

    torch.manual_seed(0)
    cfg = ModelConfig(vocab_size=5, max_len=16, n_layers=2, d_model=64, n_heads=4, init="fanin")
    model = Transformer(cfg)
    gpt2 = Transformer(dataclasses.replace(cfg, init="gpt2"))
    up = model.blocks[0].mlp.up.weight
    down = model.blocks[1].mlp.down.weight  # fan-in 256
    assert abs(up.std().item() - 64 ** -0.5) < 0.01 and abs(down.std().item() - 256 ** -0.5) < 0.005
    assert abs(model.tok_emb.weight.std().item() - 0.02) < 0.005  # embeddings keep N(0, 0.02^2)
    assert gpt2.blocks[0].mlp.up.weight.std().item() < 0.025


def test_unknown_init_is_a_config_error():
    from anyorder.errors import ConfigError
    from anyorder.models.transformer import ModelConfig

    with pytest.raises(ConfigError, match="init"):
        ModelConfig(vocab_size=5, max_len=8, init="xavier")


def _factored(**kw) -> ModelConfig:
    rows = tuple(i // 4 for i in range(12))  # position table 0: three rows
    return tiny(positions="none", position_tables=(rows,), token_tables=((-1, -1, -1, -1, 2, 0, -1),),
                token_aliases=(-1, -1, -1, -1, 1, -1, -1), **kw)


def test_token_factors_add_the_table_row_and_the_alias_embedding():
    model = Transformer(_factored()).eval()
    x = torch.tensor([[4, 5, 6, 1]])
    got = model._embed_tokens(x)[0]
    tok, row = model.tok_emb.weight, model.table_embs[0].weight
    assert torch.allclose(got[0], tok[4] + row[2] + tok[1])  # token 4: table row 2 and the alias token 1
    assert torch.allclose(got[1], tok[5] + row[0])  # token 5: table row 0, no alias
    assert torch.allclose(got[2], tok[6]) and torch.allclose(got[3], tok[1])  # no factors
    plain = Transformer(tiny(positions="none", position_tables=(tuple(i // 4 for i in range(12)),))).eval()
    plain.load_state_dict(model.state_dict())  # same parameters: factors are buffers, not weights
    assert not torch.allclose(plain(x), model(x))
    # the factor list is built once in __init__; a deep copy (EMA, DDP) points at its own modules, same output
    copied = copy.deepcopy(model)
    assert [(e, n) for e, n in copied._token_factors] == [(copied.tok_emb, "token_alias"),
                                                          (copied.table_embs[0], "token_table_0")]
    assert torch.equal(copied(x), model(x)) and list(copied.state_dict()) == list(plain.state_dict())


@pytest.mark.parametrize("kw", [dict(token_tables=((0,) * 6,)), dict(token_tables=((3,) * 7,)),
                                dict(token_aliases=(7,) * 7), dict(token_aliases=(0, 1))])
def test_token_factor_config_errors(kw):
    rows = tuple(i // 4 for i in range(12))
    with pytest.raises(ConfigError, match="token_"):
        tiny(position_tables=(rows,), **kw)


def test_token_factors_json_round_trip():
    cfg = _factored()
    back = ModelConfig.from_dict(json.loads(json.dumps(cfg.to_dict())))
    assert back == cfg and isinstance(back.token_tables[0], tuple) and isinstance(back.token_aliases, tuple)


def test_pool_groups_add_the_group_mean_token_embedding_before_the_blocks():
    groups = (0, 0, 0, 1, 1, -1, -1, -1, -1, -1, -1, -1)
    model = Transformer(tiny(positions="none", n_layers=1, pool_groups=groups)).eval()
    captured = {}
    model.blocks[0].register_forward_pre_hook(lambda mod, args: captured.update(x=args[0]))
    x = tokens(2)
    model(x)
    emb = model.tok_emb(x)
    want = emb.clone()
    want[:, :3] += emb[:, :3].mean(1, keepdim=True)
    want[:, 3:5] += emb[:, 3:5].mean(1, keepdim=True)
    torch.testing.assert_close(captured["x"], want)  # ungrouped positions (-1) get nothing
    plain = Transformer(tiny(positions="none", n_layers=1)).eval()
    plain.load_state_dict(model.state_dict())  # pooling is a buffer, not a weight
    assert not torch.allclose(plain(x), model(x))
    assert model(x[:, :6]).shape == (2, 6, 7)  # shorter inputs use the top-left block of the pool matrix
    back = ModelConfig.from_dict(json.loads(json.dumps(model.cfg.to_dict())))
    assert back == model.cfg and isinstance(back.pool_groups, tuple)
    for bad in ((0,) * 5, (-2,) * 12):
        with pytest.raises(ConfigError, match="pool_groups"):
            tiny(pool_groups=bad)
