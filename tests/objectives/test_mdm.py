import dataclasses
import itertools
import math

import pytest
import torch

from anyorder.errors import ConfigError, InputError
from anyorder.models.transformer import ModelConfig, Transformer
from anyorder.objectives import LossOutput, MDMConfig, corrupt, elbo, mdm_loss
from anyorder.objectives.mdm import masked_cross_entropy

MASK = 0  # vocab: [MASK], a, b, c
X0 = torch.tensor([[1, 2, 3, 1], [2, 2, 1, 3], [3, 1, 1, 2], [1, 3, 2, 2]])
FIXED = torch.tensor([[0, 0, 0, 0], [1, 0, 0, 0], [0, 1, 0, 1], [1, 1, 1, 0]], dtype=torch.bool)


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


class OneLayerModel:
    """A fixed random model that is cheap to evaluate: logits = onehot(xt).flatten() @ W (all positions interact)."""

    def __init__(self, seed=0, length=4, vocab=4):
        self.shape = (length, vocab)
        self.w = torch.randn(length * vocab, length * vocab, generator=gen(seed)) * 2.0

    def __call__(self, xt):
        onehot = torch.nn.functional.one_hot(xt, self.shape[1]).float().flatten(1)
        return (onehot @ self.w).view(xt.shape[0], *self.shape)


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    m = Transformer(ModelConfig(vocab_size=4, max_len=4, n_layers=2, d_model=16, n_heads=2)).eval()
    with torch.no_grad():
        m.head.weight.mul_(60.0)  # make the conditionals far from uniform
    return m


def exact_nelbo(model, x0, is_fixed):
    """Prop. 2.1 by enumeration: sum_M 1/(|M| C(N,|M|)) sum_{i in M} -log p(x0^i | x0[M]) per row."""
    out = []
    for row, fixed in zip(x0, is_fixed):
        free = [i for i in range(len(row)) if not fixed[i]]
        n, total = len(free), 0.0
        for k in range(1, n + 1):
            for subset in itertools.combinations(free, k):
                xt = row.clone()
                xt[list(subset)] = MASK
                with torch.no_grad():
                    ce = masked_cross_entropy(model(xt[None]), row[None], MASK)[0]
                total += ce[list(subset)].sum().item() / (k * math.comb(n, k))
        out.append(total)
    return torch.tensor(out, dtype=torch.float64)


def mc_estimate(model, cfg, is_fixed, n_calls=30, reps=1024):
    batch = {"x0": X0.repeat(reps, 1), "is_fixed": is_fixed.repeat(reps, 1)}
    g = gen(1)
    with torch.no_grad():
        values = torch.tensor([mdm_loss(model, batch, cfg, MASK, g).loss.item() for _ in range(n_calls)])
    return values.mean().item(), values.std().item() / math.sqrt(n_calls)


@pytest.mark.parametrize("fixed", [torch.zeros_like(FIXED), FIXED], ids=["free", "some-fixed"])
@pytest.mark.parametrize(
    "cfg",
    [
        pytest.param(MDMConfig(sampling="subset"), id="subset"),
        pytest.param(MDMConfig(sampling="continuous"), id="linear"),
        pytest.param(MDMConfig(schedule="cosine"), id="cosine"),
        pytest.param(MDMConfig(schedule="loglinear"), id="loglinear"),
    ],
)
def test_monte_carlo_matches_exact_elbo(cfg, fixed):
    model = OneLayerModel()
    n_free = (~fixed).sum(1).double()
    exact = exact_nelbo(model, X0, fixed)
    target = (exact / n_free).mean().item()
    mean, se = mc_estimate(model, cfg, fixed)
    bias = 0.0 if cfg.sampling == "subset" else 0.01  # t ~ U(eps, 1) truncation: O(eps * mean CE) = O(3e-3)
    assert abs(mean - target) < 4 * se + bias, (mean, target, se)
    assert target > 0.3  # the model is far from perfect: the check is not vacuous


def test_monte_carlo_matches_exact_elbo_transformer(model):
    exact = exact_nelbo(model, X0, FIXED)
    target = (exact / (~FIXED).sum(1)).mean().item()
    mean, se = mc_estimate(model, MDMConfig(sampling="subset"), FIXED, n_calls=20, reps=64)
    assert abs(mean - target) < 4 * se and target > 0.3, (mean, target, se)


def test_elbo_per_sequence_matches_exact():
    model = OneLayerModel(seed=1)
    exact = exact_nelbo(model, X0, FIXED)
    batch = {"x0": X0.repeat(500, 1), "is_fixed": FIXED.repeat(500, 1)}
    est = elbo(model, batch, MDMConfig(sampling="discrete"), MASK, gen(3), n_samples=8).view(500, 4).double()
    se = est.std(0) / math.sqrt(500)  # each entry already averages 8 draws
    assert ((est.mean(0) - exact).abs() < 4 * se + 1e-5).all()
    assert est[:, 3].std() == 0  # one free position: the estimate is exact every time
    with pytest.raises(InputError):
        elbo(model, batch, MDMConfig(), MASK, gen(), n_samples=0)


