"""Progressive (planner-aligned) masking: chains reveal in planner order, refill, config checks, loss."""
import math

import pytest
import torch

from anyorder.errors import ConfigError
from anyorder.objectives.mdm import MDMConfig
from anyorder.train.progressive import Chains, ProgressiveConfig, progressive_loss

MASK = 4  # vocabulary: values 0..3, [MASK] = 4


def log_probs_with_margins(margins: torch.Tensor) -> torch.Tensor:
    """(B, L) margins in (0, 1) -> (B, L, 5) log-probs whose top_prob_margin is exactly ``margins``."""
    p1 = (1 + margins) / 2
    p2 = 1 - p1
    probs = torch.stack([p1, p2, torch.zeros_like(p1), torch.zeros_like(p1), torch.zeros_like(p1)], dim=-1)
    return probs.log()


def fresh(b: int, length: int, value: int = 1, n_fixed: int = 1) -> dict[str, torch.Tensor]:
    is_fixed = torch.zeros(b, length, dtype=torch.bool)
    is_fixed[:, :n_fixed] = True
    return {"x0": torch.full((b, length), value), "is_fixed": is_fixed}


def started_chains(batch) -> Chains:
    chains = Chains()
    chains.x0, chains.is_fixed = batch["x0"].clone(), batch["is_fixed"].clone()
    chains.is_masked = ~batch["is_fixed"]
    return chains


def test_advance_reveals_the_k_highest_scores_per_row():
    batch = fresh(2, 7)  # 6 maskable positions; steps=3 -> k=2 per step
    chains = started_chains(batch)
    margins = torch.tensor([[0.0, 0.1, 0.9, 0.2, 0.8, 0.3, 0.4],
                            [0.0, 0.9, 0.1, 0.8, 0.2, 0.7, 0.3]])
    chains.advance(log_probs_with_margins(margins), ProgressiveConfig(steps=3))
    revealed = (~chains.is_masked & ~chains.is_fixed).nonzero().tolist()
    assert revealed == [[0, 2], [0, 4], [1, 1], [1, 3]]
    chains.advance(log_probs_with_margins(margins), ProgressiveConfig(steps=3))
    assert (~chains.is_masked & ~chains.is_fixed).sum(1).tolist() == [4, 4]
    assert not chains.is_masked[0, 2] and chains.is_masked[0, 1] and chains.is_masked[1, 2]


def test_refill_replaces_only_finished_rows_fully_masked():
    chains = started_chains(fresh(3, 5, value=1))
    chains.is_masked[0] = False  # row 0 finished
    chains.is_masked[1, 2:] = False  # row 1 half way
    new = fresh(3, 5, value=2, n_fixed=2)
    chains.refill(new, torch.Generator().manual_seed(0))
    assert chains.x0[:, 1].tolist() == [2, 1, 1]
    assert chains.is_masked[0].tolist() == [False, False, True, True, True]
    assert chains.is_masked[1].tolist() == [False, True, False, False, False]


def test_first_refill_spreads_rows_over_chain_stages_and_never_starts_finished():
    chains = Chains()
    chains.refill(fresh(64, 20), torch.Generator().manual_seed(0))
    masked = chains.is_masked.sum(1)
    assert masked.min() >= 1 and masked.max() <= 19 and masked.float().std() > 3
    assert not chains.is_masked[:, 0].any()


class PositionModel(torch.nn.Module):
    """Logits that predict value 1 with a certainty growing with the position index: the margin planner reveals
    right to left. A parameter makes the loss differentiable."""

    def __init__(self):
        super().__init__()
        self.scale = torch.nn.Parameter(torch.tensor(1.0))

    def forward(self, x):
        b, length = x.shape
        logits = torch.zeros(b, length, 5)
        logits[..., 1] = self.scale * torch.arange(length, dtype=torch.float32)
        return logits


def test_loss_trains_on_the_chain_state_and_walks_the_planner_path():
    chains = Chains()
    cfg = ProgressiveConfig(steps=2)
    g = torch.Generator().manual_seed(0)
    batch = fresh(1, 5)  # 4 maskable -> k = 2
    chains.refill(batch, g)
    chains.is_masked = ~batch["is_fixed"]  # start the single chain at its beginning
    model = PositionModel()
    out = progressive_loss(model, batch, cfg, MDMConfig(), MASK, g, chains)
    assert out.n_tokens == 4 and out.metrics["mask_rate"] == 1.0
    expected_ce = torch.nn.functional.cross_entropy(model(batch["x0"])[0, 1:, :4], batch["x0"][0, 1:])
    assert math.isclose(out.loss.item(), expected_ce.item(), rel_tol=1e-5)
    out.loss.backward()
    assert model.scale.grad is not None
    assert chains.is_masked[0].tolist() == [False, True, True, False, False]  # the two most certain: 3 and 4
    out = progressive_loss(model, batch, cfg, MDMConfig(), MASK, g, chains)
    assert out.n_tokens == 2 and not chains.is_masked.any()
    out = progressive_loss(model, batch, cfg, MDMConfig(), MASK, g, chains)  # finished -> refilled from batch
    assert out.n_tokens == 4


def test_random_fraction_rows_use_plain_masking():
    chains = Chains()
    batch = fresh(10, 6)
    g = torch.Generator().manual_seed(1)
    out = progressive_loss(PositionModel(), batch, ProgressiveConfig(random_fraction=0.5), MDMConfig(), MASK, g,
                           chains)
    assert out.n_tokens > 0 and chains.x0.shape == (10, 6)


@pytest.mark.parametrize("kw", [{"score": "vanilla"}, {"score": "nope"}, {"steps": 0},
                                {"random_fraction": 1.0}, {"random_fraction": -0.1}])
def test_bad_config_is_a_config_error(kw):
    with pytest.raises(ConfigError):
        ProgressiveConfig(**kw)


def test_state_dict_round_trip():
    chains = Chains()
    assert chains.state_dict() == {}
    chains.refill(fresh(3, 4), torch.Generator().manual_seed(0))
    other = Chains()
    other.load_state_dict(chains.state_dict())
    assert all(torch.equal(getattr(chains, k), getattr(other, k)) for k in ("x0", "is_fixed", "is_masked"))
