"""Plan validation, registries, rng and the Ye et al. re-masking mode."""
from __future__ import annotations

import re

import pytest
import torch

from anyorder.decode import Plan, decode, rng
from anyorder.decode.remask import mask_rate
from anyorder.errors import ConfigError

from decode_fakes import MASK, RowwiseModel, hand_model


@pytest.mark.parametrize("field, value, listed", [("score", "low_confidence", "top_prob_margin"),
                                                  ("budget", "nope", "threshold"), ("value", "greedy", "argmax"),
                                                  ("noise", "uniform", "gumbel"), ("mode", "x", "remask")])
def test_unknown_names_list_valid_ones(field, value, listed):
    with pytest.raises(ConfigError, match=listed):
        Plan(**{field: value})


@pytest.mark.parametrize("kw", [{"steps": 0}, {"temperature": 0}, {"top_p": 1.5}, {"k": -1}, {"beam_width": 0}])
def test_invalid_values_raise(kw):
    with pytest.raises(ConfigError):
        Plan(**kw)


@pytest.mark.parametrize("kw, named", [({"mode": "remask", "block_length": 4}, "block_length=4"),
                                       ({"mode": "remask", "budget": "threshold"}, "budget='threshold'"),
                                       ({"mode": "greedy", "value": "sample"}, "value='sample'"),
                                       ({"mode": "beam", "score": "top_prob"}, "score='top_prob'"),
                                       ({"mode": "unmask", "beam_width": 3}, "beam_width=3")])
def test_fields_a_decoder_ignores_raise(kw, named):
    with pytest.raises(ConfigError, match=f"does not use {named}.*reads only"):
        Plan(**kw)


@pytest.mark.parametrize("score", ["top_prob_margin", "entropy", "vanilla", "log_margin"])
def test_remask_honours_score(score):
    model = RowwiseModel(12, 6)
    x = torch.full((8, 12), 5)
    base = decode(model, x, None, Plan(steps=6, mode="remask", score="log_top_prob"), 5, seeds=0, trace=True)
    res = decode(model, x, None, Plan(steps=6, mode="remask", score=score), 5, seeds=0, trace=True)
    assert not (res.tokens == 5).any()
    assert any(not torch.equal(a.scores, b.scores) for a, b in zip(base.trace, res.trace))


def test_rng_is_batch_invariant_and_uniform():
    seeds = torch.tensor([5, 9, 5])
    u = rng.uniform(seeds, 2, rng.VALUE, 1000)
    assert torch.equal(u[0], u[2]) and not torch.equal(u[0], u[1])
    assert torch.equal(rng.uniform(seeds[1:2], 2, rng.VALUE, 1000)[0], u[1])
    big = rng.uniform(torch.arange(200), 0, rng.NOISE, 500)
    assert 0 < big.min() and big.max() < 1 and abs(big.mean() - 0.5) < 0.01 and abs(big.var() - 1 / 12) < 0.003


def test_remask_keeps_target_counts_and_can_remask():
    plan = Plan(steps=5, mode="remask", score="log_top_prob")  # the Ye et al. codebase's ranking
    res = decode(hand_model(), torch.full((1, 5), MASK), None, plan, MASK, seeds=0, trace=True)
    # N = 5: unmasked after step j is 5 - floor(5 * (T-1-j)/T) = 1, 2, 3, 4, 5
    assert [int(t.revealed.sum()) for t in res.trace] == [1, 2, 3, 4, 5]
    assert res.nfe.tolist() == [5] and res.n_model_calls == 5
    # static logits: log-prob ranking is top_prob order 2, 4, 0, 1, 3
    assert res.order[0].tolist() == [2, 3, 0, 4, 1]
    assert mask_rate(0, 5, "linear") == pytest.approx(0.8) and mask_rate(4, 5, "linear") == 0.0


def test_remask_remasks_decoded_tokens_under_noise():
    model = RowwiseModel(12, 6)
    plan = Plan(steps=8, mode="remask", noise="gumbel", noise_scale=5.0)
    res = decode(model, torch.full((16, 12), 5), None, plan, 5, seeds=0, trace=True)
    was = torch.stack([t.revealed for t in res.trace])  # (T, B, L)
    assert (was[:-1] & ~was[1:]).any()  # some unmasked position was re-masked later
    assert not (res.tokens == 5).any() and (res.order >= 0).all()


class _UntrainedAtVisible:
    """Puts all mass on the target digit at masked positions and confident garbage (target + 1) at visible ones,
    like an MDM whose loss never covered visible positions."""

    def __init__(self, target: torch.Tensor, vocab: int):
        self.target, self.vocab = target, vocab

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        wrong = (self.target + 1) % (self.vocab - 1)
        want = torch.where(x == self.vocab - 1, self.target, wrong)
        return torch.nn.functional.one_hot(want, self.vocab).float() * 10


@pytest.mark.parametrize("visible, solved", [("keep", True), ("repredict", False)])
def test_remask_keep_carries_visible_tokens_over(visible, solved):
    target = torch.tensor([[0, 1, 2, 0, 1, 2, 2, 1]])
    plan = Plan(steps=4, mode="remask", remask_visible=visible)
    res = decode(_UntrainedAtVisible(target, 4), torch.full((1, 8), 3), None, plan, 3, seeds=0)
    assert torch.equal(res.tokens, target) is solved


def test_remask_visible_name_is_checked():
    with pytest.raises(ConfigError, match="repredict"):
        Plan(mode="remask", remask_visible="overwrite")


@pytest.mark.parametrize("kw, message", [
    ({"value": "greedy"}, "unknown value 'greedy'; valid: ['argmax', 'sample']"),
    ({"top_k": 0}, "top_k must be None or >= 1, got 0"),
    ({"factor": 0}, "factor must be > 0, got 0"),
    ({"block_length": 0}, "block_length must be None or >= 1, got 0"),
    ({"mode": "bestofn", "max_nfe": -1}, "max_nfe must be an int >= 0, got -1"),
    ({"mode": "bestofn", "max_nfe": 2.5}, "max_nfe must be an int >= 0, got 2.5"),
    ({"mode": "bestofn", "retry_noise": -0.5}, "retry_noise must be >= 0, got -0.5"),
])
def test_invalid_fields_are_named_in_the_error(kw, message):
    with pytest.raises(ConfigError, match="^" + re.escape(message) + "$"):
        Plan(**kw)


def test_smallest_valid_values_are_accepted():
    assert Plan(block_length=1).block_length == 1
    assert Plan(top_k=1).top_k == 1 and Plan(mode="bestofn", max_nfe=0, retry_noise=0.0).nfe_cap == 50
    one = decode(hand_model(), torch.full((1, 5), MASK), None, Plan(steps=5, block_length=1), MASK)
    assert one.order[0].tolist() == [0, 1, 2, 3, 4]  # blocks of one column: strictly left to right
