import json

import numpy as np
import pytest
import torch

from anyorder.errors import ConfigError
from anyorder.tasks.lo import LODistribution, make_distribution, nae, neq, parity
from anyorder.tasks.registry import build_task


def test_predicates_truth_tables():
    v = np.array([[0, 0, 0], [1, 1, 1], [0, 1, 0], [1, 0, 0]])
    assert nae(v).tolist() == [False, False, True, True]
    assert parity(v).tolist() == [False, True, True, True]
    assert neq(np.array([[0, 1], [2, 2], [2, 0]])).tolist() == [True, False, True]


def test_nae_sat_samples_are_consistent_and_shapes():
    dist = make_distribution({"N": 25, "P": 275, "pad_to": 512})
    x = dist.sample(64, np.random.default_rng(0))
    assert x.shape == (64, 512) and x.dtype == np.int64
    assert (x[:, 300:] == 2).all() and set(np.unique(x[:, :300])) <= {0, 1}
    assert dist.check(x).shape == (64, 275) and dist.check(x).all()
    assert dist.observation_accuracy(x) == 1.0
    assert dist.is_fixed()[300:].all() and not dist.is_fixed()[:300].any()
    assert dist.pad_id == 2 and dist.mask_id == 3


def test_subsets_distinct_fixed_by_dist_seed():
    a, b = make_distribution({"dist_seed": 1}), make_distribution({"dist_seed": 1})
    c = make_distribution({"dist_seed": 2})
    assert np.array_equal(a.subsets, b.subsets) and not np.array_equal(a.subsets, c.subsets)
    s = np.sort(a.subsets, axis=1)
    assert (s[:, 1:] != s[:, :-1]).all() and a.subsets.max() < 20


def test_random_guess_accuracy_is_three_quarters():
    dist = make_distribution({"N": 30, "P": 270})
    x = dist.sample(2000, np.random.default_rng(1))
    x[:, dist.obs_positions] = 1  # "naive guessing": NAE of a distinct random triple holds w.p. 3/4
    assert abs(dist.observation_accuracy(x) - 0.75) < 0.01
    x[:, dist.obs_positions] = np.random.default_rng(2).integers(0, 2, size=(2000, 270))
    assert abs(dist.observation_accuracy(x) - 0.5) < 0.01


def test_check_detects_flipped_observation_and_invalid_latent():
    dist = make_distribution({"N": 10, "P": 30})
    x = dist.sample(4, np.random.default_rng(0))
    x[0, dist.obs_positions[5]] ^= 1
    x[1, dist.latent_positions[dist.subsets[3, 0]]] = dist.mask_id
    ok = dist.check(torch.from_numpy(x))
    assert not ok[0, 5] and ok[0].sum() == 29
    assert not ok[1, 3]
    assert ok[2:].all()


def test_random_perm_places_latents_and_observations():
    dist = make_distribution({"N": 8, "P": 16, "perm": "random", "dist_seed": 3})
    assert sorted(dist.perm.tolist()) == list(range(24)) and not np.array_equal(dist.perm, np.arange(24))
    x = dist.sample(5, np.random.default_rng(0))
    assert dist.check(x).all()


def test_noisy_parity_flip_rate():
    dist = make_distribution({"kind": "sparse_parity", "N": 20, "P": 100, "k": 3, "eta": 0.1})
    x = dist.sample(1000, np.random.default_rng(0))
    assert abs(dist.observation_accuracy(x) - 0.9) < 0.01


def test_sparse_predicate_colouring_and_all_subsets():
    dist = make_distribution({"kind": "sparse_predicate", "N": 5, "P": 20, "k": 2, "m": 4, "predicate": "neq",
                              "subsets": "all"})
    assert dist.subsets.shape == (20, 2)
    x = dist.sample(100, np.random.default_rng(0))
    assert x[:, :5].max() == 3 and set(np.unique(x[:, 5:])) <= {0, 1}
    assert dist.check(x).all() and dist.mask_id == 5
    with pytest.raises(ConfigError, match="N!/"):
        make_distribution({"kind": "sparse_predicate", "N": 5, "P": 19, "k": 2, "subsets": "all"})


