"""Behaviour pinned by mutants that survived tests/objectives (scripts/mutation.sh; docs/testing.md)."""
import math

import pytest
import torch

from anyorder.errors import ConfigError, InputError
from anyorder.models.transformer import ModelConfig
from anyorder.objectives.ar import ARConfig, ar_loss
from anyorder.objectives.flops import forward_flops_per_token
from anyorder.objectives.mdm import MDMConfig, corrupt, mdm_loss
from anyorder.objectives.permutations import (
    check_permutation,
    closer,
    inverse_permutation,
    much_closer,
    permute_batch,
    permuted_source,
)
from anyorder.objectives.schedule import elbo_weight

T = torch.linspace(0.01, 0.99, 99, dtype=torch.float64)


def test_elbo_weight_defaults_to_the_linear_schedule():
    torch.testing.assert_close(elbo_weight(T), 1 / T)


def test_cosine_elbo_weight_closed_form():
    # alpha = cos(pi t / 2): -alpha' / (1 - alpha) = (pi / 2) sin(pi t / 2) / (1 - cos(pi t / 2))
    expected = 0.5 * math.pi * torch.sin(0.5 * math.pi * T) / (1 - torch.cos(0.5 * math.pi * T))
    torch.testing.assert_close(elbo_weight(T, "cosine"), expected)


def _replay_swaps(length: int, n_swaps: int, seed: int) -> list[int]:
    """App. C.1 by hand: n_swaps transpositions of two uniform positions, drawn as (n_swaps, 2) randint."""
    pairs = torch.randint(0, length, (n_swaps, 2), generator=torch.Generator().manual_seed(seed)).tolist()
    perm = list(range(length))
    for a, b in pairs:
        perm[a], perm[b] = perm[b], perm[a]
    return perm


@pytest.mark.parametrize("length", [81, 100, 400])
def test_closer_and_much_closer_use_the_paper_swap_counts(length):
    # closer: round(L / 10) swaps; much_closer: round(sqrt(L)) swaps (L = 81: 8 and 9; 100: 10 and 10)
    for family, n_swaps in ((closer, round(length / 10)), (much_closer, round(math.sqrt(length)))):
        got = family(length, torch.Generator().manual_seed(5)).tolist()
        assert got == _replay_swaps(length, n_swaps, 5)
        assert got != _replay_swaps(length, n_swaps - 1, 5)


class _Source:
    def __init__(self, keys):
        self.keys = keys

    def batch(self, step, rank, batch_size):
        full = {"x0": torch.zeros(batch_size, 3, dtype=torch.long),
                "is_fixed": torch.zeros(batch_size, 3, dtype=torch.bool)}
        return {k: full[k] for k in self.keys}


@pytest.mark.parametrize("keys", [("x0",), ("is_fixed",), ()])
def test_permuted_source_names_a_missing_key(keys):
    src = permuted_source(_Source(keys), torch.tensor([2, 0, 1]), bos_id=4)
    with pytest.raises(InputError, match=r"needs an MDM source with 'x0' and 'is_fixed', got \[" ):
        src.batch(0, 0, 2)


def test_permute_batch_builds_every_tensor_on_the_batch_device():
    # the "meta" device stands in for an accelerator: a CPU tensor mixed in makes torch.cat raise
    x0 = torch.zeros(2, 4, dtype=torch.long, device="meta")
    out = permute_batch(x0, torch.zeros(2, 4, dtype=torch.bool, device="meta"), torch.tensor([1, 0, 3, 2]), 7)
    assert out["tokens"].device.type == "meta" and out["tokens"].dtype == torch.long
    assert out["loss_mask"].device.type == "meta" and out["loss_mask"].shape == (2, 5)
    assert out["loss_mask"].dtype == torch.bool  # a mask, not 0/1 integers promoted by torch.cat


def test_inverse_permutation_of_a_batch_of_orders():
    perm = torch.tensor([[2, 0, 1], [0, 1, 2]])
    assert inverse_permutation(perm).tolist() == [[1, 2, 0], [0, 1, 2]]


class _FixedLogits:
    """Causal 'model' with known logits: returns ``logits[:, :L]`` for an input of length L."""

    def __init__(self, logits):
        self.logits = logits

    def __call__(self, tokens):
        return self.logits[:, : tokens.shape[1]]


