"""The unmask decoder computes log-probs, scores and values only on the window of columns that can hold a candidate
(``unmask.step_columns``, ``logprobs.window_log_probs``): same outputs as on the whole canvas, less work."""
import pytest
import torch

from anyorder.decode import Plan, decode
from anyorder.decode.generate import _model_call, generate
from anyorder.decode.logprobs import (
    VALUE_MAJOR_MAX_VOCAB,
    model_log_probs,
    window_log_probs,
)
from anyorder.decode.score import SCORES
from anyorder.decode.unmask import free_columns, step_columns, write_values
from anyorder.errors import InputError

from decode_fakes import RowwiseModel


class Columns:
    """Wraps a (B, L) -> (B, L, V) model as one that ``takes_columns``; records every window asked for."""

    takes_columns = True

    def __init__(self, model):
        self.model, self.asked = model, []

    def __call__(self, x, columns=None, **kwargs):
        self.asked.append(columns)
        out = self.model(x, **kwargs)
        return out if columns is None else out[:, columns[0]:columns[1]]


@pytest.mark.parametrize("vocab", [6, VALUE_MAJOR_MAX_VOCAB + 10])
def test_window_log_probs_equal_the_full_log_probs_sliced(vocab):
    mask = 4
    model = RowwiseModel(9, vocab, seed=1)
    x = torch.randint(0, vocab, (3, 9), generator=torch.Generator().manual_seed(0))
    full = model_log_probs(model, x, mask)
    for lo, hi in ((0, 9), (2, 5), (8, 9)):
        for m in (model, Columns(model)):
            got = window_log_probs(m, x, mask, lo, hi)
            assert got.shape == (3, hi - lo, vocab) and torch.isinf(got[..., mask]).all()
            torch.testing.assert_close(got, full[:, lo:hi], atol=2e-6, rtol=1e-5)
    with pytest.raises(InputError, match="columns 2:5"):
        window_log_probs(Columns(lambda t: model(t)[:, :2]), x, mask, 2, 5)


def test_step_columns_is_the_current_blocks_free_columns():
    fixed = torch.zeros(2, 12, dtype=torch.bool)
    fixed[:, :3] = True  # a prompt of 3 columns
    free = free_columns(fixed)
    assert free == (3, 12) and free_columns(torch.ones(2, 4, dtype=torch.bool)) == (0, 0)
    plan = Plan(steps=6, budget="even", block_length=4)  # 3 blocks x 2 steps
    assert [step_columns(free, 12, s, plan) for s in range(6)] == [(3, 4)] * 2 + [(4, 8)] * 2 + [(8, 12)] * 2
    assert step_columns(free, 12, 0, Plan(steps=6)) == (3, 12)
    assert step_columns((0, 0), 12, 0, Plan(steps=6)) == (0, 1)  # nothing to reveal: one column, still a call
    assert step_columns(free, 12, 0, Plan(steps=6, score=SCORES["top_prob"])) == (0, 12)  # custom: whole canvas


@pytest.mark.parametrize("vocab", [7, VALUE_MAJOR_MAX_VOCAB + 10])
@pytest.mark.parametrize("plan", [
    Plan(steps=8, budget="even", score="top_prob", block_length=4),
    Plan(steps=6, budget="schedule", score="top_prob_margin", noise="gumbel", noise_scale=0.5),
    Plan(steps=8, budget="binomial", score="vanilla", value="sample", block_length=8),
    Plan(steps=4, budget="even", score="entropy", value="sample", temperature=0.7, block_length=8),
])
def test_windowed_decoding_equals_whole_canvas_decoding(vocab, plan):
    """Same tokens, order, nfe and calls as a custom score (which gets the whole canvas); the model is asked only
    for the current block's free columns."""
    mask = 5
    model = RowwiseModel(16, vocab, seed=2)
    x = torch.randint(0, 5, (3, 16), generator=torch.Generator().manual_seed(1))
    fixed = torch.zeros_like(x, dtype=torch.bool)
    fixed[:, :4] = True
    x[:, 4:] = mask
    x[1, 9] = 2  # a given token inside a block
    score = SCORES[plan.score]
    whole = decode(model, x, fixed, plan.__class__(**{**plan.__dict__, "score": lambda lp, u: score(lp, u)}),
                   mask, seeds=7)
    wrapped = Columns(model)
    windowed = decode(wrapped, x, fixed, plan, mask, seeds=7, trace=True)
    for part in ("tokens", "order", "nfe"):
        assert torch.equal(getattr(windowed, part), getattr(whole, part)), part
    assert windowed.n_model_calls == whole.n_model_calls
    for (lo, hi), step in zip(wrapped.asked, windowed.trace):
        assert lo >= 4 and hi - lo <= (plan.block_length or 12)
        assert not step.revealed[:, :lo].any() and not step.revealed[:, hi:].any()
        assert torch.isinf(step.scores[:, :lo]).all() and torch.isinf(step.scores[:, hi:]).all()


