"""The code base passes ruff's pyflakes and import-order rules ([tool.ruff.lint] in pyproject.toml): an undefined
name in a script that no test runs (benchmarks/sudoku_decode.py called a function it never imported) fails here."""
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_ruff_finds_nothing():
    pytest.importorskip("ruff")
    cmd = [sys.executable, "-m", "ruff", "check", "--no-cache", "--output-format", "concise",
           "anyorder", "tests", "scripts", "benchmarks"]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_ruff_would_flag_an_undefined_name(tmp_path):
    pytest.importorskip("ruff")
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    return per_puzzle\n")
    done = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--select", "F", str(bad)],
                          capture_output=True, text=True)
    assert done.returncode == 1 and "F821" in done.stdout
