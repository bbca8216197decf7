"""Greedy and beam-search decoding of causal models (anyorder.decode.autoregressive)."""
import itertools

import pytest
import torch

from anyorder.decode.autoregressive import beam_search, decode_autoregressive, greedy
from anyorder.errors import InputError
from anyorder.models.transformer import ModelConfig, Transformer

V, L = 3, 7


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    m = Transformer(ModelConfig(vocab_size=V, max_len=L, n_layers=1, d_model=16, n_heads=2, causal=True)).eval()
    with torch.no_grad():
        m.head.weight.mul_(40.0)  # sharp, context-dependent conditionals
    return m


def sequence_logprob(model, tokens: torch.Tensor, n_prompt: int) -> torch.Tensor:
    """Exact score of full sequences (N, L): sum of log p(token t | prefix) for t >= n_prompt."""
    logp = torch.log_softmax(model(tokens).float(), -1)
    steps = logp[:, n_prompt - 1:-1].gather(2, tokens[:, n_prompt:, None]).squeeze(2)
    return steps.sum(1)


def prompts(n=6, seed=1):
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, V, (n, L), generator=g)


def test_beam_width_one_equals_greedy(model):
    tokens = prompts(8)
    n_prompt = torch.tensor([1, 2, 3, 1, 4, 2, 5, 3])
    a, b = greedy(model, tokens, n_prompt), beam_search(model, tokens, n_prompt, width=1)
    assert torch.equal(a.tokens, b.tokens)
    assert torch.allclose(a.logprob, b.logprob, atol=1e-5)
    assert a.n_model_calls == b.n_model_calls == L - 1
    assert torch.equal(a.tokens[:, :1], tokens[:, :1])


def test_full_width_beam_finds_the_exact_best_sequence(model):
    n_prompt = 3
    tokens = prompts(4)
    n_cand = V ** (L - n_prompt)  # 81 continuations
    res = beam_search(model, tokens, n_prompt, width=n_cand)
    conts = torch.tensor(list(itertools.product(range(V), repeat=L - n_prompt)))
    for b in range(tokens.shape[0]):
        full = torch.cat([tokens[b, :n_prompt].expand(n_cand, n_prompt), conts], 1)
        scores = sequence_logprob(model, full, n_prompt)
        assert torch.equal(res.tokens[b], full[scores.argmax()])
        assert res.logprob[b].item() == pytest.approx(scores.max().item(), abs=1e-4)
        assert torch.allclose(res.beam_logprob[b].sort(descending=True).values, scores.sort(descending=True).values,
                              atol=1e-4)
    assert (res.logprob >= greedy(model, tokens, n_prompt).logprob - 1e-5).all()


def test_batch_with_different_prompt_lengths_equals_rowwise(model):
    tokens, n_prompt = prompts(5, seed=2), torch.tensor([1, 3, 2, 5, 6])
    for width in (1, 3):
        batched = decode_autoregressive(model, tokens, n_prompt, beam_width=width)
        for b in range(5):
            row = decode_autoregressive(model, tokens[b:b + 1], int(n_prompt[b]), beam_width=width)
            assert torch.equal(batched.tokens[b], row.tokens[0])
            assert torch.equal(batched.tokens[b, :n_prompt[b]], tokens[b, :n_prompt[b]])


def forbid_token(tok):
    def constraint(prefix, t):
        allowed = torch.ones(prefix.shape[0], V, dtype=torch.bool)
        allowed[:, tok] = False
        return allowed
    return constraint


def test_constraint_is_respected_and_invalid_argmax_counted(model):
    tokens = prompts(6, seed=3)
    free = greedy(model, tokens, 1)
    tok = int(free.tokens[:, 1:].flatten().mode().values)  # a token the unconstrained model emits
    for width in (1, 4):
        res = decode_autoregressive(model, tokens, 1, beam_width=width, constraint=forbid_token(tok))
        assert not (res.tokens[:, 1:] == tok).any()
        assert (res.n_dead_end == 0).all()
    res = greedy(model, tokens, 1, constraint=forbid_token(tok))
    assert res.n_invalid_argmax.sum() > 0
    assert (greedy(model, tokens, 1, constraint=lambda p, t: torch.ones(p.shape[0], V, dtype=torch.bool))
            .n_invalid_argmax == 0).all()


def test_dead_end_falls_back_and_is_counted(model):
    tokens = prompts(3, seed=4)
    nothing = lambda prefix, t: torch.zeros(prefix.shape[0], V, dtype=torch.bool)  # noqa: E731
    res = beam_search(model, tokens, 2, width=2, constraint=nothing)
    assert res.n_dead_end.tolist() == [L - 2] * 3 and res.n_invalid_argmax.tolist() == [L - 2] * 3
    assert torch.equal(greedy(model, tokens, 2, constraint=nothing).tokens, greedy(model, tokens, 2).tokens)


def test_forbidden_ids_are_never_emitted(model):
    res = beam_search(model, prompts(4), 1, width=3, forbid_ids=(0,))
    assert not (res.tokens[:, 1:] == 0).any() and torch.isfinite(res.logprob).all()


def test_bad_inputs_raise(model):
    with pytest.raises(InputError):
        greedy(model, prompts(2), 0)
    with pytest.raises(InputError):
        beam_search(model, prompts(2), 1, width=0)


@pytest.mark.parametrize("mode, width", [("greedy", 1), ("beam", 3)])
def test_registry_decoders_match_the_functions(model, mode, width):
    from anyorder.decode import Plan, decode

    tokens = prompts(5)
    n_prompt = torch.tensor([1, 2, 3, 1, 4])
    is_fixed = torch.arange(L) < n_prompt[:, None]
    plan = Plan(mode=mode, beam_width=width)
    res = decode(model, tokens, is_fixed, plan, mask_id=V - 1, seeds=0)
    ref = decode_autoregressive(model, tokens, n_prompt, width, forbid_ids=(V - 1,))
    assert torch.equal(res.tokens, ref.tokens) and res.n_model_calls == ref.n_model_calls
    assert res.order[0].tolist() == [-1, 0, 1, 2, 3, 4, 5] and res.nfe.tolist() == (L - n_prompt).tolist()


def test_registry_ar_decoders_need_a_prefix_prompt(model):
    from anyorder.decode import Plan, decode
    from anyorder.errors import ConfigError

    tokens = prompts(1)
    with pytest.raises(InputError, match="prefix"):
        decode(model, tokens, torch.tensor([[True, False, True] + [False] * (L - 3)]), Plan(mode="greedy"), V - 1)
    with pytest.raises(ConfigError, match="trace"):
        decode(model, tokens, torch.arange(L)[None] < 2, Plan(mode="greedy"), V - 1, trace=True)


def test_decode_autoregressive_is_greedy_by_default():
    """No beam_width: greedy, one model row per input row per call, and its one beam (not a width-2 search)."""
    seen = []

    def model(prefix):  # prefers token t % 3 after a prefix of length t
        seen.append(prefix.shape[0])
        logits = torch.zeros(prefix.shape[0], prefix.shape[1], V)
        logits[:, -1, prefix.shape[1] % V] = 1.0
        return logits

    tokens = torch.zeros(2, 5, dtype=torch.long)
    res = decode_autoregressive(model, tokens, 2)
    assert seen == [2, 2, 2] and res.n_model_calls == 3
    assert res.beams.shape == (2, 1, 5)
    assert res.tokens[:, 2:].tolist() == [[2, 0, 1]] * 2
    assert torch.equal(res.tokens, greedy(model, tokens, 2).tokens)
