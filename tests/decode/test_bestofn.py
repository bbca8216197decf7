"""anyorder.decode.bestofn: an attempt starts only when it fits under the NFE cap."""
import pytest
import torch

from anyorder.decode import Plan, decode
from anyorder.decode.result import BUDGET_EXHAUSTED

from decode_fakes import StaticModel


class NeverRight:
    """A checker that rejects every answer (so best-of-n retries until the cap)."""

    def consistent(self, x):
        return torch.ones(x.shape[0], dtype=torch.bool)

    def verify(self, x):
        return torch.zeros(x.shape[0], dtype=torch.bool)


@pytest.mark.parametrize("max_nfe, attempts", [(2, 1), (3, 1), (4, 2), (5, 2), (6, 3), (0, 4), (100, 4)])
def test_attempts_stop_before_they_would_pass_the_cap(max_nfe, attempts):
    model = StaticModel(torch.log_softmax(torch.randn(6, 4, generator=torch.Generator().manual_seed(0)), -1))
    plan = Plan(mode="bestofn", steps=2, samples=4, max_nfe=max_nfe)  # each attempt: 2 calls; max_nfe 0: 4 * 2
    res = decode(model, torch.full((2, 6), 3), None, plan, 3, seeds=0, checker=NeverRight())
    assert res.nfe.tolist() == [2 * attempts] * 2 and model.calls == res.n_model_calls == 2 * attempts
    assert (res.nfe <= (plan.max_nfe or plan.samples * plan.steps)).all()
    assert (res.status == BUDGET_EXHAUSTED).all() and not (res.tokens == 3).any()
