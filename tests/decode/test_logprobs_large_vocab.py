"""model_log_probs on LLM-sized vocabularies: contiguous (B, L, V) layout, in-place renormalisation, fallback."""
import pytest
import torch

from anyorder.decode.logprobs import VALUE_MAJOR_MAX_VOCAB, model_log_probs


@pytest.mark.parametrize("dominant_mask", [False, True])
def test_large_vocab_log_probs_equal_masking_before_the_softmax(dominant_mask):
    V, mask = VALUE_MAJOR_MAX_VOCAB + 904, 7
    logits = torch.randn(2, 5, V, generator=torch.Generator().manual_seed(0)) * 4
    if dominant_mask:  # p_mask ~ 1 somewhere: the exact fallback path
        logits[0, 0, mask] = 40.0
    expected = torch.log_softmax(logits.index_fill(2, torch.tensor([mask]), float("-inf")), dim=-1)
    got = model_log_probs(lambda x: logits.clone(), torch.zeros(2, 5, dtype=torch.long), mask)
    assert got.is_contiguous() and torch.isinf(got[..., mask]).all()
    finite = torch.isfinite(expected)
    torch.testing.assert_close(got[finite], expected[finite], atol=2e-6, rtol=1e-5)
    assert torch.equal(got.argmax(-1), expected.argmax(-1))
