"""scripts/compare_solves.py: paired comparison of two `anyorder solve` outputs (with --limit, and its errors)."""
import subprocess
import sys
from pathlib import Path

from anyorder.tasks.sudoku.board import to_string
from anyorder.tasks.sudoku.dataset import shipped

ROOT = Path(__file__).resolve().parents[2]
TEST = ROOT / "anyorder" / "assets" / "sudoku" / "test.npz"


def run(*args):
    return subprocess.run([sys.executable, str(ROOT / "scripts" / "compare_solves.py"), *map(str, args)],
                          capture_output=True, text=True)


def test_counts_the_puzzles_each_output_alone_solves(tmp_path):
    grids = [to_string(g) for g in shipped("test").solutions[:4]]
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("\n".join(grids) + "\n")
    wrong = grids[2][:-1] + ("1" if grids[2][-1] != "1" else "2")
    b.write_text("\n".join(grids[:2] + [wrong, grids[3]]) + "\n")
    out = run(TEST, a, b, "--limit", 4, "--names", "left", "right")
    assert out.returncode == 0, out.stderr
    assert "left: 100.0% exact, right: 75.0% exact, n = 4" in out.stdout
    assert "both right 3, only left 1, only right 0, both wrong 0" in out.stdout
    short = run(TEST, a, b)  # 4 grids against the whole file: told to pass --limit
    assert short.returncode != 0 and "pass the same --limit" in short.stderr
    missing = run(TEST, a, tmp_path / "nope.txt", "--limit", 4)
    assert missing.returncode != 0 and "nope.txt does not exist" in missing.stderr
