import argparse
import json

import numpy as np
import pytest

from anyorder.experiments.lo import bp


def test_transition_point_interpolates():
    xs, ys = np.array([40.0, 50.0, 60.0]), np.array([0.0, 0.2, 0.8])
    assert bp.transition_point(xs, ys) == 55.0
    assert bp.transition_point(xs, np.zeros(3)) is None


@pytest.mark.slow
def test_reproduce_small_writes_outputs(tmp_path):
    parser = argparse.ArgumentParser()
    parser.add_argument("--out")
    bp.add_arguments(parser)
    args = parser.parse_args(["--out", str(tmp_path), "--n", "300", "--d-min", "30", "--d-max", "90",
                              "--d-step", "60", "--max-iter", "60"])
    assert bp.run(args) == 0
    for name in ("table.md", "rows.csv", "figure.png", "config.json"):
        assert (tmp_path / name).stat().st_size > 0
    summary = json.loads((tmp_path / "config.json").read_text())["summary"]
    assert summary["ks_d_over_k"] == 64.0
    assert "Kesten-Stigum" in (tmp_path / "table.md").read_text()
