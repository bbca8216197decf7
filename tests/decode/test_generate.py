"""Semi-AR blocks, LLaDA's even split, padding, EOS stopping and CFG (anyorder.decode.generate)."""
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from anyorder.decode import Plan
from anyorder.decode.budget import BUDGETS, BudgetContext
from anyorder.decode.generate import _model_call, cut_at_eos, fill, generate, pad_rows
from anyorder.errors import ConfigError

MASK, PAD, EOS, V = 9, 8, 7, 10


def llada_counts(n, steps):
    """LLaDA's get_num_transfer_tokens for one row: N // T each, the first N % T steps one more."""
    return [n // steps + (j < n % steps) for j in range(steps)]


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 80), st.integers(1, 24))
def test_even_budget_reproduces_llada_split(n, steps):
    left, got = n, []
    for j in range(steps):
        k = int(BUDGETS["even"](torch.tensor([left]), j, steps, BudgetContext(None, None, None, None))[0])
        got.append(k)
        left -= k
    assert got == llada_counts(n, steps)


class TableModel(torch.nn.Module):
    """Logits that depend only on the position (fixed random table), never predicting [MASK]."""

    def __init__(self, length=64, seed=0, eos_from=None):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        self.table = torch.randn(length, V, generator=g) * 3
        self.table[:, MASK] = -1e9
        self.table[:, PAD] = -1e9
        self.table[:, EOS] = -1e9
        if eos_from is not None:
            self.table[eos_from:, EOS] = 50.0
        self.calls = 0

    def forward(self, tokens, attention_mask=None):
        self.calls += 1
        return self.table[: tokens.shape[1]].expand(tokens.shape[0], -1, -1).clone()


