"""Tests written to kill mutants that survived the suite (issue 18): top-p filtering and the annealing of the
re-masking decoder's noise."""
import math
import re

import pytest
import torch

from anyorder.decode import Plan, decode
from anyorder.decode import remask as remask_module
from anyorder.decode.remask import mask_rate
from anyorder.decode.value import sample

PROBS = torch.tensor([[0.5, 0.3, 0.15, 0.05]], dtype=torch.float64)


@pytest.mark.parametrize("top_p, u, token", [
    (0.7, 0.999, 1),   # nucleus {0, 1} (mass 0.8): the largest u lands on token 1, never 2 or 3
    (0.7, 0.62, 0),    # 0.62 * 0.8 = 0.496 < 0.5
    (0.7, 0.63, 1),    # 0.63 * 0.8 = 0.504 > 0.5
    (0.9, 0.999, 2),   # nucleus {0, 1, 2}
    (1.0, 0.999, 3),   # everything
    (0.3, 0.999, 0),   # the top token alone, even when it holds more than top_p
])
def test_top_p_keeps_the_smallest_prefix_reaching_p(top_p, u, token):
    plan = Plan(value="sample", top_p=top_p)
    assert int(sample(PROBS.log(), torch.tensor([u]), plan)) == token


def test_top_p_frequencies_match_the_renormalised_nucleus():
    u = (torch.arange(10000, dtype=torch.float64) + 0.5) / 10000
    got = sample(PROBS.log().expand(10000, 4), u, Plan(value="sample", top_p=0.7))
    freq = torch.bincount(got, minlength=4).double() / 10000
    assert torch.allclose(freq, torch.tensor([0.625, 0.375, 0.0, 0.0], dtype=torch.float64), atol=1e-3)


@pytest.mark.parametrize("anneal", [True, False])
def test_remask_noise_scale_is_annealed_with_the_mask_rate(monkeypatch, anneal):
    """noise_anneal: step j uses noise_scale * rate_j (rate_j = mask_rate(j)), ending at 0; else the scale."""
    seen = []
    real = remask_module.add_noise

    def spy(scores, noise, scale, seeds, step):
        seen.append((step, scale))
        return real(scores, noise, scale, seeds, step)

    monkeypatch.setattr(remask_module, "add_noise", spy)
    torch.manual_seed(0)
    logits = torch.randn(2, 6, 5)
    tokens = torch.full((2, 6), 4)
    plan = Plan(mode="remask", steps=4, noise="gumbel", noise_scale=0.5, noise_anneal=anneal)
    decode(lambda x: logits, tokens, torch.zeros_like(tokens, dtype=torch.bool), plan, 4, seeds=0)
    rates = [mask_rate(j, 4, plan.schedule) for j in range(4)]
    assert [s for _, s in seen] == pytest.approx([0.5 * r if anneal else 0.5 for r in rates])
    if anneal:
        assert rates[0] > rates[1] > rates[-1] and math.isclose(rates[-1], 0.0)


def test_noise_preset_none_restores_the_noiseless_defaults():
    """`--noise none` after a noisy preset gives back Plan()'s noise fields (cosmic-ray survivor: scale 0 -> -1)."""
    from anyorder.decode.noise import NOISE_PRESETS

    noisy = Plan(noise="gumbel", noise_scale=0.5, noise_anneal=True)
    assert Plan(**{**noisy.__dict__, **NOISE_PRESETS["none"]}) == Plan()


def test_unsigned_64_bit_constants_become_int64_with_the_same_bits():
    from anyorder.decode.rng import _signed
    assert _signed(5) == 5 and _signed((1 << 63) - 1) == (1 << 63) - 1
    assert _signed(1 << 63) == -(1 << 63) and _signed((1 << 64) - 1) == -1


def test_is_fixed_shape_error_names_both_shapes():
    from anyorder.errors import InputError
    with pytest.raises(InputError, match=r"^is_fixed shape \(1, 3\) != tokens shape \(1, 4\)$"):
        decode(lambda t: torch.zeros(*t.shape, 5), torch.zeros(1, 4, dtype=torch.long),
               torch.zeros(1, 3, dtype=torch.bool), Plan(steps=1), 4)


@pytest.mark.parametrize("kw, message", [
    (dict(samples=0), "samples must be an int >= 1, got 0"),
    (dict(expand=1.5), "expand must be an int >= 1, got 1.5"),
    (dict(schedule="sqrt"), "unknown schedule 'sqrt'; valid: ["),
])
def test_plan_errors_name_the_field(kw, message):
    from anyorder.errors import ConfigError
    with pytest.raises(ConfigError, match="^" + re.escape(message)):
        Plan(**kw)
