import math

import pytest
import torch

from anyorder.errors import ConfigError
from anyorder.objectives.schedule import LOGLINEAR_EPS, SCHEDULES, elbo_weight, get_schedule

T = torch.linspace(0.01, 0.99, 99, dtype=torch.float64)


@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_endpoints(name):
    sched = SCHEDULES[name]
    ends = sched.alpha(torch.tensor([0.0, 1.0], dtype=torch.float64))
    assert ends[0] == pytest.approx(1.0, abs=1e-12)
    assert ends[1] == pytest.approx(0.0, abs=LOGLINEAR_EPS + 1e-12)


@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_dalpha_matches_central_difference(name):
    sched, h = SCHEDULES[name], 1e-6
    fd = (sched.alpha(T + h) - sched.alpha(T - h)) / (2 * h)
    torch.testing.assert_close(sched.dalpha(T), fd, atol=1e-6, rtol=1e-6)


@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_monotone_decreasing_and_positive_weight(name):
    sched = SCHEDULES[name]
    a = sched.alpha(torch.linspace(0, 1, 1001, dtype=torch.float64))
    assert (a[1:] < a[:-1]).all()
    assert (sched.dalpha(T) < 0).all() and (sched.elbo_weight(T) > 0).all()
    torch.testing.assert_close(sched.mask_prob(T), 1 - sched.alpha(T))


def test_linear_weight_is_one_over_t():
    torch.testing.assert_close(elbo_weight(T, "linear"), 1 / T)
    # a Schedule object works like its name; closed form for cosine: (pi/2) sin(pi t/2) / (1 - cos(pi t/2))
    cosine = 0.5 * math.pi * torch.sin(0.5 * math.pi * T) / (1 - torch.cos(0.5 * math.pi * T))
    torch.testing.assert_close(elbo_weight(T, SCHEDULES["cosine"]), cosine)


def test_unknown_schedule():
    with pytest.raises(ConfigError, match="linear"):
        get_schedule("sqrt")