def test_semi_ar_blocks_reveal_llada_counts_inside_the_current_block_only():
    prompt = [1, 2, 3]
    plan = Plan(steps=6, budget="even", score="top_prob", block_length=5)  # 15 masks -> 3 blocks x 2 steps
    res = generate(TableModel(), [prompt], 15, plan, MASK, pad_id=PAD, trace=True)
    assert res.n_blocks == 3 and res.n_model_calls == 6
    counts = [int(s.k[0]) for block in res.trace for s in block]
    assert counts == llada_counts(5, 2) * 3 == [3, 2, 3, 2, 3, 2]
    order = res.order[0, 3:]
    block = torch.arange(15) // 5
    assert torch.equal(order // 2, block)  # revealed during its own block's steps only
    assert (res.order[0, :3] == -1).all() and not (res.tokens == MASK).any()
    for b, steps in enumerate(res.trace):  # every reveal of block b lies inside block b (prompt offset 3)
        for s in steps:
            cols = s.revealed[0].nonzero().flatten() - 3
            assert ((cols // 5) == b).all()


def test_blocks_start_at_each_rows_first_mask_with_right_padding():
    plan = Plan(steps=4, budget="even", score="top_prob", block_length=4)
    res = generate(TableModel(), [[1], [1, 2, 3]], 8, plan, MASK, pad_id=PAD, padding="right")
    for row, start in ((0, 1), (1, 3)):
        assert torch.equal(res.order[row, start:start + 8] // 2, torch.arange(8) // 4)
    assert res.tokens[0, -2:].tolist() == [PAD, PAD] and not res.real[0, -2:].any()


def test_steps_must_split_evenly_across_blocks():
    with pytest.raises(ConfigError, match="multiple of the number of blocks 3"):
        generate(TableModel(), [[1]], 15, Plan(steps=4, block_length=5), MASK, pad_id=PAD)


def test_one_block_fill_equals_plain_decode_and_padding_is_hidden():
    from anyorder.decode import decode

    model = TableModel()
    plan = Plan(steps=5, score="top_prob_margin", budget="schedule")
    rows = [[1, MASK, MASK, 2, MASK], [MASK, 3, MASK]]
    res = fill(model, rows, plan, MASK, pad_id=PAD, padding="right", seeds=torch.tensor([5, 6]))
    alone = decode(model, torch.tensor([rows[0]]), None, plan, MASK, torch.tensor([5]))
    assert res.filled[0].tolist() == alone.tokens[0, [1, 2, 4]].tolist()
    assert res.tokens[1, 3:].tolist() == [PAD, PAD]


def test_eos_stops_rows_after_the_block_that_produced_it():
    model = TableModel(eos_from=6)  # EOS wins from column 6 on
    plan = Plan(steps=8, budget="even", score="top_prob", block_length=4)  # prompt 2 + 16 masks: 4 blocks
    res = generate(model, [[1, 2]], 16, plan, MASK, pad_id=PAD, eos_ids=[EOS])
    assert res.n_model_calls == 4  # blocks 0 and 1 only: block 1 (columns 6..9) produced EOS
    gen = res.filled[0].tolist()
    assert gen[4:] == [EOS] * 12 and EOS not in gen[:4]
    assert (res.order[0, 10:] == -1).all()  # filled, not decoded
    assert cut_at_eos(gen, [EOS]) == gen[:4]
    no_stop = generate(model, [[1, 2]], 16, plan, MASK, pad_id=PAD)
    assert no_stop.n_model_calls == 8


def test_cfg_combines_conditional_and_prompt_masked_logits():
    torch.manual_seed(0)
    weight = torch.randn(V, V)

    def model(t, attention_mask=None):  # logits depend on the whole row (sum of one-hots)
        return torch.nn.functional.one_hot(t, V).float().sum(1, keepdim=True).expand(-1, t.shape[1], -1) @ weight \
            + torch.nn.functional.one_hot(t, V).float() @ weight

    t = torch.tensor([[1, 2, MASK, MASK]])
    prompt = torch.tensor([[True, True, False, False]])
    got = _model_call(model, None, prompt, MASK, 2.0)(t)
    cond, unc = model(t), model(torch.tensor([[MASK, MASK, MASK, MASK]]))
    torch.testing.assert_close(got, unc + 3.0 * (cond - unc))
    assert torch.equal(_model_call(model, None, prompt, MASK, 0.0)(t), cond)


def test_pad_rows_left_and_right():
    tokens, real = pad_rows([[1, 2, 3], [4]], PAD, "left")
    assert tokens.tolist() == [[1, 2, 3], [PAD, PAD, 4]] and real.tolist() == [[1, 1, 1], [0, 0, 1]]
    tokens, _ = pad_rows([[1, 2, 3], [4]], PAD, "right")
    assert tokens.tolist() == [[1, 2, 3], [4, PAD, PAD]]
    with pytest.raises(ConfigError):
        pad_rows([[1]], PAD, "middle")


# ------------------------------------------------------------------------------------------ tiny LLaDA


def llada_reference(model, prompt, steps, gen_length, block_length, mask_id):
    """A straightforward LLaDA-style loop (low_confidence, temperature 0): one full forward per step, blocks
    left to right, the even split per block, argmax values, confidence = probability of the argmax token.
    Written from the published formulas; the [MASK] logit is excluded from the softmax as anyorder does."""
    x = torch.cat([torch.tensor(prompt), torch.full((gen_length,), mask_id)])[None]
    n_blocks, start = gen_length // block_length, len(prompt)
    for b in range(n_blocks):
        lo, hi = start + b * block_length, start + (b + 1) * block_length
        counts = llada_counts(int((x[0, lo:hi] == mask_id).sum()), steps // n_blocks)
        for k in counts:
            with torch.no_grad():
                logits = model(x).float()
            logits[..., mask_id] = float("-inf")
            p = torch.softmax(logits, dim=-1)
            conf, x0 = p.max(dim=-1)
            conf[0, :lo] = conf[0, hi:] = float("-inf")
            conf[x != mask_id] = float("-inf")
            sel = torch.topk(conf[0], k).indices
            x[0, sel] = x0[0, sel]
    return x[0, start:]


@pytest.fixture(scope="module")
def tiny_llada(tmp_path_factory):
    pytest.importorskip("transformers")
    from anyorder.models.hf import load_pretrained
    from anyorder.models.hf_tiny import make_tiny

    return load_pretrained(make_tiny("llada", tmp_path_factory.mktemp("llada") / "m"))


def test_tiny_llada_matches_the_reference_llada_loop_and_padding(tiny_llada):
    model, tok, _ = tiny_llada
    prompts = [tok.encode("def add(a, b):"), tok.encode("x = 1")]
    plan = Plan(steps=8, budget="even", score="top_prob", block_length=4)
    batch = generate(model, prompts, 8, plan, model.mask_id, pad_id=tok.pad_id)
    right = generate(model, prompts, 8, plan, model.mask_id, pad_id=tok.pad_id, padding="right")
    for i, prompt in enumerate(prompts):
        ref = llada_reference(model, prompt, 8, 8, 4, model.mask_id)
        assert batch.filled[i].tolist() == ref.tolist()
        assert right.filled[i].tolist() == ref.tolist()


def test_prefix_cache_generation_runs_and_checks_its_preconditions(tiny_llada):
    model, tok, _ = tiny_llada
    prompts = [tok.encode("def add(a, b):"), tok.encode("x = 1")]
    plan = Plan(steps=8, budget="even", score="top_prob", block_length=4)
    cached = generate(model, prompts, 8, plan, model.mask_id, pad_id=tok.pad_id, prefix_cache=True, trace=True)
    assert cached.n_model_calls == 8 and not any((f == model.mask_id).any() for f in cached.filled)
    assert [int(s.k[0]) for block in cached.trace for s in block] == [1] * 8
    with pytest.raises(ConfigError, match="same column"):
        generate(model, prompts, 8, plan, model.mask_id, pad_id=tok.pad_id, padding="right", prefix_cache=True)
    with pytest.raises(ConfigError, match="cfg_scale"):
        generate(model, prompts, 8, plan, model.mask_id, pad_id=tok.pad_id, prefix_cache=True, cfg_scale=1.0)
    with pytest.raises(ConfigError, match="prefix_cached"):
        generate(TableModel(), [[1]], 8, plan, MASK, pad_id=PAD, prefix_cache=True)


class PrefixRecorder(TableModel):
    """TableModel with a (non-caching) ``prefix_cached`` that records the prefix length of each block."""

    def __init__(self):
        super().__init__()
        self.starts = []

    def prefix_cached(self, prefix_length, attention_mask=None):
        self.starts.append(prefix_length)
        return lambda tokens, columns=None: self(tokens, attention_mask)


def test_prefix_cache_starts_each_block_after_the_previous_ones():
    model = PrefixRecorder()
    plan = Plan(steps=6, budget="even", score="top_prob", block_length=2)
    res = generate(model, [[1, 2, 3]], 6, plan, MASK, pad_id=PAD, prefix_cache=True)
    assert model.starts == [3, 5, 7]  # the prompt, then one block of 2 per block
    assert not (res.filled[0] == MASK).any()


def test_fill_without_padding_calls_a_model_that_takes_no_attention_mask():
    table = TableModel()
    plain = lambda tokens: table(tokens)  # noqa: E731  (no attention_mask parameter)
    res = fill(plain, [[1, MASK, MASK, 2], [3, MASK, MASK, 4]], Plan(steps=2, score="top_prob"), MASK, pad_id=PAD)
    assert res.nfe.tolist() == [2, 2] and res.n_model_calls == 2
    assert [f.tolist() for f in res.filled] == [table.table[1:3].argmax(-1).tolist()] * 2


def test_fill_passes_the_row_seeds_to_the_decoder():
    rows = [[1] + [MASK] * 12] * 2
    plan = Plan(steps=12, score="top_prob", value="sample", temperature=5.0)
    a = fill(TableModel(), rows, plan, MASK, pad_id=PAD, seeds=1)
    assert not torch.equal(a.filled[0], a.filled[1])  # identical rows, different row seeds
    assert torch.equal(fill(TableModel(), rows, plan, MASK, pad_id=PAD, seeds=1).tokens, a.tokens)
    b = fill(TableModel(), rows, plan, MASK, pad_id=PAD, seeds=torch.tensor([5, 6]))
    assert not torch.equal(a.tokens, b.tokens)


def test_cut_at_eos_without_a_stop_token_keeps_every_id():
    assert cut_at_eos([4, 5, 6], [EOS]) == [4, 5, 6]
    assert cut_at_eos(torch.tensor([4, 5, 6]), []) == [4, 5, 6]
    assert cut_at_eos([], [EOS]) == []
    assert cut_at_eos([4, EOS, 5, EOS], [EOS]) == [4]


@pytest.mark.parametrize("rows", [[], [[1, MASK], []]])
def test_pad_rows_refuses_empty_input_with_a_clear_message(rows):
    from anyorder.errors import InputError
    with pytest.raises(InputError, match="^fill needs at least one non-empty row$"):
        pad_rows(rows, PAD)


def test_fill_seeds_default_to_zero():
    rows = [[1] + [MASK] * 12] * 2
    plan = Plan(steps=12, score="top_prob", value="sample", temperature=5.0)
    default = fill(TableModel(), rows, plan, MASK, pad_id=PAD)
    assert torch.equal(default.tokens, fill(TableModel(), rows, plan, MASK, pad_id=PAD, seeds=0).tokens)
    assert not torch.equal(default.tokens, fill(TableModel(), rows, plan, MASK, pad_id=PAD, seeds=1).tokens)


def test_fill_reads_seed_tensors_by_value_whatever_their_integer_dtype():
    """Later blocks hash each row's seed in 64 bits: an int32 seed tensor gives the same decode as int64."""
    rows = [[1] + [MASK] * 12] * 3
    plan = Plan(steps=12, score="top_prob", value="sample", temperature=5.0, block_length=4)  # 3 blocks
    seeds = [5, 6, -7]
    want = fill(TableModel(), rows, plan, MASK, pad_id=PAD, seeds=torch.tensor(seeds))
    for as_given in (torch.tensor(seeds, dtype=torch.int32), seeds):
        got = fill(TableModel(), rows, plan, MASK, pad_id=PAD, seeds=as_given)
        assert torch.equal(got.tokens, want.tokens) and torch.equal(got.order, want.order)


@pytest.mark.parametrize("batch", [1, 3, 4])
def test_cfg_applies_to_every_row_of_a_batch(batch):
    """One call on the doubled batch: row b is guided by its own conditional and prompt-masked logits."""
    torch.manual_seed(0)
    weight = torch.randn(V, V)

    def model(t, attention_mask=None):
        return torch.nn.functional.one_hot(t, V).float().sum(1, keepdim=True).expand(-1, t.shape[1], -1) @ weight

    t = torch.tensor([[1, 2, MASK, MASK], [3, MASK, MASK, 4], [5, 6, 1, MASK], [2, 2, MASK, MASK]])[:batch]
    prompt = t != MASK
    got = _model_call(model, None, prompt, MASK, 1.5)(t)
    assert got.shape == (batch, 4, V)
    for b in range(batch):
        cond, unc = model(t[b:b + 1]), model(t[b:b + 1].masked_fill(prompt[b:b + 1], MASK))
        torch.testing.assert_close(got[b:b + 1], unc + 2.5 * (cond - unc))
