"""Property tests: invariants that hold for every budget, score, value rule and mode."""
from __future__ import annotations

import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from anyorder.decode import BUDGETS, SCORES, Plan, decode

from decode_fakes import RowwiseModel

V, MASK = 6, 5


@st.composite
def problems(draw):
    batch = draw(st.integers(1, 6))
    length = draw(st.integers(1, 12))
    seed = draw(st.integers(0, 2**31))
    g = torch.Generator().manual_seed(seed)
    is_fixed = torch.rand(batch, length, generator=g) < draw(st.floats(0, 0.8))
    tokens = torch.randint(0, MASK, (batch, length), generator=g)
    tokens = torch.where(is_fixed, tokens, MASK)
    mode = draw(st.sampled_from(["unmask", "unmask", "remask"]))
    fields = dict(
        steps=draw(st.integers(1, 14)),
        budget=draw(st.sampled_from(sorted(BUDGETS))),
        score=draw(st.sampled_from(sorted(SCORES))),
        value=draw(st.sampled_from(["argmax", "sample"])),
        noise=draw(st.sampled_from(["none", "gumbel", "gaussian"])),
        noise_scale=draw(st.sampled_from([0.0, 0.1, 0.5])),
        noise_anneal=draw(st.booleans()),
        k=draw(st.integers(0, 3)),
        threshold=draw(st.floats(0.0, 1.0)),
        top_p=draw(st.sampled_from([None, 0.5, 0.9])),
        top_k=draw(st.sampled_from([None, 1, 3])),
        mode=mode,
    )
    if mode == "remask":  # fields the remask decoder does not read must stay at their defaults
        fields = {k: v for k, v in fields.items() if k not in ("budget", "k", "threshold")}
    plan = Plan(**fields)
    seeds = torch.randint(0, 2**62, (batch,), generator=g)
    return tokens, is_fixed, plan, seeds, RowwiseModel(length, V, seed % 97)


@settings(max_examples=30, deadline=None)
@given(problems())
def test_decode_invariants(problem):
    tokens, is_fixed, plan, seeds, model = problem
    res = decode(model, tokens, is_fixed, plan, MASK, seeds=seeds, trace=True)
    n_masked = (tokens == MASK).sum(dim=1)
    # fixed positions never change; every masked position is filled with a non-[MASK] token
    assert torch.equal(res.tokens[is_fixed], tokens[is_fixed])
    assert not (res.tokens == MASK).any()
    # order: -1 exactly at fixed positions, a valid step elsewhere
    assert torch.equal(res.order == -1, is_fixed)
    assert (res.order < plan.steps).all()
    assert res.n_model_calls == len(res.trace) <= plan.steps
    last = torch.where(is_fixed, -1, res.order).max(dim=1).values
    if plan.mode == "unmask":
        # per-step k sums to the number of masked positions; NFE = steps until the row finished
        assert torch.equal(torch.stack([t.k for t in res.trace]).sum(0) if res.trace else n_masked * 0, n_masked)
        assert torch.equal(res.nfe, torch.where(n_masked > 0, last + 1, 0))
        assert res.n_model_calls == int(res.nfe.max()) if len(res.trace) else True
    else:
        assert torch.equal(res.nfe, torch.where(n_masked > 0, res.n_model_calls, 0))
        assert res.n_model_calls in (0, plan.steps)


@settings(max_examples=15, deadline=None)
@given(problems(), st.data())
def test_batch_invariance(problem, data):
    """A row's result depends only on its own tokens and seed: decode any sub-batch in any order."""
    tokens, is_fixed, plan, seeds, model = problem
    full = decode(model, tokens, is_fixed, plan, MASK, seeds=seeds)
    perm = data.draw(st.permutations(range(tokens.shape[0])))
    keep = data.draw(st.integers(1, tokens.shape[0]))
    rows = torch.tensor(perm[:keep])
    part = decode(model, tokens[rows], is_fixed[rows], plan, MASK, seeds=seeds[rows])
    assert torch.equal(part.tokens, full.tokens[rows])
    assert torch.equal(part.order, full.order[rows])
    assert torch.equal(part.nfe, full.nfe[rows])


def test_same_seed_same_result_and_different_seeds_differ():
    model = RowwiseModel(10, V)
    tokens = torch.full((8, 10), MASK)
    plan = Plan(steps=10, score="vanilla", value="sample")
    a = decode(model, tokens, None, plan, MASK, seeds=1)
    b = decode(model, tokens, None, plan, MASK, seeds=1)
    c = decode(model, tokens, None, plan, MASK, seeds=2)
    assert torch.equal(a.tokens, b.tokens) and torch.equal(a.order, b.order)
    assert not torch.equal(a.order, c.order)
    assert len({tuple(r) for r in a.order.tolist()}) > 1  # rows of one batch get different seeds


def test_finished_rows_stop_changing_and_stop_early():
    model = RowwiseModel(6, V)
    tokens = torch.full((2, 6), MASK)
    tokens[0, :5] = 1  # row 0 has one masked position, row 1 has six
    res = decode(model, tokens, tokens != MASK, Plan(steps=6, budget="fixed", k=1), MASK, seeds=0, trace=True)
    assert res.nfe.tolist() == [1, 6] and res.n_model_calls == 6
    assert all(not t.revealed[0].any() for t in res.trace[1:])
    done = decode(model, torch.ones(3, 6, dtype=torch.long), None, Plan(steps=6), MASK, seeds=0)
    assert done.n_model_calls == 0 and done.nfe.tolist() == [0, 0, 0]
    slow = decode(model, tokens, None, Plan(steps=6, budget="fixed", k=6, stop_early=False), MASK, seeds=0)
    assert slow.n_model_calls == 6 and slow.nfe.tolist() == [1, 1]
