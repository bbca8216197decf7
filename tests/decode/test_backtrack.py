"""anyorder.decode.backtrack: dead ends found before the first model call, back-ups with or without the checker's
``allowed`` hook, and the checker requirement."""
import pytest
import torch

from anyorder.decode import Plan, decode
from anyorder.decode.result import DEAD_END, OK
from anyorder.errors import ConfigError

from decode_fakes import DistinctRules, StaticModel

MASK = 3


def counting_model(length):
    return StaticModel(torch.log(torch.tensor([[0.7, 0.2, 0.1, 1.0]] * length)))


def test_a_puzzle_contradictory_from_the_start_is_a_dead_end_without_a_model_call():
    model = counting_model(4)
    x = torch.tensor([[0, 1, 2, MASK], [2, 0, 1, MASK]])  # the masked cell has no distinct value left
    res = decode(model, x, x != MASK, Plan(mode="backtrack", steps=3), MASK, checker=DistinctRules(3, MASK))
    assert res.status.tolist() == [DEAD_END, DEAD_END] and model.calls == res.n_model_calls == 0
    assert res.nfe.tolist() == [0, 0] and torch.equal(res.tokens, x)


def test_a_full_answer_the_checker_rejects_is_a_dead_end_without_a_model_call():
    model = counting_model(3)
    res = decode(model, torch.tensor([[0, 0, 1]]), None, Plan(mode="backtrack"), MASK, checker=DistinctRules(3, MASK))
    assert res.status.tolist() == [DEAD_END] and model.calls == 0 and res.nfe.tolist() == [0]


class HiddenAnswer(DistinctRules):
    """Distinct values, and only one full row is correct: ``verify`` knows more than ``consistent``."""

    def __init__(self, answer, with_allowed):
        super().__init__(3, MASK, with_allowed)
        self.answer = torch.tensor(answer)

    def verify(self, x):
        return (x == self.answer).all(dim=1)


@pytest.mark.parametrize("with_allowed", [True, False])
def test_a_rejected_answer_is_searched_again_with_or_without_an_allowed_hook(with_allowed):
    """Without ``allowed`` the values come by trial from ``consistent``; a rejected full answer still backs up."""
    probs = torch.tensor([[0.9, 0.05, 0.05, 1.0], [0.5, 0.3, 0.2, 1.0], [0.1, 0.6, 0.3, 1.0]])
    rules = HiddenAnswer([2, 0, 1], with_allowed)
    model = StaticModel(probs.log())
    plain = decode(model, torch.full((1, 3), MASK), None, Plan(steps=3), MASK)
    assert not rules.verify(plain.tokens).any()  # the model alone is wrong
    res = decode(model, torch.full((1, 3), MASK), None, Plan(mode="backtrack", steps=3, max_nfe=30), MASK,
                 checker=rules)
    assert res.tokens.tolist() == [[2, 0, 1]] and res.status.tolist() == [OK]


def test_backtrack_names_itself_when_the_checker_is_missing():
    with pytest.raises(ConfigError, match=r"^mode=backtrack needs a checker \(the task's consistent/verify hooks\)"):
        decode(counting_model(3), torch.full((1, 3), MASK), None, Plan(mode="backtrack"), MASK)
