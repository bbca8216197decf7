"""Back-tracking with rule propagation, ``Plan(propagate=...)`` (issue 17): forced fills cost no model call,
a valid puzzle is never a dead end, and the rules' deductions alone can solve the shipped puzzles."""
import numpy as np
import pytest
import torch

from anyorder.decode import Plan, decode
from anyorder.decode.result import DEAD_END, OK
from anyorder.errors import ConfigError
from anyorder.tasks.sudoku.dataset import shipped
from anyorder.tasks.sudoku.rules import SudokuRules

from decode_fakes import StaticModel

RULES = SudokuRules.for_layout("board81")
DATA = {s: shipped(s, 8) for s in ("test", "hard")}


def _arrays(split):
    puz = torch.as_tensor(np.asarray(DATA[split].puzzles, np.int64))
    return puz, torch.as_tensor(np.asarray(DATA[split].solutions, np.int64))


def Counting():
    """Uniform logits (no knowledge at all); counts its calls."""
    return StaticModel(torch.zeros(81, 10))


class NoisyOracle:
    """Logit 5 on the solution digit of the best-agreeing puzzle plus seeded Gaussian noise of ``scale`` per
    puzzle: often sure and wrong, so it forces guesses, jumps and tentative bans."""

    def __init__(self, sol, seed, scale):
        self.sol = sol
        self.noise = torch.randn(*sol.shape, 10, generator=torch.Generator().manual_seed(seed)) * scale

    def __call__(self, x):
        which = ((x[:, None] == self.sol[None]) | (x[:, None] == 0)).sum(dim=2).argmax(dim=1)
        logits = self.noise[which].clone()
        return logits.scatter_add_(2, self.sol[which][..., None], torch.full((x.shape[0], 81, 1), 5.0))


def _plan(propagate, **kw):
    return Plan(mode="backtrack", budget="threshold", threshold=0.9, propagate=propagate,
                **{"max_nfe": 100, "max_revisions": 256, **kw})


def test_a_puzzle_the_rules_finish_costs_no_model_call():
    puz, sol = _arrays("test")
    few = sol.clone()
    few[:, ::9] = 0  # one blank per row: each is a naked single
    model = Counting()
    res = decode(model, few, few > 0, _plan("forced"), mask_id=0, checker=RULES)
    assert torch.equal(res.tokens, sol) and res.nfe.tolist() == [0] * len(sol) and model.calls == 0
    assert res.order[few == 0].eq(0).all()  # filled at step 0


@pytest.mark.parametrize("split", ["test", "hard"])
def test_implied_propagation_with_a_know_nothing_model_solves_every_puzzle(split):
    puz, sol = _arrays(split)
    res = decode(Counting(), puz, puz > 0, _plan("implied"), mask_id=0, checker=RULES)
    assert torch.equal(res.tokens, sol) and (res.status == OK).all()
    assert int(res.nfe.max()) <= 100


def test_forced_propagation_saves_model_calls_against_none():
    puz, sol = _arrays("test")
    none = decode(Counting(), puz, puz > 0, _plan("none", max_nfe=400, max_revisions=4096), mask_id=0, checker=RULES)
    forced = decode(Counting(), puz, puz > 0, _plan("forced", max_nfe=400, max_revisions=4096), mask_id=0,
                    checker=RULES)
    solved = (none.tokens == sol).all(dim=1) & (forced.tokens == sol).all(dim=1)
    assert solved.any() and (forced.nfe[solved] < none.nfe[solved]).all()


@pytest.mark.parametrize("propagate", ["none", "forced", "implied"])
@pytest.mark.parametrize("seed,scale", [(3, 3.0), (0, 4.0), (1, 2.0)])
def test_a_valid_puzzle_is_never_a_dead_end(propagate, seed, scale):
    """Complete search: whatever the model says, a puzzle with a solution never ends DEAD_END, and whatever
    ends OK is the solution (unique here). (3, 3.0) and (0, 4.0) made one hard puzzle a dead end with
    propagate="implied" before tentative bans were counted ahead of the back-up's lift.)"""
    puz, sol = _arrays("hard")
    res = decode(NoisyOracle(sol, seed, scale), puz, puz > 0, _plan(propagate, max_nfe=60), mask_id=0,
                 checker=RULES)
    assert not (res.status == DEAD_END).any()
    ok = res.status == OK
    assert ok.any() and torch.equal(res.tokens[ok], sol[ok])


def test_unknown_propagate_is_named():
    with pytest.raises(ConfigError, match="propagate 'hidden'"):
        Plan(mode="backtrack", propagate="hidden")