@pytest.mark.parametrize("sampling", ["continuous", "subset", "discrete"])
def test_fixed_positions_never_masked_and_get_no_gradient(sampling):
    cfg = MDMConfig(sampling=sampling)
    x0, fixed = X0.repeat(50, 1), FIXED.repeat(50, 1)
    xt, is_masked, weight = corrupt(x0, fixed, cfg, MASK, gen())
    assert not (is_masked & fixed).any()
    assert torch.equal(xt[~is_masked], x0[~is_masked]) and (xt[is_masked] == MASK).all()
    assert (weight[~is_masked] == 0).all() and (weight[is_masked] > 0).all()
    logits = torch.randn(200, 4, 4, requires_grad=True)
    out = mdm_loss(lambda xt: logits, {"x0": x0, "is_fixed": fixed}, cfg, MASK, gen())
    out.loss.backward()
    assert (logits.grad[fixed] == 0).all()
    assert (logits.grad[~fixed].abs().sum(-1) > 0).any()
    assert (logits.grad[..., MASK] == 0).all()  # the [MASK] logit is excluded


def test_subset_sampling_is_uniform():
    x0 = X0[:1].repeat(40000, 1)
    fixed = torch.zeros_like(x0, dtype=torch.bool)
    fixed[:, 1] = True
    _, is_masked, weight = corrupt(x0, fixed, MDMConfig(sampling="subset"), MASK, gen())
    counts = torch.bincount(is_masked.sum(1), minlength=4).float() / 40000
    torch.testing.assert_close(counts, torch.tensor([0.0, 1 / 3, 1 / 3, 1 / 3]), atol=0.015, rtol=0)
    per_pos = is_masked.float().mean(0)
    torch.testing.assert_close(per_pos, torch.tensor([2 / 3, 0.0, 2 / 3, 2 / 3]), atol=0.015, rtol=0)
    n = is_masked.sum(1, keepdim=True).float()
    torch.testing.assert_close(weight, is_masked * 3.0 / n)


def test_corrupt_is_deterministic_per_generator():
    a = corrupt(X0, FIXED, MDMConfig(), MASK, gen(5))
    b = corrupt(X0, FIXED, MDMConfig(), MASK, gen(5))
    assert all(torch.equal(u, v) for u, v in zip(a, b))
    with pytest.raises(InputError):
        corrupt(X0[0], FIXED[0], MDMConfig(), MASK, gen())


def test_loss_differentiable_and_finite(model):
    train_model = Transformer(model.cfg)
    batch = {"x0": X0, "is_fixed": FIXED}
    out = mdm_loss(train_model, batch, MDMConfig(), MASK, gen())
    assert isinstance(out, LossOutput) and out.loss.ndim == 0 and torch.isfinite(out.loss)
    out.loss.backward()
    assert all(torch.isfinite(p.grad).all() for p in train_model.parameters() if p.grad is not None)
    assert out.n_tokens >= 0 and set(out.metrics) == {"loss", "ce", "mask_rate"}
    all_fixed = {"x0": X0, "is_fixed": torch.ones_like(FIXED)}
    assert mdm_loss(train_model, all_fixed, MDMConfig(), MASK, gen()).loss.item() == 0.0


@pytest.mark.parametrize("sampling", ["continuous", "subset", "discrete"])
def test_focal_reduces_to_plain(model, sampling):
    batch = {"x0": X0.repeat(8, 1), "is_fixed": FIXED.repeat(8, 1)}
    plain = MDMConfig(sampling=sampling)
    focal = dataclasses.replace(plain, token_weight="focal", focal_alpha=1.0, focal_gamma=0.0)
    a = mdm_loss(model, batch, plain, MASK, gen(2)).loss
    b = mdm_loss(model, batch, focal, MASK, gen(2)).loss
    torch.testing.assert_close(a, b)
    c = mdm_loss(model, batch, dataclasses.replace(plain, token_weight="focal"), MASK, gen(2)).loss
    assert c < a


def test_ye_discrete_linear_token_normalized(model):
    cfg = MDMConfig(sampling="discrete", time_weight="linear", token_weight="focal", normalize="token",
                    n_discrete_steps=20)
    batch = {"x0": X0.repeat(8, 1), "is_fixed": FIXED.repeat(8, 1)}
    out = mdm_loss(model, batch, cfg, MASK, gen(4))
    xt, is_masked, weight = corrupt(batch["x0"], batch["is_fixed"], cfg, MASK, gen(4))
    assert set(weight[is_masked].tolist()) <= set(range(1, 21))
    ce = masked_cross_entropy(model(xt), batch["x0"], MASK)
    focal = 0.25 * (1 - torch.exp(-ce)) * ce
    manual = (weight * focal)[is_masked].sum() / is_masked.sum()
    torch.testing.assert_close(out.loss, manual)
    assert out.n_tokens == int(is_masked.sum())


@pytest.mark.parametrize(
    "kw",
    [dict(sampling="bernoulli"), dict(schedule="sqrt"), dict(time_weight="linear"), dict(normalize="batch"),
     dict(token_weight="focal", focal_gamma=-1.0), dict(time_eps=0.0), dict(n_discrete_steps=0)],
)
def test_config_errors(kw):
    with pytest.raises(ConfigError):
        MDMConfig(**kw)
