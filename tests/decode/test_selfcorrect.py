"""anyorder.decode.selfcorrect: which failing tokens are re-masked when revisions run short."""
import torch

from anyorder.decode import Plan, decode
from anyorder.decode.result import OK

MASK = 2


class Scripted:
    """Call c returns the probabilities script[c] (L, 3) for every row (the [MASK] column is ignored)."""

    def __init__(self, script):
        self.script, self.calls = script, 0

    def __call__(self, x):
        p = self.script[min(self.calls, len(self.script) - 1)]
        self.calls += 1
        return p.log().expand(x.shape[0], -1, -1)


def test_the_least_probable_failing_tokens_are_remasked_first():
    """All three tokens (value 0) fail their check (p < .5); with two revisions left the two least probable
    (cells 1 and 2) are re-masked and revealed again (as 1), cell 0 is kept."""
    reveal_all = torch.tensor([[0.9, 0.1, 1.0], [0.8, 0.2, 1.0], [0.7, 0.3, 1.0]])
    check = torch.tensor([[0.3, 0.7, 1.0], [0.1, 0.9, 1.0], [0.2, 0.8, 1.0]])
    again = torch.tensor([[0.1, 0.9, 1.0]] * 3)
    model = Scripted([reveal_all, check, again])
    plan = Plan(mode="selfcorrect", steps=1, max_nfe=6, max_revisions=2)
    res = decode(model, torch.full((1, 3), MASK), None, plan, MASK)
    assert res.tokens.tolist() == [[0, 1, 1]]
    # revealed at call 0; after the grid one per call (ceil(2 masked / 4 calls left)): cell 1 at call 2, cell 2 at 3
    assert res.order.tolist() == [[0, 2, 3]]
    assert res.nfe.tolist() == [4] and res.status.tolist() == [OK]


def test_one_revision_left_remasks_the_single_least_probable_token():
    reveal_all = torch.tensor([[0.9, 0.1, 1.0], [0.8, 0.2, 1.0], [0.7, 0.3, 1.0]])
    check = torch.tensor([[0.3, 0.7, 1.0], [0.45, 0.55, 1.0], [0.2, 0.8, 1.0]])
    again = torch.tensor([[0.1, 0.9, 1.0]] * 3)
    res = decode(Scripted([reveal_all, check, again]), torch.full((2, 3), MASK), None,
                 Plan(mode="selfcorrect", steps=1, max_nfe=6, max_revisions=1), MASK)
    assert res.tokens.tolist() == [[0, 0, 1]] * 2 and res.order.tolist() == [[0, 0, 2]] * 2
