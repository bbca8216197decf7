"""Shared pieces of the correcting decoders (anyorder.decode.checker): restrict and reveal."""
import math

import pytest
import torch

from anyorder.decode import Plan
from anyorder.decode.checker import restrict, reveal

MASK = 4
LP = torch.log(torch.tensor([[[0.1, 0.2, 0.3, 0.4], [0.4, 0.3, 0.2, 0.1]]]))  # (1, 2, 4)


def test_restrict_pads_a_smaller_allowed_vocabulary_with_not_allowed():
    allowed = torch.tensor([[[True, True], [False, True]]])  # (1, 2, 2): ids 2 and 3 unknown to the checker
    got = restrict(LP, allowed).exp()
    want = torch.tensor([[[1 / 3, 2 / 3, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0]]])
    torch.testing.assert_close(got, want)


def test_restrict_cuts_a_larger_allowed_vocabulary_and_leaves_positions_with_none_alone():
    allowed = torch.tensor([[[False, False, True, True, True, True], [False] * 6]])  # (1, 2, 6)
    got = restrict(LP, allowed).exp()
    torch.testing.assert_close(got[0, 0], torch.tensor([0.0, 0.0, 3 / 7, 4 / 7]))
    torch.testing.assert_close(got[0, 1], LP[0, 1].exp())  # nothing allowed: unrestricted


@pytest.mark.parametrize("n_cand, calls_left", [(5, 2), (5, 3), (5, 5), (7, 2), (6, 3), (1, 4)])
def test_after_the_grid_reveal_takes_ceil_of_candidates_over_calls_left(n_cand, calls_left):
    length = 8
    lp = torch.log_softmax(torch.randn(1, length, 5, generator=torch.Generator().manual_seed(n_cand)), dim=-1)
    lp[..., MASK] = float("-inf")
    x = torch.full((1, length), MASK)
    cand = torch.arange(length)[None] < n_cand
    plan = Plan(steps=2)
    x2, sel, rank, forced = reveal(lp, x, cand, 2, plan, torch.tensor([0]), torch.tensor([calls_left]))
    assert int(sel.sum()) == math.ceil(n_cand / calls_left)
    assert not forced.any() and (sel <= cand).all()
    assert torch.equal(x2[sel], lp[sel].argmax(dim=-1)) and (x2[~sel] == MASK).all()


def test_the_last_call_reveals_every_candidate_and_says_it_was_forced():
    lp = torch.log_softmax(torch.randn(2, 6, 5, generator=torch.Generator().manual_seed(0)), dim=-1)
    x = torch.full((2, 6), MASK)
    cand = torch.ones(2, 6, dtype=torch.bool)
    _, sel, _, forced = reveal(lp, x, cand, 0, Plan(steps=6), torch.tensor([0, 1]), torch.tensor([1, 2]))
    assert sel.sum(dim=1).tolist() == [6, 1]  # row 0: last call, all; row 1: the schedule's one of six
    assert forced.tolist() == [True, False]
