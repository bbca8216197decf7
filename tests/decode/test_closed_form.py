"""Ordering oracles against a distribution with exact conditionals (paper Sec. 2.6 motivation for the margin).

The sequence is a product of independent 3-position blocks placed at random positions (45 positions):
- 1 "tied" block (c, a, b): P(c=0) = .42, P(c=1) = .10, P(c=j) = .096 for j = 2..6; (a, b) = (7, 8) if
  c in {0, 1} else (8, 7). a and b are a near-tied pair: top prob .52 (higher than c's .42!) but margin .04.
- 14 "chain" blocks (d, e, z): P(d) = (.3, .3, .1, .1, .1, .05, .05), e = 7 if d == 0 else 8 (top prob .7,
  margin .4), z = 0. Given e = 8, d is a safe filler (top .43, margin .29); given e = 7, d is determined.
The "model" returns the exact conditionals p(x^i | revealed tokens) (log-probs, -inf for impossible values).
Values are *sampled* from them, so revealing one position at a time is always correct (chain rule):
failures come only from revealing dependent positions in the same step (each drawn from its marginal).
With 6 steps (~7-8 positions per step, schedule budget):
- vanilla reveals random sets, so dependent positions of a block often share a step;
- top_prob reveals e before d (good) but the tied a, b early and together (bad, fails half the time);
- top_prob_margin reveals e, then c, fills with safe positions, and a/b only once determined.
A tiny Gumbel noise (0.01) only breaks exact score ties at random.
"""
from __future__ import annotations

import pytest
import torch

from anyorder.decode import Plan, decode

V, MASK = 10, 9  # values 0..6 for c / d, 7 and 8 for a, b, e; 9 = [MASK]


def tied_blocks() -> tuple[torch.Tensor, torch.Tensor]:
    """Type 1, (c, a, b): configs (7, 3) int64 and weights (7,)."""
    c = torch.arange(7)
    a = torch.where(c <= 1, 7, 8)
    b = torch.where(c <= 1, 8, 7)
    return torch.stack([c, a, b], dim=1), torch.tensor([0.42, 0.10] + [0.096] * 5)


def chain_blocks() -> tuple[torch.Tensor, torch.Tensor]:
    """Type 2, (d, e, z): e = 7 if d == 0 else 8, z = 0 always. configs (7, 3), weights (7,)."""
    d = torch.arange(7)
    return torch.stack([d, torch.where(d == 0, 7, 8), torch.zeros(7, dtype=torch.long)], 1), \
        torch.tensor([0.3, 0.3, 0.1, 0.1, 0.1, 0.05, 0.05])


class ExactModel:
    """Exact conditionals of a product of independent 3-position blocks.

    kinds: list of (layout (m_k, 3) positions, configs (n_k, 3), weights (n_k,)). Returns log-probs (B, L, V).
    """

    def __init__(self, kinds: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]], length: int):
        self.kinds, self.length = kinds, length

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        out = torch.zeros(x.shape[0], self.length, V)
        for layout, configs, weights in self.kinds:  # loop over block types, not rows
            blocks = x[:, layout]  # (B, m, 3)
            match = ((blocks[:, :, None, :] == configs) | (blocks == MASK)[:, :, None, :]).all(-1)
            w = match * weights
            w = torch.where(w.sum(-1, keepdim=True) > 0, w, weights)  # inconsistent block: any fallback
            onehot = torch.nn.functional.one_hot(configs, V).to(w.dtype)  # (n, 3, V)
            probs = torch.einsum("bmk,kpv->bmpv", w / w.sum(-1, keepdim=True), onehot)
            out[:, layout.reshape(-1)] = probs.reshape(x.shape[0], -1, V)
        return out.log()

    def success(self, x: torch.Tensor) -> torch.Tensor:
        """(B,) bool: every block is a configuration of the support."""
        ok = torch.ones(x.shape[0], dtype=torch.bool)
        for layout, configs, _ in self.kinds:
            ok &= (x[:, layout][:, :, None, :] == configs).all(-1).any(-1).all(-1)
        return ok


def build(m1: int, m2: int) -> ExactModel:
    length = 3 * (m1 + m2)
    perm = torch.randperm(length, generator=torch.Generator().manual_seed(0))
    return ExactModel([(perm[: 3 * m1].reshape(m1, 3), *tied_blocks()),
                       (perm[3 * m1:].reshape(m2, 3), *chain_blocks())], length)


def success_rates(n_samples: int = 2000, m1: int = 1, m2: int = 14, steps: int = 6) -> dict[str, float]:
    model = build(m1, m2)
    tokens = torch.full((n_samples, model.length), MASK)
    rates = {}
    for score in ("vanilla", "top_prob", "top_prob_margin"):
        plan = Plan(steps=steps, score=score, value="sample", noise="gumbel", noise_scale=0.01)
        res = decode(model, tokens, None, plan, MASK, seeds=torch.arange(n_samples))
        rates[score] = model.success(res.tokens).float().mean().item()
    return rates


def test_exact_model_is_a_distribution_and_sequential_decoding_is_exact():
    model = ExactModel([(torch.arange(3)[None], *tied_blocks()), (torch.arange(3, 6)[None], *chain_blocks())], 6)
    probs = model(torch.full((1, 6), MASK)).exp()[0]
    assert torch.allclose(probs.sum(-1), torch.ones(6))
    assert probs[1, 7] == pytest.approx(0.52) and probs[0, 0] == pytest.approx(0.42)
    assert probs[4, 8] == pytest.approx(0.7) and probs[5, 0] == pytest.approx(1.0)
    res = decode(model, torch.full((500, 6), MASK), None, Plan(steps=6, budget="fixed", k=1, score="vanilla",
                 value="sample"), MASK, seeds=torch.arange(500))
    assert model.success(res.tokens).all()  # one at a time with exact conditionals never fails


def test_margin_beats_top_prob_beats_vanilla():
    rates = success_rates()
    se = 0.5 / 2000 ** 0.5  # binomial standard error bound
    assert rates["top_prob_margin"] >= 0.99, rates
    assert rates["top_prob_margin"] - rates["top_prob"] >= max(0.3, 6 * se), rates
    assert rates["top_prob"] - rates["vanilla"] >= max(0.1, 6 * se), rates