def test_ar_label_smoothing_closed_form_and_metrics():
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(2, 3, 5, generator=g)  # (B, L - 1, V)
    tokens = torch.tensor([[0, 1, 4, 2], [0, 3, 3, 0]])
    loss_mask = torch.tensor([[False, True, True, False], [False, True, False, True]])
    batch = {"tokens": tokens, "loss_mask": loss_mask}
    logp = torch.log_softmax(logits, -1)
    targets, mask = tokens[:, 1:], loss_mask[:, 1:]
    nll = -logp.gather(-1, targets[..., None])[..., 0]
    eps = 0.2
    smoothed = (1 - eps) * nll - eps * logp.mean(-1)  # label smoothing: eps spread uniformly over V classes
    out = ar_loss(_FixedLogits(logits), batch, ARConfig(label_smoothing=eps))
    assert out.loss.item() == pytest.approx(smoothed[mask].mean().item(), rel=1e-5)
    assert out.metrics["loss"] == pytest.approx(out.loss.item())
    assert out.metrics["ce"] == pytest.approx(nll[mask].mean().item(), rel=1e-5)  # unsmoothed
    hits = (logits.argmax(-1) == targets)[mask]
    assert out.metrics["acc"] == pytest.approx(hits.float().mean().item())


def test_ar_accuracy_counts_argmax_hits_on_loss_tokens_only():
    tokens = torch.tensor([[0, 1, 2, 3]])
    right = torch.nn.functional.one_hot(torch.tensor([[1, 0, 3]]), 4).float() * 5  # hits steps 1 and 3
    out = ar_loss(_FixedLogits(right), {"tokens": tokens, "loss_mask": torch.tensor([[False, True, True, True]])},
                  ARConfig())
    assert out.metrics["acc"] == pytest.approx(2 / 3) and out.n_tokens == 3
    out = ar_loss(_FixedLogits(right), {"tokens": tokens, "loss_mask": torch.tensor([[False, False, True, False]])},
                  ARConfig())
    assert out.metrics["acc"] == 0.0 and out.n_tokens == 1


def test_ar_batch_errors_name_the_problem():
    with pytest.raises(InputError, match=r"'tokens' and 'loss_mask', got keys \['x0'\]"):
        ar_loss(_FixedLogits(torch.zeros(1, 3, 2)), {"x0": torch.zeros(1, 3, dtype=torch.long)}, ARConfig())
    tokens = torch.zeros(2, 3, dtype=torch.long)
    with pytest.raises(InputError, match=r"tokens \(2, 3\) and loss_mask \(2, 4\) must be"):
        ar_loss(_FixedLogits(torch.zeros(2, 3, 2)), {"tokens": tokens, "loss_mask": torch.ones(2, 4, dtype=bool)},
                ARConfig())
    with pytest.raises(InputError, match=r"must be \(B, L>=2\)"):
        ar_loss(_FixedLogits(torch.zeros(2, 1, 2)), {"tokens": tokens[:, :1], "loss_mask": tokens[:, :1] == 0},
                ARConfig())


@pytest.mark.parametrize("sampling", ["continuous", "subset", "discrete"])
def test_corrupt_draws_on_the_generator_and_builds_on_the_batch_device(sampling):
    # generator on the CPU, batch on "meta" (stands in for an accelerator): mixing devices would raise
    x0 = torch.zeros(2, 5, dtype=torch.long, device="meta")
    xt, is_masked, weight = corrupt(x0, torch.zeros(2, 5, dtype=torch.bool, device="meta"),
                                    MDMConfig(sampling=sampling), 9, torch.Generator().manual_seed(0))
    assert {xt.device.type, is_masked.device.type, weight.device.type} == {"meta"}
    assert is_masked.dtype == torch.bool and weight.dtype == torch.float32


@pytest.mark.parametrize("kw, message", [
    (dict(time_weight="linear"), r"MDMConfig.time_weight='linear' \(Ye et al. T - t\) needs sampling='discrete'"),
    (dict(time_eps=1.0), r"MDMConfig.time_eps must be in \(0, 1\), got 1.0"),
    (dict(time_eps=1.5), r"MDMConfig.time_eps must be in \(0, 1\), got 1.5"),
    (dict(n_discrete_steps=0), r"MDMConfig.n_discrete_steps must be >= 1, got 0"),
    (dict(focal_alpha=0.0), r"MDMConfig.focal_alpha must be > 0 and focal_gamma >= 0"),
    (dict(sampling="bernoulli"), r"unknown MDMConfig.sampling='bernoulli'; valid: \['continuous', 'subset'"),
])
def test_mdm_config_errors_name_the_field_and_value(kw, message):
    with pytest.raises(ConfigError, match=f"^{message}"):
        MDMConfig(**kw)


