"""Value rules of anyorder.decode.value: temperature of inverse-CDF sampling."""
import pytest
import torch

from anyorder.decode import Plan
from anyorder.decode.value import sample

N = 10000
U = (torch.arange(N, dtype=torch.float64) + 0.5) / N  # evenly spread uniforms: frequencies are exact CDF widths
LOG_PROBS = torch.log_softmax(torch.tensor([[0.0, 1.0]], dtype=torch.float64), dim=-1).expand(N, 2)


@pytest.mark.parametrize("temperature", [0.05, 0.5, 1.0, 20.0])
def test_sample_divides_the_logits_by_the_temperature(temperature):
    got = sample(LOG_PROBS, U, Plan(value="sample", temperature=temperature))
    freq_1 = float((got == 1).double().mean())
    want = float(torch.softmax(torch.tensor([0.0, 1.0], dtype=torch.float64) / temperature, dim=0)[1])
    assert freq_1 == pytest.approx(want, abs=2e-4)
    if temperature == 0.05:
        assert (got == 1).all()  # p(1) = 1 - 2e-9: cold sampling is the argmax
    if temperature == 20.0:
        assert 0.5 < freq_1 < 0.52  # hot sampling is nearly uniform
