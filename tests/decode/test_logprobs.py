"""anyorder.decode.logprobs: the shape and [MASK]-id checks of model_log_probs."""
import pytest
import torch

from anyorder.decode.logprobs import model_log_probs
from anyorder.errors import InputError


@pytest.mark.parametrize("vocab", [5, 5000])  # value-major layout and the large-vocabulary path
def test_mask_id_must_be_a_token_of_the_model(vocab):
    x = torch.zeros(2, 3, dtype=torch.long)
    model = lambda t: torch.zeros(*t.shape, vocab)  # noqa: E731
    lp = model_log_probs(model, x, vocab - 1)
    assert lp.shape == (2, 3, vocab) and torch.isinf(lp[..., vocab - 1]).all()
    torch.testing.assert_close(lp[..., :-1].exp().sum(-1), torch.ones(2, 3))
    for bad in (vocab, vocab + 1, -1):
        with pytest.raises(InputError, match=rf"expected \(B, L, V\) with V > mask_id={bad}$"):
            model_log_probs(model, x, bad)
