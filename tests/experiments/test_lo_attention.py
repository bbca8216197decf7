import pytest
import torch

from anyorder.configs import lo_model
from anyorder.errors import ConfigError
from anyorder.experiments.lo.attention import attention_maps, tuple_attention
from anyorder.models.transformer import Transformer
from anyorder.tasks.lo import make_distribution


def _model(dist, **changes):
    cfg = lo_model("cpu")
    fields = {**cfg.to_dict(), "vocab_size": dist.mask_id + 1, "max_len": dist.length, **changes}
    torch.manual_seed(0)
    return Transformer(type(cfg).from_dict(fields)).eval()


def test_maps_reproduce_the_attention_output():
    dist = make_distribution({"N": 5, "P": 15})
    model = _model(dist)
    tokens = torch.randint(0, dist.mask_id + 1, (3, dist.length))
    inputs, outputs = [], []

    def record(_module, args, y):
        inputs.append(args[0])
        outputs.append(y)

    for b in model.blocks:
        b.attn.register_forward_hook(record)
    maps = attention_maps(model, tokens)
    for block, x, y, a in zip(model.blocks, inputs[:2], outputs[:2], maps):
        assert a.shape == (3, block.attn.n_heads, dist.length, dist.length)
        torch.testing.assert_close(a.sum(-1), torch.ones(a.shape[:-1]))
        b, length, d = x.shape
        v = block.attn.qkv(x).view(b, length, 3, block.attn.n_heads, -1)[:, :, 2].transpose(1, 2)
        mixed = (a @ v).transpose(1, 2).reshape(b, length, d)
        torch.testing.assert_close(block.attn.proj(mixed), y, atol=1e-5, rtol=1e-4)


def test_uniform_attention_gives_the_chance_values():
    dist = make_distribution({"N": 6, "P": 24})
    model = _model(dist)
    with torch.no_grad():
        for b in model.blocks:
            b.attn.qkv.weight.zero_()
            b.attn.qkv.bias.zero_()
    for row in tuple_attention(model, dist, n=16):
        assert row["tuple_mass"] == pytest.approx(3 / dist.length)
        assert row["tuple_share"] == pytest.approx(3 / 6)


def test_rope_models_are_refused():
    dist = make_distribution({"N": 4, "P": 8})
    with pytest.raises(ConfigError, match="RoPE"):
        attention_maps(_model(dist, positions="rope"), torch.zeros(1, dist.length, dtype=torch.long))
