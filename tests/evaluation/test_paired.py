import numpy as np
import pytest

from anyorder.evaluation.paired import mcnemar_exact, paired_outcome


def test_table_counts_each_problem_once():
    a = np.array([1, 1, 0, 0, 1], dtype=bool)
    b = np.array([1, 0, 1, 0, 0], dtype=bool)
    out = paired_outcome(a, b)
    assert (out.both, out.only_a, out.only_b, out.neither) == (1, 2, 1, 1)


def test_mcnemar_exact_values():
    assert mcnemar_exact(0, 0) == 1.0
    assert mcnemar_exact(3, 3) == 1.0                      # a perfectly even split is no evidence
    assert mcnemar_exact(0, 5) == pytest.approx(2 / 32)     # all five discordant one way: 2 * 0.5^5
    assert mcnemar_exact(1, 9) == pytest.approx(2 * 11 / 1024)
    assert mcnemar_exact(9, 1) == mcnemar_exact(1, 9)


def test_shape_mismatch_is_an_error():
    with pytest.raises(ValueError, match="same length"):
        paired_outcome(np.ones(3, bool), np.ones(4, bool))
