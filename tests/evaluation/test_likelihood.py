"""Chain-rule NLL of an MDM along any order, MDM ELBO and ARM NLL (anyorder.evaluation.likelihood)."""
import itertools
import math

import pytest
import torch

from anyorder.evaluation.likelihood import ar_nll, chain_rule_nll, mdm_elbo
from anyorder.models.transformer import ModelConfig, Transformer
from anyorder.objectives.permutations import make_permutation, permute_batch

V, L, MASK = 3, 4, 3  # values 0..2, [MASK] = 3


def all_sequences() -> torch.Tensor:
    return torch.tensor(list(itertools.product(range(V), repeat=L)), dtype=torch.long)  # (V^L, L)


def random_table(seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.softmax(2.0 * torch.randn(V ** L, generator=g, dtype=torch.float64), dim=0)


class ExactMDM:
    """A denoiser whose conditionals are exact: p(x^i = v | revealed positions) from an enumerated table."""

    def __init__(self, probs: torch.Tensor) -> None:
        self.seqs, self.probs = all_sequences(), probs

    def __call__(self, states: torch.Tensor) -> torch.Tensor:
        revealed = states != MASK  # (N, L)
        match = ((self.seqs[None] == states[:, None]) | ~revealed[:, None]).all(-1)  # (N, S)
        w = match.double() * self.probs[None]
        onehot = torch.nn.functional.one_hot(self.seqs, V).double()  # (S, L, V)
        cond = torch.einsum("ns,slv->nlv", w, onehot) / w.sum(1)[:, None, None]
        logits = torch.cat([cond.log(), torch.full((*cond.shape[:2], 1), -30.0, dtype=torch.float64)], -1)
        return logits.float()


def test_exact_conditionals_give_true_nll_for_every_order():
    probs = random_table(0)
    model, x0 = ExactMDM(probs), all_sequences()
    true_nll = -probs.log()
    for perm in itertools.permutations(range(L)):
        res = chain_rule_nll(model, x0, torch.tensor(perm), MASK, batch_size=50)
        assert torch.allclose(res.nll, true_nll, atol=1e-4), perm
        assert res.n_model_calls == math.ceil(x0.shape[0] * L / 50)


def test_per_row_orders_and_fixed_positions_give_conditional_nll():
    probs = random_table(1)
    model, x0 = ExactMDM(probs), all_sequences()
    g = torch.Generator().manual_seed(0)
    order = torch.stack([torch.randperm(L, generator=g) for _ in range(x0.shape[0])])
    is_fixed = torch.zeros_like(x0, dtype=torch.bool)
    is_fixed[:, 1] = True  # condition on position 1
    res = chain_rule_nll(model, x0, order, MASK, is_fixed=is_fixed, batch_size=64)
    marg = torch.zeros(V, dtype=torch.float64).index_add_(0, x0[:, 1], probs)
    expected = -(probs / marg[x0[:, 1]]).log()
    assert torch.allclose(res.nll, expected, atol=1e-4)
    assert res.n_tokens.tolist() == [L - 1] * x0.shape[0]
    assert res.n_model_calls == math.ceil(x0.shape[0] * (L - 1) / 64)


def tiny_transformer(causal: bool, seed: int = 0, max_len: int = L) -> Transformer:
    torch.manual_seed(seed)
    cfg = ModelConfig(vocab_size=V + 1, max_len=max_len, n_layers=1, d_model=16, n_heads=2, causal=causal)
    model = Transformer(cfg).eval()
    with torch.no_grad():
        model.head.weight.mul_(50.0)  # spread the logits so that orders differ
    return model


def test_batched_chain_rule_matches_step_by_step_loop():
    model, x0 = tiny_transformer(False), all_sequences()[::7]
    order = torch.tensor([2, 0, 3, 1])
    res = chain_rule_nll(model, x0, order, MASK, batch_size=7)
    for b in range(x0.shape[0]):
        state, total = torch.full((L,), MASK), 0.0
        for pos in order.tolist():
            logits = model(state[None])[0, pos].double()
            logits[MASK] = -math.inf
            total -= torch.log_softmax(logits, -1)[x0[b, pos]].item()
            state[pos] = x0[b, pos]
        assert res.nll[b].item() == pytest.approx(total, abs=1e-5)
    other = chain_rule_nll(model, x0, torch.arange(L), MASK)
    assert not torch.allclose(other.nll, res.nll)


def test_elbo_is_the_average_chain_rule_nll_over_orders():
    model, x0 = tiny_transformer(False, seed=3), all_sequences()[[0, 40, 77]]
    perms = [torch.tensor(p) for p in itertools.permutations(range(L))]
    avg = torch.stack([chain_rule_nll(model, x0, p, MASK).nll for p in perms]).mean(0)
    est = mdm_elbo(model, x0, MASK, torch.Generator().manual_seed(0), n_samples=4000, batch_size=4000)
    assert est.n_model_calls == 3
    assert torch.allclose(est.nll, avg, rtol=0.05), (est.nll, avg)


def test_elbo_with_exact_conditionals_estimates_true_nll():
    probs = random_table(2)
    x0 = all_sequences()[probs.argsort(descending=True)[:4]]
    est = mdm_elbo(ExactMDM(probs), x0, MASK, torch.Generator().manual_seed(1), n_samples=3000, batch_size=3000)
    true = -probs.sort(descending=True).values[:4].log()
    assert torch.allclose(est.nll, true, rtol=0.05)
    assert est.per_token == pytest.approx(float(est.nll.sum() / (4 * L)))


def test_elbo_is_seeded_and_respects_fixed_positions():
    model, x0 = tiny_transformer(False), all_sequences()[:5]
    a = mdm_elbo(model, x0, MASK, torch.Generator().manual_seed(5), n_samples=8)
    b = mdm_elbo(model, x0, MASK, torch.Generator().manual_seed(5), n_samples=8)
    assert torch.equal(a.nll, b.nll)
    fixed = torch.ones_like(x0, dtype=torch.bool)
    none = mdm_elbo(model, x0, MASK, torch.Generator().manual_seed(5), is_fixed=fixed, n_samples=4)
    assert torch.equal(none.nll, torch.zeros(5, dtype=torch.float64))


def test_ar_nll_of_a_pi_learner_matches_manual_chain_rule():
    model, x0 = tiny_transformer(True, max_len=L + 1), all_sequences()[::5]
    perm = make_permutation("uniform", L, seed=4)
    batch = permute_batch(x0, torch.zeros_like(x0, dtype=torch.bool), perm, MASK)
    res = ar_nll(model, batch["tokens"], batch["loss_mask"], batch_size=4)
    logp = torch.log_softmax(model(batch["tokens"]).double(), -1)
    manual = -sum(logp[:, t - 1].gather(1, batch["tokens"][:, t, None]).squeeze(1) for t in range(1, L + 1))
    assert torch.allclose(res.nll, manual, atol=1e-5)
    assert res.n_model_calls == math.ceil(x0.shape[0] / 4)
    assert res.n_tokens.tolist() == [L] * x0.shape[0]


def test_positions_per_call_reads_k_steps_from_one_state():
    model, x0 = ExactMDM(random_table(3)), all_sequences()[::7]
    order = make_permutation("uniform", L, 5)
    exact = chain_rule_nll(model, x0, order, MASK, batch_size=5)
    same = chain_rule_nll(model, x0, order, MASK, batch_size=5, positions_per_call=1, progress=True)
    assert torch.equal(exact.nll, same.nll) and exact.n_model_calls == same.n_model_calls
    # k = L: every token from the all-masked state = the sum of the exact marginals
    marg = chain_rule_nll(model, x0, order, MASK, batch_size=4, positions_per_call=L)
    all_masked = torch.log_softmax(model(torch.full((1, L), MASK)).double()[0, :, :V], -1)  # (L, V)
    assert torch.allclose(marg.nll, -all_masked.gather(1, x0.T).sum(0))
    assert marg.n_model_calls == math.ceil(x0.shape[0] / 4)
    # k = 2 with a fixed position: groups are formed over each row's scored steps only
    fixed = torch.zeros_like(x0, dtype=torch.bool)
    fixed[:, order[1]] = True
    two = chain_rule_nll(model, x0, order, MASK, is_fixed=fixed, batch_size=3, positions_per_call=2)
    assert two.n_model_calls == math.ceil(x0.shape[0] * 2 / 3) and torch.equal(two.n_tokens, (~fixed).sum(1))


def test_identity_chain_rule_of_the_toy_task_exact_model_is_its_true_nll():
    from anyorder.tasks.toy import ToyDistribution

    dist = ToyDistribution.markov_mixture(5, 3, 2, 0.5, dist_seed=1)
    x0 = dist.sample(40, torch.Generator().manual_seed(0))
    exact = lambda xt: dist.exact_conditionals(xt).clamp_min(1e-300).log()  # noqa: E731 - logits = log p
    res = chain_rule_nll(exact, x0, torch.arange(5), mask_id=0, batch_size=7, progress=True)
    assert torch.allclose(res.nll, -dist.log_prob(x0), atol=1e-9)
