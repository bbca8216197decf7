"""EMA of weights: the update rule, the saved state dict and the temporary swap."""
import pytest
import torch
from torch import nn

from anyorder.train.ema import EMA


def test_update_rule_and_swap():
    model = nn.Linear(2, 2)
    ema = EMA(model, decay=0.75)
    start = model.weight.detach().clone()
    with torch.no_grad():
        model.weight.add_(4.0)
    ema.update(model)
    assert torch.allclose(ema.shadow["weight"], start + 1.0)  # 0.75 * w + 0.25 * (w + 4)
    state = ema.state_dict(model)
    assert torch.allclose(state["weight"], start + 1.0) and set(state) == {"weight", "bias"}
    with ema.applied(model):
        assert torch.allclose(model.weight, start + 1.0)
    assert torch.allclose(model.weight, start + 4.0)
    fresh = EMA(model, decay=0.5)
    fresh.load_shadow(state)
    assert torch.equal(fresh.shadow["weight"], ema.shadow["weight"])


def test_invalid_decay():
    with pytest.raises(ValueError):
        EMA(nn.Linear(1, 1), decay=1.0)
