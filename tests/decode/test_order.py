"""Exact decode orders pinned with hand-set logits (HAND_PROBS in conftest)."""
from __future__ import annotations

import pytest
import torch

from anyorder.decode import Plan, decode, rng
from anyorder.decode.budget import reveal_prob

from decode_fakes import MASK, hand_model


def _order(plan: Plan, is_fixed=None, seeds=0) -> list[int]:
    tokens = torch.full((1, 5), MASK)
    if is_fixed is not None:
        tokens[is_fixed] = 0
    res = decode(hand_model(), tokens, is_fixed, plan, MASK, seeds=seeds)
    return res.order[0].tolist()


@pytest.mark.parametrize("score, sequence", [
    ("top_prob", [2, 4, 0, 1, 3]),
    ("top_prob_margin", [2, 4, 1, 3, 0]),
    ("entropy", [2, 0, 4, 1, 3]),
    ("log_top_prob", [2, 4, 0, 1, 3]),
    ("log_margin", [2, 4, 1, 3, 0]),
])
def test_one_per_step_order_of_each_score(score, sequence):
    order = _order(Plan(steps=5, budget="fixed", k=1, score=score))
    assert [order.index(s) for s in range(5)] == sequence


def test_schedule_budget_rounds_half_up_and_last_step_reveals_rest():
    # linear grid, T=2: p_0 = 1/2 -> K = round(5 / 2) = 3 (half up); step 1 reveals the remaining 2
    assert _order(Plan(steps=2, score="top_prob_margin")) == [1, 0, 0, 1, 0]


def test_cosine_schedule_budget():
    p0 = reveal_prob(0, 3, "cosine")  # alpha = cos(pi t / 2): p_0 = alpha(2/3) = 0.5
    assert p0 == pytest.approx(0.5)
    assert _order(Plan(steps=3, score="top_prob", schedule="cosine")) == [1, 1, 0, 2, 0]


def test_fixed_k_two_and_zero():
    assert _order(Plan(steps=3, budget="fixed", k=2, score="top_prob")) == [1, 1, 0, 2, 0]
    # k = 0: nothing until the last step, which reveals everything
    assert _order(Plan(steps=3, budget="fixed", k=0, score="top_prob")) == [2] * 5


def test_threshold_budget_reveals_all_above_and_at_least_one():
    # top_prob: .9, .6 >= .55 at step 0; then one per step (.5, .4, .36)
    assert _order(Plan(steps=10, budget="threshold", threshold=0.55, score="top_prob")) == [1, 2, 0, 3, 0]


def test_factor_budget():
    # factor 2: rank r needs score >= 1 - 2/(r+2): rank 1 >= .333, rank 2 >= .5, rank 3 >= .6
    # step 0: .9, .6, .5 accepted, .4 < .6 -> k = 3; step 1: .4 (rank 0), .36 >= .333 -> k = 2
    assert _order(Plan(steps=10, budget="factor", factor=2.0, score="top_prob")) == [0, 1, 0, 1, 0]


def test_fixed_positions_are_skipped():
    is_fixed = torch.tensor([[False, False, True, False, True]])
    order = _order(Plan(steps=3, budget="fixed", k=1, score="top_prob"), is_fixed=is_fixed)
    assert order == [0, 1, -1, 2, -1]


def test_semi_ar_blocks_go_left_to_right():
    # 5 positions, block_length 2 -> blocks {0,1}, {2,3}, {4}; 6 steps -> 2 per block
    order = _order(Plan(steps=6, budget="fixed", k=1, score="top_prob_margin", block_length=2))
    assert order == [1, 0, 2, 3, 4]


def test_binomial_vanilla_is_algorithm_1():
    """Step 0 reveals exactly the positions whose VANILLA uniform is >= 1 - p_0 (independent Bernoulli)."""
    plan = Plan(steps=4, budget="binomial", score="vanilla")
    for seed in range(20):
        seeds = torch.tensor([seed])
        u = rng.uniform(seeds, 0, rng.VANILLA, 5)[0]
        expected = (u >= 1 - reveal_prob(0, 4, "linear")).tolist()
        order = _order(plan, seeds=seeds)
        assert [o == 0 for o in order] == expected


def test_vanilla_schedule_order_follows_uniforms():
    seeds = torch.tensor([7])
    u = rng.uniform(seeds, 0, rng.VANILLA, 5)[0]
    first = int(u.argmax())
    order = _order(Plan(steps=5, budget="fixed", k=1, score="vanilla"), seeds=seeds)
    assert order[first] == 0


def test_large_gumbel_noise_overrides_the_score():
    seeds = torch.tensor([3])
    g = -torch.log(-torch.log(rng.uniform(seeds, 0, rng.NOISE, 5)[0]))
    plan = Plan(steps=5, budget="fixed", k=1, score="top_prob", noise="gumbel", noise_scale=1e4)
    order = _order(plan, seeds=seeds)
    assert order[int(g.argmax())] == 0


def test_annealed_noise_is_zero_on_the_last_step_only():
    from anyorder.decode.noise import noise_scale

    assert noise_scale(0.5, True, 0, 50) == pytest.approx(0.5 * 49 / 50)
    assert noise_scale(0.5, True, 49, 50) == 0.0
    assert noise_scale(0.5, False, 49, 50) == 0.5


def test_custom_score_plugs_in():
    def last_first(log_probs, u):
        return torch.arange(log_probs.shape[1], dtype=torch.float32).expand(log_probs.shape[:2])

    assert _order(Plan(steps=5, budget="fixed", k=1, score=last_first)) == [4, 3, 2, 1, 0]


def test_argmax_values_and_trace():
    res = decode(hand_model(), torch.full((1, 5), MASK), None, Plan(steps=5, budget="fixed", k=1,
                 score="top_prob"), MASK, seeds=0, trace=True)
    assert res.tokens.tolist() == [[0, 0, 0, 0, 0]]
    assert [t.k.tolist() for t in res.trace] == [[1]] * 5
    assert [int(t.revealed[0].nonzero()) for t in res.trace] == [2, 4, 0, 1, 3]
    assert res.trace[0].scores[0, 2] == pytest.approx(0.9)
    assert res.trace[1].scores[0, 2] == float("-inf")
    assert res.nfe.tolist() == [5] and res.n_model_calls == 5



def test_log_margin_ranks_by_ratio_not_difference():
    from decode_fakes import StaticModel

    # position 0: margin .25, log-ratio .54; position 1: margin .235, log-ratio .65
    probs = torch.tensor([[0.60, 0.35, 0.05], [0.49, 0.255, 0.255]])
    logits = torch.cat([probs.log(), torch.zeros(2, 1)], dim=1)
    first = {}
    for score in ("top_prob_margin", "log_margin"):
        plan = Plan(steps=2, budget="fixed", k=1, score=score)
        res = decode(StaticModel(logits), torch.full((1, 2), MASK), None, plan, MASK, seeds=0)
        first[score] = res.order[0].tolist().index(0)
    assert first == {"top_prob_margin": 0, "log_margin": 1}
