import os
import subprocess
import sys

import numpy as np

from anyorder.tasks.sudoku.board import conflicts, from_strings, is_complete_valid, to_string
from anyorder.tasks.sudoku.solver import count_solutions, solve

EASY = "530070000600195000098000060800060003400803001700020006060000280000419005000080079"
EASY_SOL = "534678912672195348198342567859761423426853791713924856961537284287419635345286179"
# Arto Inkala's "world's hardest" puzzle (2012) and its published solution
INKALA = "800000000003600000070090200050007000000045700000100030001000068008500010090000400"
INKALA_SOL = "812753649943682175675491283154237896369845721287169534521974368438526917796318452"


def test_golden_solutions():
    sol, cnt = solve(from_strings([EASY, INKALA]))
    assert cnt.tolist() == [1, 1]
    assert [to_string(s) for s in sol] == [EASY_SOL, INKALA_SOL]
    assert is_complete_valid(sol).all()


def test_count_solutions_limits():
    empty = np.zeros(81, np.int8)
    assert count_solutions(empty, limit=5)[0] == 5
    assert count_solutions(empty, limit=1)[0] == 1
    # a solved grid with a 2x2 swap pattern removed has exactly 2 solutions (deadly rectangle)
    s = from_strings([EASY_SOL])[0]
    for a in range(81):
        r, c = divmod(a, 9)
        for c2 in range(c + 1, 9):
            if c // 3 != c2 // 3:
                continue
            for r2 in range(r + 1, 9):
                if s[9 * r + c] == s[9 * r2 + c2] and s[9 * r + c2] == s[9 * r2 + c]:
                    g2 = s.copy()
                    g2[[9 * r + c, 9 * r + c2, 9 * r2 + c, 9 * r2 + c2]] = 0
                    assert count_solutions(g2, limit=10)[0] == 2
                    return
    raise AssertionError("no deadly rectangle found in the golden grid")


def test_conflicting_givens_have_no_solution():
    g = from_strings([EASY])[0].copy()
    g[2] = 5  # row 1 already has a 5
    assert conflicts(g[None])[0]
    assert count_solutions(g)[0] == 0
    sol, cnt = solve(g)
    assert cnt[0] == 0 and (sol == 0).all()


SEES_ONE_THREAD = """
import torch
from anyorder.tasks.sudoku.generate import generate
from anyorder.tasks.sudoku.solver import count_solutions, solve
from anyorder.tasks.sudoku.techniques import rate
seen = [torch.get_num_threads()]
puzzles, _ = generate(4, seed=3)
seen.append(torch.get_num_threads())
for call in (count_solutions, solve, rate):
    call(puzzles)
    seen.append(torch.get_num_threads())
print(seen)
"""


def test_numba_kernels_leave_torch_thread_count_alone():
    """numba's OpenMP layer sets the process-wide OpenMP thread count torch reads; a process started with
    OMP_NUM_THREADS=1 stays at one torch thread after the generator, solver and rater ran (on a 2-core machine
    it went to 2 before the fix)."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "2"}
    out = subprocess.run([sys.executable, "-c", SEES_ONE_THREAD], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[1, 1, 1, 1, 1]", out.stderr
