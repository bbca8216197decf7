"""pi-learner orders (anyorder.objectives.permutations)."""
import math

import pytest
import torch

from anyorder.errors import ConfigError, InputError
from anyorder.objectives.permutations import (
    PERMUTATIONS,
    check_permutation,
    inverse_permutation,
    make_permutation,
    n_displaced,
    permute_batch,
    permuted_source,
)
from anyorder.tasks.base import TaskBundle, torch_generator
from anyorder.tasks.pi import permute_bundle
from anyorder.tasks.registry import build_task
from anyorder.tokenizers.symbols import SymbolTable


@pytest.mark.parametrize("family", sorted(PERMUTATIONS))
@pytest.mark.parametrize("length", [1, 7, 100])
def test_every_family_gives_a_seeded_permutation(family, length):
    perm = make_permutation(family, length, seed=3)
    assert perm.dtype == torch.long and perm.shape == (length,)
    check_permutation(perm)
    assert torch.equal(perm, make_permutation(family, length, seed=3))


def test_families_are_ordered_by_distance_from_identity():
    length = 2048
    assert n_displaced(make_permutation("identity", length, 0)) == 0
    much = [n_displaced(make_permutation("much_closer", length, s)) for s in range(3)]
    closer = [n_displaced(make_permutation("closer", length, s)) for s in range(3)]
    unif = [n_displaced(make_permutation("uniform", length, s)) for s in range(3)]
    # k transpositions move at most 2k positions; with L = 2048 collisions are rare
    assert all(0.8 * 2 * round(math.sqrt(length)) <= m <= 2 * round(math.sqrt(length)) for m in much)
    assert all(0.8 * 2 * round(length / 10) <= c <= 2 * round(length / 10) for c in closer)
    assert all(u > 0.99 * length - 10 for u in unif)
    assert make_permutation("uniform", length, 0).tolist() != make_permutation("uniform", length, 1).tolist()


def test_unknown_family_and_bad_permutation_raise():
    with pytest.raises(ConfigError, match="closer"):
        make_permutation("reverse", 5, 0)
    with pytest.raises(InputError):
        check_permutation([0, 0, 1])


def test_inverse_permutation():
    perm = make_permutation("uniform", 50, 1)
    inv = inverse_permutation(perm)
    assert torch.equal(perm[inv], torch.arange(50)) and torch.equal(inv[perm], torch.arange(50))
    batch = torch.stack([perm, make_permutation("closer", 50, 2)])
    assert torch.equal(inverse_permutation(batch)[1], inverse_permutation(batch[1]))


class CountingSource:
    """MDM source: x0[b, i] = (i + step + b) % 5, position 0 fixed."""

    def batch(self, step, rank, batch_size):
        x0 = (torch.arange(6)[None] + step + torch.arange(batch_size)[:, None]) % 5
        is_fixed = torch.zeros_like(x0, dtype=torch.bool)
        is_fixed[:, 0] = True
        return {"x0": x0, "is_fixed": is_fixed}


def test_permuted_source_follows_the_arm_contract():
    perm = torch.tensor([3, 0, 5, 1, 4, 2])
    src = permuted_source(CountingSource(), perm, bos_id=9)
    out = src.batch(2, 0, 4)
    raw = CountingSource().batch(2, 0, 4)
    assert out["tokens"].shape == (4, 7) and out["tokens"].dtype == torch.long
    assert (out["tokens"][:, 0] == 9).all()
    assert torch.equal(out["tokens"][:, 1:], raw["x0"][:, perm])
    assert not out["loss_mask"][:, 0].any()
    assert torch.equal(out["loss_mask"][:, 1:], ~raw["is_fixed"][:, perm])
    assert out["loss_mask"][:, 2].logical_not().all()  # step 1 reveals position 0, which is fixed


def test_permute_bundle_stores_permutation_and_grows_context():
    tok = SymbolTable(("a", "b", "c", "[MASK]"), mask_id=3)
    bundle = TaskBundle("toy", tok, CountingSource(), {"vocab_size": 4, "max_len": 6, "position_tables": ((0,) * 6,)},
                        {"note": 1})
    pi = permute_bundle(bundle, "closer", perm_seed=7)
    assert pi.name == "pi-toy" and pi.model_fields == {"vocab_size": 4, "max_len": 7, "causal": True}
    assert pi.metadata["permutation"] == make_permutation("closer", 6, 7).tolist()
    assert pi.metadata["family"] == "closer" and pi.metadata["note"] == 1 and pi.metadata["bos_id"] == 3
    assert pi.source.batch(0, 0, 2)["tokens"].shape == (2, 7)


def test_permute_batch_roundtrip():
    g = torch_generator(0, 0, 0)
    x0 = torch.randint(0, 4, (3, 8), generator=g)
    perm = make_permutation("uniform", 8, 0)
    out = permute_batch(x0, torch.zeros_like(x0, dtype=torch.bool), perm, 4)
    assert torch.equal(out["tokens"][:, 1:][:, inverse_permutation(perm)], x0)


def test_permute_bundle_wraps_a_registered_task():
    bundle = permute_bundle(build_task("toy", {"length": 5, "n_symbols": 2}, seed=0), "uniform", perm_seed=2)
    assert bundle.metadata["permutation"] == make_permutation("uniform", 5, 2).tolist()
    batch = bundle.source.batch(0, 0, 3)
    assert batch["tokens"].shape == (3, 6) and not batch["loss_mask"][:, 0].any() and batch["loss_mask"][:, 1:].all()
    assert bundle.evaluate is None and bundle.evaluation is None