def test_flops_accept_a_one_token_sequence():
    cfg = ModelConfig(vocab_size=5, max_len=10, n_layers=2, d_model=8, n_heads=2)
    assert forward_flops_per_token(cfg, 1) == forward_flops_per_token(cfg, 10) - 2 * 2 * 9 * 8
    with pytest.raises(InputError, match=r"seq_len must be in \[1, max_len=10\], got 0"):
        forward_flops_per_token(cfg, 0)


def test_check_permutation_casts_to_int64():
    perm = check_permutation(torch.tensor([1.0, 0.0, 2.0]))
    assert perm.dtype == torch.long and perm.tolist() == [1, 0, 2]


def test_corrupt_shape_error_names_both_shapes():
    with pytest.raises(InputError, match=r"x0 \(2, 3\) and is_fixed \(2, 4\) must both be \(B, L\)"):
        corrupt(torch.zeros(2, 3, dtype=torch.long), torch.zeros(2, 4, dtype=torch.bool), MDMConfig(), 0,
                torch.Generator())


class _KnownMDM:
    """Fake MDM: the same known logits (L, V) for every input row; [MASK] (id 0) gets a large logit that the loss
    must ignore."""

    def __init__(self, logits):
        self.logits = logits

    def __call__(self, xt):
        return self.logits.expand(xt.shape[0], -1, -1)


def test_mdm_metrics_are_the_mean_masked_ce_and_the_mask_rate():
    g = torch.Generator().manual_seed(1)
    logits = torch.randn(4, 4, generator=g)
    logits[:, 0] = 9.0  # [MASK] column, excluded from the softmax
    x0 = torch.tensor([[1, 2, 3, 1], [2, 2, 1, 3]])
    logp = torch.log_softmax(logits[:, 1:], -1).expand(2, -1, -1)
    true_ce = -logp.gather(-1, (x0 - 1)[..., None])[..., 0]  # (2, 4)
    fixed = torch.zeros_like(x0, dtype=torch.bool)
    # "continuous" with the elbo weight 1 / t: the loss (per maskable token) differs from the mean masked CE
    out = mdm_loss(_KnownMDM(logits), {"x0": x0, "is_fixed": fixed}, MDMConfig(), 0,
                   torch.Generator().manual_seed(5))
    xt, is_masked, weight = corrupt(x0, fixed, MDMConfig(), 0, torch.Generator().manual_seed(5))
    assert is_masked.sum(1).tolist() == [2, 1]  # this seed masks tokens in both rows
    assert out.n_tokens == int(is_masked.sum())
    assert out.metrics["ce"] == pytest.approx(true_ce[is_masked].mean().item(), rel=1e-5)
    assert out.metrics["mask_rate"] == pytest.approx(out.n_tokens / 8)
    assert out.metrics["loss"] == pytest.approx(out.loss.item())
    assert out.metrics["loss"] != pytest.approx(out.metrics["ce"], rel=1e-3)
    expected = ((weight * true_ce * is_masked).sum(1) / 4).mean()
    assert out.loss.item() == pytest.approx(expected.item(), rel=1e-5)


def test_mdm_ce_metric_with_a_single_masked_token():
    logits = torch.tensor([[9.0, 0.0, 1.0, 2.0]] * 3)
    x0 = torch.tensor([[1, 2, 3]])
    fixed = torch.tensor([[True, False, True]])  # one maskable position: subset sampling masks exactly it
    out = mdm_loss(_KnownMDM(logits), {"x0": x0, "is_fixed": fixed}, MDMConfig(sampling="subset"), 0,
                   torch.Generator().manual_seed(0))
    expected = -torch.log_softmax(torch.tensor([0.0, 1.0, 2.0]), 0)[1].item()
    assert out.n_tokens == 1 and out.metrics["mask_rate"] == 1.0
    assert out.metrics["ce"] == pytest.approx(expected, rel=1e-5)
    assert out.loss.item() == pytest.approx(expected, rel=1e-5)  # weight N / n = 1, divided by N = 1
