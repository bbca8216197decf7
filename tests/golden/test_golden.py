"""Regression against golden files made on the code before the issue-10 redesign (tests/golden/make_golden.py).

Decode outputs (tokens, order, NFE) of a tiny test-owned Sudoku MDM on 20 shipped test puzzles, for every score
in unmask and remask mode and the other budgets / values / noises; ARM greedy and beam search; and the toy task's
training metrics step by step. Discrete outputs (tokens, orders, NFE, counts, steps, samples) must be identical;
float outputs (log-probabilities, losses, gradient norms) agree to a relative 1e-5, since their last bits differ
between CPU microarchitectures (the goldens were made on an Intel CPU; on an AMD EPYC the largest relative
difference seen was 1.8e-6, in a gradient norm). Tests run single-threaded (tests/conftest.py).
"""
import json
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_golden as golden  # noqa: E402

PLANS = json.loads((golden.DATA / "plans.json").read_text())


RTOL = 1e-5


def assert_same(got: np.ndarray, expected: np.ndarray, what: str) -> None:
    """Identical for integer / boolean arrays; within RTOL for floats (the CPU's last bits may differ)."""
    if np.issubdtype(expected.dtype, np.floating):
        np.testing.assert_allclose(got, expected, rtol=RTOL, atol=0, err_msg=what)
    else:
        np.testing.assert_array_equal(got, expected, err_msg=what)


@pytest.fixture(autouse=True)
def one_thread():
    """The goldens were made single-threaded; other tests (Accelerate) may change torch's thread count, and
    float reductions then round differently."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def decoded():
    return golden.run_decodes(golden.load_model("tiny_mdm"), golden.puzzles(), PLANS)


@pytest.mark.parametrize("name", sorted(PLANS))
def test_decode_outputs_are_identical(decoded, name):
    expected = np.load(golden.DATA / "decode.npz")
    for part in ("tokens", "order", "nfe", "calls"):
        np.testing.assert_array_equal(decoded[f"{name}/{part}"], expected[f"{name}/{part}"], err_msg=f"{name}/{part}")


def test_arm_greedy_and_beam_are_identical():
    got, expected = golden.run_arm(golden.load_model("tiny_arm")), np.load(golden.DATA / "arm.npz")
    assert sorted(got) == sorted(expected.files)
    for key in got:
        assert_same(got[key], expected[key], key)


@pytest.mark.slow
@pytest.mark.parametrize("preset", ["toy-mdm", "toy-ar"])
def test_toy_training_metrics_are_identical(preset):
    expected = json.loads((golden.DATA / "toy_losses.json").read_text())[preset]
    got = golden.toy_losses(preset)
    assert len(got) == len(expected)
    for step, (row, golden_row) in enumerate(zip(got, expected)):
        assert sorted(row) == sorted(golden_row), f"record {step}"
        for key in row:
            assert_same(np.asarray(row[key]), np.asarray(golden_row[key]), f"record {step}: {key}")


def test_golden_models_are_small():
    assert sum(p.stat().st_size for p in golden.DATA.iterdir()) < 1_000_000
    assert torch.get_num_threads() == 1
