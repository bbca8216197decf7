"""The demo's vanilla row is the paper's Algorithm 1 unless the user chose a budget or decoder (paper Table 2)."""
from anyorder.decode import Plan
from anyorder.experiments.sudoku.show import _demo_row


def test_vanilla_row_is_algorithm_1_by_default():
    plan, label = _demo_row(Plan(), "vanilla")
    assert plan.budget == "binomial" and plan.score == "vanilla" and label == "vanilla (Algorithm 1)"


def test_adaptive_rows_keep_the_plan():
    plan, label = _demo_row(Plan(), "top_prob_margin")
    assert plan == Plan(score="top_prob_margin") and label == "top_prob_margin"


def test_explicit_budget_is_respected():
    plan, label = _demo_row(Plan(budget="fixed", k=2), "vanilla")
    assert plan.budget == "fixed" and label == "vanilla"
