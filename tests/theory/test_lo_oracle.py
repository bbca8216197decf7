import numpy as np
import pytest
import torch

from anyorder.errors import InputError
from anyorder.experiments.lo import imbalance as lo_imbalance
from anyorder.experiments.lo import table1 as lo_table1
from anyorder.tasks.lo import make_distribution
from anyorder.theory.lo_oracle import ExactOracle, LocalOracle, local_oracle_accuracy


def _scores(model, dist, n=256):
    plans = {name: lo_table1.inference_plan(score, dist.n_latents + dist.n_obs, None)
             for name, score in lo_table1.INFERENCE.items()}
    return {name: lo_table1.sample_accuracy(model, dist, plan, n, n, 0, "cpu") for name, plan in plans.items()}


def test_exact_oracle_matches_enumerated_conditionals():
    dist = make_distribution({"N": 4, "P": 6})
    oracle = ExactOracle(dist)
    x0 = dist.sample(1, np.random.default_rng(0))
    xt = torch.from_numpy(x0.copy())
    xt[0, [0, 1, 4, 5]] = dist.mask_id  # hide latents 0, 1 and observations 0, 1
    p = oracle(xt).softmax(-1)[0]
    # brute force: every latent assignment consistent with the visible tokens, uniform over them
    z = np.array([[a, b, x0[0, 2], x0[0, 3]] for a in (0, 1) for b in (0, 1)])
    ok = (dist.noiseless_observations(z)[:, 2:] == x0[0, 6:]).all(1)
    consistent = z[ok]
    assert float(p[0, 1]) == pytest.approx(consistent[:, 0].mean(), abs=1e-6)
    assert float(p[4, 1]) == pytest.approx(dist.noiseless_observations(consistent)[:, 0].mean(), abs=1e-6)
    assert float(p[2, x0[0, 2]]) == pytest.approx(1.0, abs=1e-6)


def test_exact_oracle_decodes_consistent_sequences_in_any_order():
    dist = make_distribution({"N": 8, "P": 40})
    acc = _scores(ExactOracle(dist), dist, n=64)
    assert acc == {"vanilla": 1.0, "adaptive": 1.0}


def test_local_oracle_matches_closed_form():
    dist = make_distribution({"N": 8, "P": 40})
    assert local_oracle_accuracy(dist, "vanilla") == pytest.approx(0.75)
    assert local_oracle_accuracy(dist, "adaptive") == pytest.approx(0.625)
    acc = _scores(LocalOracle(dist), dist, n=256)
    se = (0.25 / (256 * 40)) ** 0.5  # observations within a sample are correlated: allow ~5 standard errors
    assert acc["vanilla"] == pytest.approx(0.75, abs=6 * se)
    assert acc["adaptive"] == pytest.approx(0.625, abs=6 * se)


def test_local_oracle_is_certain_once_the_tuple_is_visible():
    dist = make_distribution({"N": 6, "P": 10})
    x0 = dist.sample(3, np.random.default_rng(1))
    xt = torch.from_numpy(x0.copy())
    obs, lat = torch.tensor(dist.obs_positions), torch.tensor(dist.latent_positions)  # not read-only numpy indices
    xt[:, obs] = dist.mask_id
    p = LocalOracle(dist)(xt).softmax(-1)
    assert (p[:, obs].argmax(-1).numpy() == x0[:, obs.numpy()]).all()
    assert float(p[:, obs].max(-1).values.min()) > 0.999
    assert torch.allclose(p[:, lat, :2], torch.full((3, 6, 2), 0.5), atol=1e-6)


def test_imbalance_of_oracle_against_itself_is_zero_and_local_vs_exact_is_latent_heavy():
    dist = make_distribution({"N": 8, "P": 40})
    rng = np.random.default_rng(0)
    x0, mask = dist.sample(64, rng), lo_imbalance.random_masks(dist, 64, 4, rng)
    exact = ExactOracle(dist)
    err = lo_imbalance.squared_log_errors(exact, exact, dist, x0, mask, "cpu")
    assert (err[mask] == 0).all()
    err = lo_imbalance.squared_log_errors(LocalOracle(dist), exact, dist, x0, mask, "cpu")
    lat = np.nanmean(err[:, dist.latent_positions])
    obs = np.nanmean(err[:, dist.obs_positions])
    assert lat > 0 and lat > obs


def test_exact_oracle_refuses_too_many_hidden_latents_but_handles_few_of_many():
    dist = make_distribution({"N": 20, "P": 20})
    x0 = torch.from_numpy(dist.sample(2, np.random.default_rng(0)))
    with pytest.raises(InputError, match="enumerates"):
        ExactOracle(dist, max_hidden=8)(x0.masked_fill(torch.ones_like(x0, dtype=torch.bool), dist.mask_id))
    xt = x0.clone()
    xt[0, [1, 2]] = dist.mask_id  # rows with different numbers of hidden latents in one batch
    xt[1, [3]] = dist.mask_id
    xt[:, 25] = dist.mask_id
    p = ExactOracle(dist, max_hidden=8)(xt).softmax(-1)
    visible_obs_fix_latents = p[torch.arange(2)[:, None], torch.tensor([[1, 2], [3, 3]]), x0[torch.arange(2)[:, None], torch.tensor([[1, 2], [3, 3]])]]
    brute = []
    for row, hid in ((0, [1, 2]), (1, [3])):
        zs = []
        for vals in np.ndindex(*(2,) * len(hid)):
            z = x0[row, :20].numpy().copy()
            z[hid] = vals
            obs = dist.noiseless_observations(z[None])[0]
            keep = np.ones(20, bool)
            keep[5] = False  # observation 5 (position 25) is hidden
            if (obs[keep] == x0[row, 20:].numpy()[keep]).all():
                zs.append(z)
        brute.append(np.mean([dist.noiseless_observations(z[None])[0, 5] for z in zs]))
    assert float(p[0, 25, 1]) == pytest.approx(brute[0], abs=1e-6)
    assert float(p[1, 25, 1]) == pytest.approx(brute[1], abs=1e-6)
    assert (visible_obs_fix_latents > 0).all()


def test_local_oracle_closed_form_with_noise_and_parity():
    parity = make_distribution({"kind": "sparse_parity", "N": 8, "P": 40, "eta": 0.1})
    # parity is unknown until all 3 latents are visible: (3 * 1/2 + (1 - eta)) / 4
    assert local_oracle_accuracy(parity, "vanilla") == pytest.approx((1.5 + 0.9) / 4)
    assert local_oracle_accuracy(parity, "adaptive") is None
    acc = _scores(LocalOracle(parity), parity, n=256)
    assert acc["vanilla"] == pytest.approx((1.5 + 0.9) / 4, abs=0.03)
