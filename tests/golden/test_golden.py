"""Regression against golden files made on the code before the issue-10 redesign (tests/golden/make_golden.py).

Decode outputs (tokens, order, NFE) of a tiny test-owned Sudoku MDM on 20 shipped test puzzles, for every score
in unmask and remask mode and the other budgets / values / noises; ARM greedy and beam search; and the toy task's
training metrics step by step. Everything must be bit-identical (tests run single-threaded, tests/conftest.py).
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
        np.testing.assert_array_equal(got[key], expected[key], err_msg=key)


@pytest.mark.slow
@pytest.mark.parametrize("preset", ["toy-mdm", "toy-ar"])
def test_toy_training_metrics_are_identical(preset):
    expected = json.loads((golden.DATA / "toy_losses.json").read_text())[preset]
    assert golden.toy_losses(preset) == expected


def test_golden_models_are_small():
    assert sum(p.stat().st_size for p in golden.DATA.iterdir()) < 1_000_000
    assert torch.get_num_threads() == 1