def test_argmax_values_on_large_vocabularies_are_each_columns_argmax():
    """The revealed token of every column is its argmax without [MASK], ties to the lowest id."""
    vocab, mask = VALUE_MAJOR_MAX_VOCAB + 10, 3
    table = torch.randn(10, vocab, generator=torch.Generator().manual_seed(5))
    table[:, mask] = 100.0  # the [MASK] logit never wins
    table[4, 11] = table[4, 12] = 50.0  # a tie: the lower id
    res = decode(lambda t: table.expand(t.shape[0], -1, -1), torch.full((2, 10), mask), None,
                 Plan(steps=4, budget="even", score="top_prob", block_length=5), mask)
    expected = table.index_fill(1, torch.tensor([mask]), float("-inf")).argmax(-1)
    assert res.tokens[:, 4].tolist() == [11, 11] and torch.equal(res.tokens, expected.expand(2, -1))
    assert table[0, mask] == 100.0  # a model that does not take columns keeps its tensor (no in-place fill)


@pytest.mark.parametrize("value", ["argmax", "sample"])
def test_dense_and_gathered_values_agree(value):
    """``write_values``: the sync-free dense argmax (accelerators) writes what the gather does."""
    mask = 3
    logits = torch.randn(3, 4, 9, generator=torch.Generator().manual_seed(6))
    log_probs = torch.log_softmax(logits.index_fill(2, torch.tensor([mask]), float("-inf")), -1)
    x = torch.full((3, 7), mask)
    sel = torch.zeros(3, 7, dtype=torch.bool)
    sel[0, 2], sel[1, 4], sel[1, 5], sel[2, 3] = True, True, True, True
    plan = Plan(steps=4, value=value)
    seeds = torch.tensor([1, 2, 3])
    dense, gathered = (write_values(x, log_probs, sel, 2, 0, plan, seeds, dense=d) for d in (True, False))
    assert torch.equal(dense, gathered) and torch.equal(dense == mask, ~sel)
    if value == "argmax":
        assert torch.equal(dense[:, 2:6][sel[:, 2:6]], log_probs.argmax(-1)[sel[:, 2:6]])


def test_generate_asks_the_model_for_the_current_block_only():
    """Through ``generate`` (padding, blocks from each row's first [MASK]) the wrapped model sees only windows
    inside the generated span; outputs equal an un-windowed model's."""
    mask, pad = 5, 6
    model = RowwiseModel(20, 9, seed=3)

    def plain(t, attention_mask=None):
        return model(t)

    wrapped = Columns(plain)
    plan = Plan(steps=4, budget="even", score="top_prob", block_length=4)
    prompts = [[1, 2, 3], [4, 1]]
    got = generate(wrapped, prompts, 8, plan, mask, pad_id=pad)
    ref = generate(plain, prompts, 8, plan, mask, pad_id=pad)
    assert torch.equal(got.tokens, ref.tokens) and torch.equal(got.order, ref.order)
    assert all(3 <= lo < hi <= 11 and hi - lo <= 4 for lo, hi in wrapped.asked)  # left padding: gen at 3..10


def test_cfg_model_call_with_a_window_equals_the_full_call_sliced():
    mask = 5
    model = RowwiseModel(8, 9, seed=4)

    def plain(t, attention_mask=None):
        return model(t)

    t = torch.tensor([[1, 2, mask, mask, mask, 3, mask, 4]])
    prompt = (t != mask) & (torch.arange(8) < 2)
    for inner in (plain, Columns(plain)):
        fn = _model_call(inner, None, prompt, mask, 1.5)
        assert fn.takes_columns
        torch.testing.assert_close(fn(t, columns=(2, 7)), fn(t)[:, 2:7])


def test_tiled_in_place_log_softmax_equals_log_softmax(monkeypatch):
    """Owned large-vocabulary logits are normalised in place, a tile of positions at a time (tiles smaller than a
    row's vocabulary, several rows per tile, and a ragged last tile)."""
    from anyorder.decode import logprobs

    vocab, mask = VALUE_MAJOR_MAX_VOCAB + 10, 2
    logits = torch.randn(3, 5, vocab, generator=torch.Generator().manual_seed(7)) * 3
    expected = torch.log_softmax(logits.index_fill(2, torch.tensor([mask]), float("-inf")), -1)
    for tile in (1, 2 * vocab, 4 * vocab, 1 << 21):
        monkeypatch.setattr(logprobs, "TILE", tile)
        owned = logits.clone()
        got = window_log_probs(Columns(lambda t, o=owned: o), torch.zeros(3, 5, dtype=torch.long), mask, 0, 5)
        assert got.data_ptr() == owned.data_ptr()  # in place: no second (B, W, V) tensor
        torch.testing.assert_close(got, expected, atol=1e-6, rtol=1e-6)
