"""Paired comparison of two solvers on the same problems: the 2 x 2 outcome table and the exact McNemar test."""
from __future__ import annotations

from dataclasses import dataclass
from math import comb

import numpy as np


@dataclass(frozen=True)
class PairedOutcome:
    both: int      # problems both solve
    only_a: int    # problems only A solves
    only_b: int    # problems only B solves
    neither: int   # problems neither solves

    @property
    def p_value(self) -> float:
        """Two-sided exact McNemar p-value: the discordant problems as a Binomial(only_a + only_b, 1/2) test."""
        return mcnemar_exact(self.only_a, self.only_b)


def mcnemar_exact(only_a: int, only_b: int) -> float:
    """P(a split of the n = only_a + only_b discordant problems at least this uneven | no difference)."""
    n = only_a + only_b
    if n == 0:
        return 1.0
    tail = sum(comb(n, i) for i in range(min(only_a, only_b) + 1)) / 2**n
    return min(1.0, 2.0 * tail)


def paired_outcome(correct_a: np.ndarray, correct_b: np.ndarray) -> PairedOutcome:
    """correct_a, correct_b: (n,) bool, problem i solved by A / by B."""
    a, b = np.asarray(correct_a, dtype=bool), np.asarray(correct_b, dtype=bool)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"paired outcomes need two (n,) arrays of the same length, got {a.shape} and {b.shape}")
    return PairedOutcome(int((a & b).sum()), int((a & ~b).sum()), int((~a & b).sum()), int((~a & ~b).sum()))
