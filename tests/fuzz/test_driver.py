"""The large-budget fuzz driver (scripts/fuzz_driver.py): counts inputs per target, sorts documented errors from
crashes, saves and replays crashing inputs."""
from __future__ import annotations

import importlib.util
import random
import signal
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fuzz_targets as T  # noqa: E402

_SPEC = importlib.util.spec_from_file_location(
    "fuzz_driver", Path(__file__).resolve().parents[2] / "scripts" / "fuzz_driver.py")
D = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(D)


@pytest.fixture(autouse=True)
def _cpu_alarm():
    previous = signal.signal(signal.SIGPROF, D._alarm)
    yield
    signal.setitimer(signal.ITIMER_PROF, 0)
    signal.signal(signal.SIGPROF, previous)


def test_runs_exactly_n_inputs_and_counts_documented_errors(tmp_path):
    r = D.fuzz_target("decode_tokens", 40, seed=1, crash_dir=tmp_path, timeout=20, max_len=512)
    assert r["inputs"] == 40 and r["buffers"] >= 40
    assert r["crashes"] == {} and not list(tmp_path.iterdir())
    assert set(r["errors"]) == {"InputError"} and 0 < r["errors"]["InputError"] <= 40
    assert 1 <= r["distinct_messages"]["InputError"] <= r["errors"]["InputError"]


def test_a_crash_is_counted_saved_and_replayable(tmp_path, monkeypatch, capsys):
    calls = []

    def crashing(data):  # counts like the real target, then fails with an undocumented error
        T.CALLS["decode_tokens"] += 1
        calls.append(data)
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(T, "decode_tokens", crashing)
    r = D.fuzz_target("decode_tokens", 12, seed=2, crash_dir=tmp_path, timeout=20, max_len=512, max_saved=3)
    assert sum(r["crashes"].values()) == 12 and all(k.startswith("ZeroDivisionError at ") for k in r["crashes"])
    saved = sorted(tmp_path.glob("decode_tokens-*.bin"))
    assert 1 <= len(saved) <= 3 * len(r["crashes"])
    assert "ZeroDivisionError: boom" in saved[0].with_suffix(".txt").read_text()
    with pytest.raises(ZeroDivisionError):  # the saved buffer reproduces the crash
        D.replay(saved[0])


def test_an_input_over_the_cpu_limit_is_a_crash(tmp_path, monkeypatch):
    def spin(data):
        T.CALLS["decode_tokens"] += 1
        while True:
            sum(range(1000))

    monkeypatch.setattr(T, "decode_tokens", spin)
    r = D.fuzz_target("decode_tokens", 1, seed=3, crash_dir=tmp_path, timeout=0.2, max_len=64)
    assert list(r["crashes"]) and all(k.startswith("InputTimeout at ") for k in r["crashes"])


def test_mutations_stay_within_max_len_and_change_the_input():
    rng = random.Random(0)
    corpus = [bytes(range(200)), b"abc"]
    out = [D.mutate(rng, corpus, 100) for _ in range(200)]
    assert all(len(b) <= 100 for b in out)
    assert sum(b not in corpus for b in out) > 150
