"""anyorder.decode.orderbeam without a checker, and its score noise when beamback passes one."""
import torch

from anyorder.decode import Plan, decode
from anyorder.decode import orderbeam as orderbeam_module
from anyorder.decode.result import OK

from decode_fakes import DistinctRules

MASK = 2


class SecondDependsOnFirst:
    """Cell 0: p(0) = .99 (a free reveal). Cell 1: p = (.6, .4) while cell 0 is masked, (.04, .96) once it is
    revealed. Counts the rows it evaluates."""

    def __init__(self):
        self.rows = 0

    def __call__(self, x):
        self.rows += x.shape[0]
        p = torch.empty(x.shape[0], 2, 3)
        p[:, 0] = torch.tensor([0.99, 0.01, 1.0])
        p[:, 1] = torch.where((x[:, :1] == MASK), torch.tensor([0.6, 0.4, 1.0]), torch.tensor([0.04, 0.96, 1.0]))
        return p.log()


def test_without_a_checker_a_row_ends_only_when_its_best_decode_is_full():
    """Step 0 gives two children: {cell 0} (log .99) and {cells 0, 1} = [0, 0] (log .99 + log .6, full). The
    full one is not the best, so the search goes on and the better full decode [0, 1] (log .99 + log .96) wins."""
    model = SecondDependsOnFirst()
    plan = Plan(mode="orderbeam", beam_width=2, expand=2)
    res = decode(model, torch.full((1, 2), MASK), None, plan, MASK)
    assert res.tokens.tolist() == [[0, 1]] and res.order.tolist() == [[0, 1]]
    assert res.nfe.tolist() == [2] and res.n_model_calls == 2 and model.rows == 2
    assert res.status.tolist() == [OK]


def test_without_a_checker_width_one_is_greedy_over_orders():
    model = SecondDependsOnFirst()
    res = decode(model, torch.full((3, 2), MASK), None, Plan(mode="orderbeam", beam_width=1, expand=1), MASK)
    assert res.tokens.tolist() == [[0, 1]] * 3 and res.nfe.tolist() == [2] * 3 and res.n_model_calls == 2


def test_beamback_noise_reaches_the_order_beam_keyed_by_step(monkeypatch):
    seen = []
    real = orderbeam_module.noisy_scores

    def spy(lp, u, cand, step, plan, seeds, *args):
        seen.append(step)
        return real(lp, u, cand, step, plan, seeds, *args)

    monkeypatch.setattr(orderbeam_module, "noisy_scores", spy)
    rules = DistinctRules(4, 4)
    logits = torch.randn(4, 5, generator=torch.Generator().manual_seed(0))
    plan = Plan(mode="beamback", beam_width=2, max_nfe=40, noise="gumbel", noise_scale=0.5, noise_anneal=True)
    res = decode(lambda x: logits.expand(x.shape[0], -1, -1), torch.full((2, 4), 4), None, plan, 4,
                 seeds=torch.tensor([1, 2]), checker=rules)
    assert rules.verify(res.tokens).all()
    assert seen and seen == list(range(len(seen)))  # one scoring per orderbeam step, with that step's noise
