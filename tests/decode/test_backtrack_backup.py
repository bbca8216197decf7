"""The back-up bookkeeping of decode.backtrack._back_up on several rows at once (mutation review, issue 18):
whether a ban is proven is decided per row, and a tentative ban at decision level 0 still counts."""
from types import SimpleNamespace

import torch

from anyorder.decode.backtrack import _back_up, _Search

MASK = 9
PLAN = SimpleNamespace(guess_below=0.0)  # no guesses: back up to each row's latest decision


def _two_rows():
    """Row 0: its latest decision (cell 1, step 1) was the only reveal of its step -> a proven ban.
    Row 1: its latest decision (cell 2, step 1) shared its step with cell 1 -> a tentative ban."""
    x = torch.tensor([[3, 4, MASK, MASK], [3, 4, 5, MASK]])
    order = torch.tensor([[0, 1, -1, -1], [0, 1, 1, -1]])
    s = _Search(2, 4, "cpu")
    s.seq = torch.tensor([[0, 1, -1, -1], [0, 1, 2, -1]])
    s.choice = s.seq >= 0
    s.ensure_bans(MASK + 1)
    return x, order, s


def test_proven_is_decided_per_row():
    x, order, s = _two_rows()
    dead = torch.tensor([True, True])
    x, order, stuck, backed = _back_up(x, order, s, dead, PLAN, MASK)
    assert backed.tolist() == [1, 1] and not stuck.any()
    assert x[0].tolist() == [3, MASK, MASK, MASK] and x[1].tolist() == [3, MASK, MASK, MASK]  # whole step undone
    assert s.ban_level[0, 1, 4] == 1 and s.ban_level[1, 2, 5] == 2  # the undone decision's value is banned
    assert not s.tentative[0, 1, 4]  # row 0: the only reveal of its step, so the ban is proven
    assert s.tentative[1, 2, 5]  # row 1: two reveals in that step, so the wrong one may have been the other


def test_a_tentative_ban_at_level_zero_makes_a_dead_row_restart_not_stick():
    x = torch.tensor([[MASK, MASK, MASK, MASK]])
    order = torch.full((1, 4), -1)
    s = _Search(1, 4, "cpu")
    s.ensure_bans(MASK + 1)
    s.ban_level[0, 0, 3] = 0
    s.tentative[0, 0, 3] = True
    x, order, stuck, backed = _back_up(x, order, s, torch.tensor([True]), PLAN, MASK)
    assert not stuck.any() and backed.tolist() == [0]
    assert bool(s.chrono[0]) and s.ban_level[0, 0, 3] == -1 and not s.tentative.any()  # dropped, chronological


def test_a_surviving_tentative_ban_at_level_zero_keeps_new_bans_tentative():
    x, order, s = _two_rows()
    s.ban_level[0, 0, 7] = 0  # an older tentative ban that this back-up does not lift (level 0 < point 1)
    s.tentative[0, 0, 7] = True
    _back_up(x, order, s, torch.tensor([True, False]), PLAN, MASK)
    assert s.ban_level[0, 1, 4] == 1 and s.tentative[0, 1, 4]  # proven alone, but it rests on a tentative ban
    assert s.ban_level[0, 0, 7] == 0 and s.tentative[0, 0, 7]


def test_a_tentative_ban_that_the_back_up_lifts_still_makes_the_new_ban_tentative():
    """The dead end may be the lifted tentative ban's doing, so the ban it leads to is not proven (a bug until
    2026-11-30: tentative bans were counted after the lift, and a true digit could be banned for good)."""
    x, order, s = _two_rows()
    s.ban_level[0, 2, 8] = 5  # a tentative ban of a later, already undone decision: lifted by backing up to 1
    s.tentative[0, 2, 8] = True
    _back_up(x, order, s, torch.tensor([True, False]), PLAN, MASK)
    assert s.ban_level[0, 2, 8] == -1 and not s.tentative[0, 2, 8]  # lifted
    assert s.ban_level[0, 1, 4] == 1 and s.tentative[0, 1, 4]
