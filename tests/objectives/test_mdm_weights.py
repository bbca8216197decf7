"""ELBO time weights (issue 18 surviving mutant: the discrete-time 1/p weight): with time_weight="elbo" every
sampling is an unbiased estimate of the sum over positions, E[weight * is_masked] = 1 per maskable token, and
in the discrete sampling each row's weight is 1/p for its masking probability p = (t + 1) / T."""
import pytest
import torch

from anyorder.objectives import MDMConfig, corrupt

B, L = 20000, 16


@pytest.mark.parametrize("sampling, tol", [("continuous", 0.03), ("subset", 0.03), ("discrete", 0.03)])
def test_elbo_weights_are_unbiased(sampling, tol):
    x0 = torch.ones(B, L, dtype=torch.int64)
    _, is_masked, weight = corrupt(x0, torch.zeros(B, L, dtype=torch.bool), MDMConfig(sampling=sampling), 0,
                                   torch.Generator().manual_seed(0))
    assert (weight[~is_masked] == 0).all()
    assert float((weight * is_masked).mean()) == pytest.approx(1.0, abs=tol)


def test_discrete_weight_is_one_over_the_masking_probability():
    T = 5
    x0 = torch.ones(B, L, dtype=torch.int64)
    _, is_masked, weight = corrupt(x0, torch.zeros(B, L, dtype=torch.bool),
                                   MDMConfig(sampling="discrete", n_discrete_steps=T), 0,
                                   torch.Generator().manual_seed(1))
    row_weight = weight.max(dim=1).values
    rows = row_weight > 0
    allowed = torch.tensor([T / (t + 1) for t in range(T)])
    assert torch.isclose(row_weight[rows, None], allowed[None]).any(dim=1).all()  # each row: T / (t + 1)
    for w in allowed.tolist():  # the masked fraction of the rows with weight w is 1 / w
        sel = torch.isclose(row_weight, torch.tensor(w))
        assert float(is_masked[sel].float().mean()) == pytest.approx(1 / w, abs=0.02)
