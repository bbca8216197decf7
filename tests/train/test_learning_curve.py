"""Learning curves: metrics.jsonl reading, chaining a run with its fine-tune, power-law fit and inversion."""
import json

import pytest

from anyorder.errors import ConfigError
from anyorder.train.learning_curve import chain, power_law_fit, read_metrics


def test_read_metrics_keeps_training_records(tmp_path):
    path = tmp_path / "metrics.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in [{"step": 1, "samples": 8, "ce": 2.0}, {"eval/x": 0.5},
                                                       {"step": 2, "samples": 16, "ce": 1.5}]) + "\n\n")
    assert [r["step"] for r in read_metrics(path)] == [1, 2]


def test_read_metrics_names_the_bad_line(tmp_path):
    path = tmp_path / "metrics.jsonl"
    path.write_text('{"samples": 1}\n{"samples": \n')
    with pytest.raises(ConfigError, match=r"metrics.jsonl:2"):
        read_metrics(path)
    path.write_text('{"eval/x": 1}\n')
    with pytest.raises(ConfigError, match="no training records"):
        read_metrics(path)


def test_chain_offsets_samples_and_flops():
    first = [{"samples": 10, "flops": 100.0}, {"samples": 20, "flops": 200.0}]
    second = [{"samples": 5, "flops": 50.0}, {"samples": 15}]
    rows = chain([first, second])
    assert [r["samples"] for r in rows] == [10, 20, 25, 35]
    assert [r.get("flops") for r in rows] == [100.0, 200.0, 250.0, None]
    assert [r["segment"] for r in rows] == [0, 0, 1, 1]
    assert first[0]["samples"] == 10  # inputs untouched


def test_power_law_fit_recovers_exponent_and_inverts():
    xs = [1e3 * 2 ** i for i in range(8)]
    fit = power_law_fit(xs, [3.0 * x ** -0.25 for x in xs], x_min=4e3)
    assert fit.exponent == pytest.approx(-0.25)
    assert fit.scale == pytest.approx(3.0)
    assert (fit.n, fit.x_min) == (6, 4e3)
    assert fit.x_for(fit(5e6)) == pytest.approx(5e6)
    with pytest.raises(ConfigError):
        power_law_fit([1.0], [1.0])
    with pytest.raises(ConfigError):
        fit.x_for(0.0)
