"""``decode.result.reveal_scores``: the score each position had when it was revealed."""
import math

import pytest
import torch

from anyorder.decode import Plan, decode
from anyorder.decode.result import reveal_scores
from tests.decode.decode_fakes import HAND_PROBS, MASK, hand_model


def test_reveal_scores_are_top_probs_at_reveal_step():
    tokens = torch.full((1, 5), MASK)
    is_fixed = torch.tensor([[False, False, False, True, False]])  # position 3 fixed (holds [MASK], kept)
    res = decode(hand_model(), tokens, is_fixed, Plan(steps=4, score="top_prob"), MASK, seeds=0, trace=True)
    scores = reveal_scores(res)[0]
    assert math.isnan(scores[3])
    for i in (0, 1, 2, 4):
        assert res.order[0, i] >= 0
        assert scores[i].item() == pytest.approx(HAND_PROBS[i].max().item(), abs=1e-5)
    # higher score -> revealed no later (one per step here: 4 candidates, 4 steps)
    revealed = [0, 1, 2, 4]
    by_step = sorted(revealed, key=lambda i: res.order[0, i].item())
    assert [scores[i].item() for i in by_step] == sorted((scores[i].item() for i in revealed), reverse=True)


def test_reveal_scores_needs_trace():
    res = decode(hand_model(), torch.full((1, 5), MASK), torch.zeros(1, 5, dtype=torch.bool), Plan(steps=2), MASK, 0)
    with pytest.raises(ValueError, match="trace=True"):
        reveal_scores(res)
