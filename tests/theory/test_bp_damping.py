"""BP damping (issue 18 surviving mutant): one damped sweep is the convex mix of the undamped update and the old
messages, psi <- (1 - d) * new + d * psi, and the running beliefs follow the damped messages."""
import itertools

import numpy as np
import pytest

from anyorder.theory.bp import _FLOOR, _sequential_sweep, predicate_table, variable_beliefs


@pytest.mark.parametrize("damping", [0.25, 0.5, 0.9])
def test_one_damped_sweep_mixes_new_and_old_messages(damping):
    table = predicate_table("nae", 3, 3)
    clauses = np.array([[0, 1, 2]])
    psi0 = np.random.default_rng(0).dirichlet(np.ones(3), size=(1, 3))
    digits = np.array(list(itertools.product(range(3), repeat=3)), dtype=np.int64)
    flat = table.reshape(-1).astype(np.float64)

    def sweep(d):
        psi = psi0.copy()
        total = variable_beliefs(clauses, np.log(psi), 3)
        delta = _sequential_sweep(clauses, psi, total, np.array([0]), flat, digits, _FLOOR, d)
        return psi, total, delta

    undamped, _, _ = sweep(0.0)
    damped, total, delta = sweep(damping)
    assert not np.allclose(undamped, psi0)  # the update moves the messages, so the mix is informative
    assert np.allclose(damped, (1 - damping) * undamped + damping * psi0)
    assert np.allclose(total, variable_beliefs(clauses, np.log(damped), 3))
    assert delta == pytest.approx(np.abs(damped - psi0).max())