def test_unknown_options_raise_listing_valid():
    with pytest.raises(ConfigError, match="unknown keys ..bogus.*valid: .*eval_samples"):
        make_distribution({"bogus": 1})
    with pytest.raises(ConfigError, match="valid kinds"):
        make_distribution({"kind": "xor"})
    with pytest.raises(ConfigError, match="valid predicates"):
        make_distribution({"kind": "sparse_predicate", "predicate": "maj"})


def test_bundle_source_pure_and_metadata_roundtrip():
    bundle = build_task("lo", {"N": 20, "P": 280, "pad_to": 512, "dist_seed": 7}, seed=3)
    b1, b2 = bundle.source.batch(5, 0, 8), bundle.source.batch(5, 0, 8)
    assert torch.equal(b1["x0"], b2["x0"]) and not torch.equal(b1["x0"], bundle.source.batch(6, 0, 8)["x0"])
    assert b1["is_fixed"].shape == (8, 512) and b1["is_fixed"][:, 300:].all()
    assert bundle.model_fields == {"vocab_size": 4, "max_len": 512}
    assert bundle.tokenizer.mask_id == 3 and bundle.tokenizer.pad_id == 2
    meta = json.loads(json.dumps(bundle.metadata))
    dist = LODistribution.from_metadata(meta)
    assert np.array_equal(dist.subsets, bundle.source.dist.subsets)
    assert dist.check(b1["x0"]).all()


def test_evaluator_with_oracle_model():
    bundle = build_task("lo", {"N": 6, "P": 12, "eval_samples": 32}, seed=0)
    dist = bundle.source.dist

    def model(xt):  # knows latents when shown; predicts NAE of them
        lat = xt[:, torch.tensor(dist.latent_positions)]
        obs = torch.from_numpy(dist.noiseless_observations(lat.clamp(max=1).numpy()))
        logits = torch.zeros(*xt.shape, 4)
        logits[:, torch.tensor(dist.obs_positions), :] = torch.nn.functional.one_hot(obs, 4).float() * 10
        return logits

    metrics = bundle.evaluate(model, 0)
    assert metrics["obs_given_latents_acc"] == 1.0

    def constant(value):  # predicts latent value `value` everywhere (the oracle above knows no hidden latent)
        def m(xt):
            logits = model(xt)
            logits[:, torch.tensor(dist.latent_positions), value] = 10.0
            return logits
        return m

    # latents are binary: "always 0" and "always 1" split the hidden latents between them, each a real share
    acc = [bundle.evaluate(constant(v), 0)["latent_given_obs_acc"] for v in (0, 1)]
    assert acc[0] + acc[1] == pytest.approx(1.0) and 0.2 < acc[0] < 0.8


def test_evaluator_probes_separate_easy_from_latent_inference():
    from anyorder.tasks.lo import make_evaluator
    from anyorder.theory.lo_oracle import ExactOracle, LocalOracle

    dist = make_distribution({"N": 5, "P": 55})
    evaluate = make_evaluator(dist, 128, 0)
    exact, local = evaluate(ExactOracle(dist), 0), evaluate(LocalOracle(dist), 0)
    assert exact["obs_tuple_visible_acc"] == 1.0 and exact["latent_given_obs_acc"] == 1.0
    assert local["obs_tuple_visible_acc"] == 1.0 and 0.4 < local["latent_given_obs_acc"] < 0.6


@pytest.mark.parametrize("opts, expected", [({"N": 10, "P": 50}, 0.75),
                                            ({"N": 10, "P": 50, "kind": "sparse_predicate"}, 8 / 9),
                                            ({"N": 10, "P": 50, "kind": "sparse_parity"}, 0.5)])
def test_always_one_accuracy_is_the_observation_marginal(opts, expected):
    dist = make_distribution(opts)
    assert dist.always_one_accuracy() == pytest.approx(expected)
    obs = dist.noiseless_observations(np.random.default_rng(0).integers(0, dist.m, (4000, dist.n_latents)))
    assert obs.mean() == pytest.approx(expected, abs=0.01)  # the same rate from samples
