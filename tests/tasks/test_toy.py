import itertools
import json

import pytest
import torch

from anyorder.errors import ConfigError, InputError
from anyorder.models.transformer import ModelConfig, Transformer
from anyorder.objectives import MDMConfig, mdm_loss
from anyorder.tasks.registry import build_task
from anyorder.tasks.toy import ToyDistribution, conditional_kl, random_masks


@pytest.fixture(scope="module")
def dist():
    return ToyDistribution.markov_mixture(length=4, n_symbols=3, n_components=2, concentration=0.5, dist_seed=0)


def brute_force(dist, xt):
    """p(x^i = v | observed) by summing the table over every compatible sequence (plain loops)."""
    out = torch.zeros(len(dist.support[0]), dist.vocab_size, dtype=torch.float64)
    total = 0.0
    for seq in itertools.product(range(1, dist.n_symbols + 1), repeat=dist.length):
        if all(t == 0 or t == s for t, s in zip(xt.tolist(), seq)):
            p = dist.probs[dist.index(torch.tensor([seq]))].item()
            total += p
            for i, s in enumerate(seq):
                out[i, s] += p
    return out / total


def test_table_is_a_structured_distribution(dist):
    assert dist.probs.shape == (81,) and abs(dist.probs.sum().item() - 1) < 1e-12
    assert dist.support.shape == (81, 4) and dist.support.min() == 1 and dist.support.max() == 3
    assert dist.probs.max() < 0.9 and dist.probs.min() > 0  # non-degenerate
    torch.testing.assert_close(dist.log_prob(dist.support).exp(), dist.probs)
    other = ToyDistribution.markov_mixture(4, 3, 2, 0.5, dist_seed=1)
    assert not torch.allclose(other.probs, dist.probs)


def test_exact_conditionals_match_brute_force_bayes(dist):
    g = torch.Generator().manual_seed(0)
    x0 = dist.sample(20, g)
    xt = x0.masked_fill(random_masks(20, 4, g), 0)
    xt[0] = 0  # fully masked row: the marginals
    cond = dist.exact_conditionals(xt)
    assert cond.shape == (20, 4, 4)
    torch.testing.assert_close(cond.sum(-1), torch.ones(20, 4, dtype=torch.float64))
    assert (cond[..., 0] == 0).all()
    observed = xt != 0
    assert torch.equal(cond[observed], torch.nn.functional.one_hot(xt[observed], 4).double())
    for row in range(20):
        torch.testing.assert_close(cond[row], brute_force(dist, xt[row]))
    # conditionals genuinely depend on the context (not independent positions)
    assert (cond[1:, :, 1:] - cond[0, :, 1:]).abs().max() > 0.1


def test_sampling_matches_table(dist):
    x = dist.sample(40000, torch.Generator().manual_seed(1))
    freq = torch.bincount(dist.index(x), minlength=81).double() / 40000
    assert (freq - dist.probs).abs().max() < 0.01


def test_input_errors(dist):
    with pytest.raises(InputError):
        dist.log_prob(torch.zeros(2, 4, dtype=torch.long))
    with pytest.raises(InputError):
        dist.exact_conditionals(torch.zeros(2, 5, dtype=torch.long))


def test_source_determinism():
    bundle = build_task("toy", {}, seed=3)
    a, b = bundle.source.batch(5, 1, 16), bundle.source.batch(5, 1, 16)
    assert torch.equal(a["x0"], b["x0"]) and a["x0"].dtype == torch.long and not a["is_fixed"].any()
    assert not torch.equal(a["x0"], bundle.source.batch(6, 1, 16)["x0"])
    assert not torch.equal(a["x0"], bundle.source.batch(5, 0, 16)["x0"])
    assert not torch.equal(a["x0"], build_task("toy", {}, seed=4).source.batch(5, 1, 16)["x0"])


def test_bundle_contents_and_rebuild():
    bundle = build_task("toy", {"length": 3, "n_symbols": 4}, seed=0)
    assert bundle.name == "toy" and bundle.model_fields == {"vocab_size": 5, "max_len": 3}
    assert bundle.tokenizer.symbols == ("[MASK]", "a", "b", "c", "d") and bundle.tokenizer.mask_id == 0
    meta = json.loads(json.dumps(bundle.metadata))
    rebuilt = ToyDistribution.from_dict(meta["distribution"])
    torch.testing.assert_close(rebuilt.probs, build_task("toy", {"length": 3, "n_symbols": 4}, 9).metadata["distribution"]
                               and torch.tensor(meta["distribution"]["probs"], dtype=torch.float64))
    with pytest.raises(ConfigError, match="valid"):
        build_task("toy", {"lenght": 3}, 0)
    with pytest.raises(ConfigError):
        build_task("toy", {"length": 30}, 0)


def test_conditional_kl_is_zero_for_the_exact_model(dist):
    def oracle(xt):
        return dist.exact_conditionals(xt).clamp_min(1e-30).log()

    g = torch.Generator().manual_seed(0)
    assert abs(conditional_kl(oracle, dist, 256, g)) < 1e-9
    uniform = conditional_kl(lambda xt: torch.zeros(*xt.shape, 4), dist, 256, torch.Generator().manual_seed(0))
    assert uniform > 0.05


def test_build_pi_batches():
    bundle = build_task("pi-toy", {"perm": [2, 0, 3, 1]}, seed=0)
    assert bundle.model_fields == {"vocab_size": 4, "max_len": 5, "causal": True}
    out = bundle.source.batch(0, 0, 8)
    x0 = build_task("toy", {}, seed=0).source.batch(0, 0, 8)["x0"]
    assert torch.equal(out["tokens"][:, 0], torch.zeros(8, dtype=torch.long))
    assert torch.equal(out["tokens"][:, 1:], x0[:, [2, 0, 3, 1]])
    assert not out["loss_mask"][:, 0].any() and out["loss_mask"][:, 1:].all()
    assert bundle.metadata["permutation"] == [2, 0, 3, 1]
    assert build_task("pi-toy", {}, 0).metadata["permutation"] == [0, 1, 2, 3]
    with pytest.raises(ConfigError):
        build_task("pi-toy", {"perm": [0, 0, 1, 2]}, 0)


@pytest.mark.slow
def test_short_training_drives_kl_down():
    torch.manual_seed(0)
    bundle = build_task("toy", {"eval_masks": 1024}, seed=0)
    model = Transformer(ModelConfig(n_layers=2, d_model=32, n_heads=2, **bundle.model_fields))
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    before = bundle.evaluate(model, 0)["kl"]
    g = torch.Generator().manual_seed(0)
    for step in range(300):
        out = mdm_loss(model, bundle.source.batch(step, 0, 64), MDMConfig(sampling="subset"), 0, g)
        opt.zero_grad()
        out.loss.backward()
        opt.step()
    after = bundle.evaluate(model, 300)["kl"]
    assert model.training  # evaluate restores the mode
    print(f"toy KL before {before:.4f} after {after:.4f}")
    assert after < 0.3 * before, (before, after)
