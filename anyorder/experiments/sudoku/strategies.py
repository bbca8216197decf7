"""The decoding strategies of the Sudoku reproduction (paper Sec. 4.2 Table 2, Sec. 4.5 Table 5, App. D.2).

A ``Strategy`` is a named ``Plan`` plus the labels the tables print. Noise settings: "gumbel0.5-annealed" is
the Ye et al. codebase default ``stochastic0.5-linear`` (Gumbel, coefficient 0.5, annealed linearly to 0),
"none" is the plain oracle. The remasking decoder (``mode="remask"``) honours ``Plan.score``; the table's remask
rows use the Ye et al. top-k decoder's score, the log-probability of the argmax (``score="log_top_prob"``), one
row per noise setting and per ``remask_visible`` rule.

Labels keep apart what the paper ran and what we added:
- vanilla with ``budget="binomial"`` is the paper's Algorithm 1 (each masked cell revealed independently with
  probability p_j, so the count per step is Binomial); vanilla with the deterministic ``schedule`` budget is a
  random order with a fixed K per step, ours, labelled "random order, fixed K";
- ``remask_visible="repredict"`` is the literal Ye et al. decoder (every maskable cell re-predicted each step);
  ``"keep"`` carries visible tokens over (Mask-Predict), ours, labelled "remask, carry-over (ours)".
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from anyorder.decode import Plan
from anyorder.decode.noise import NOISE_PRESETS

PAPER_SCORES = ("vanilla", "top_prob", "top_prob_margin")
ALL_SCORES = PAPER_SCORES + ("entropy",)
NOISE_SETTINGS = NOISE_PRESETS  # the table's noise rows


@dataclass(frozen=True)
class Strategy:
    """A decoding plan and its table labels."""

    name: str  # unique row label
    plan: Plan
    noise: str  # key of NOISE_SETTINGS

    @property
    def labels(self) -> dict:
        p = self.plan
        codebase = p.mode == "remask" and p.score == "log_top_prob"  # Ye et al.: log-prob of the argmax
        score = "top_prob" if codebase else p.score_name
        extra = {"threshold": p.threshold} if p.budget == "threshold" else (
            {"factor": p.factor} if p.budget == "factor" else {})
        return {"method": self.name, "model": "mdm", "score": score, "noise": self.noise, "mode": mode_label(p),
                "budget": "remask" if p.mode == "remask" else p.budget, "steps": p.steps, **extra}


def mode_label(plan: Plan) -> str:
    """"unmask", "remask-repredict" (the literal Ye et al. decoder) or "remask-carry-over" (ours)."""
    if plan.mode != "remask":
        return plan.mode
    return "remask-repredict" if plan.remask_visible == "repredict" else "remask-carry-over"


def _head(score: str, plan: Plan) -> str:
    if plan.mode == "remask":
        if score != "log_top_prob":  # not the Ye et al. score: name it
            return f"remask {score}" + (" (re-predict visible)" if plan.remask_visible == "repredict"
                                        else ", carry-over (ours)")
        return ("remask (Ye et al. top-k, re-predict visible)" if plan.remask_visible == "repredict"
                else "remask, carry-over (ours)")
    if score == "vanilla":
        return "vanilla (Algorithm 1)" if plan.budget == "binomial" else "vanilla (random order, fixed K)"
    return score


def make(score: str, noise: str, mode: str = "unmask", steps: int = 50, **plan_fields) -> Strategy:
    plan = Plan(steps=steps, score=score, value="argmax", mode=mode, **NOISE_SETTINGS[noise], **plan_fields)
    budget = "remask" if mode == "remask" else plan.budget
    suffix = {"threshold": f" tau={plan.threshold}", "factor": f" f={plan.factor}"}.get(budget, "")
    return Strategy(f"MDM {_head(score, plan)} | {noise} | {mode_label(plan)} | {budget}{suffix} | T={steps}",
                    plan, noise)


def algorithm1(steps: int = 50) -> Strategy:
    """The paper's vanilla inference (Algorithm 1): random order, Binomial count per step, no oracle noise."""
    return make("vanilla", "none", "unmask", steps, budget="binomial")


def paper_strategies(steps: int) -> list[Strategy]:
    """The paper's three MDM rows: Algorithm 1, and top_prob / top_prob_margin with Gumbel 0.5 (App. D.2)."""
    return [algorithm1(steps)] + [make(s, "gumbel0.5-annealed", "unmask", steps) for s in PAPER_SCORES[1:]]


def table_strategies(steps: int, full: bool = True) -> list[Strategy]:
    """Table rows: Algorithm 1; every score x noise with unmask-and-keep (vanilla there: random order, fixed K);
    the remasking decoder per noise, literal (re-predict visible) and carry-over (ours).
    ``full=False``: paper noise only."""
    noises = list(NOISE_SETTINGS) if full else ["gumbel0.5-annealed"]
    rows = [algorithm1(steps)] + [make(s, n, "unmask", steps) for n in noises for s in ALL_SCORES]
    return rows + [make("log_top_prob", n, "remask", steps, remask_visible=v)
                   for n in noises for v in ("repredict", "keep")]


def frontier_strategies(step_sweep=(5, 10, 20, 50, 81), taus=(0.5, 0.7, 0.9, 0.99),
                        factors=(0.5, 1.0, 2.0)) -> dict[str, list[Strategy]]:
    """Accuracy-vs-NFE families (noise none, unmask): step sweeps per score (every puzzle uses exactly T model
    calls, so these are compared at matched NFE) and the threshold / factor budgets (upper bound 81 steps; each
    puzzle chooses its own NFE) for top_prob and top_prob_margin."""
    families = {f"{s} steps": [make(s, "none", "unmask", T) for T in step_sweep]
                for s in ("vanilla", "top_prob", "top_prob_margin")}
    for s in ("top_prob", "top_prob_margin"):
        families[f"{s} threshold"] = [make(s, "none", "unmask", 81, budget="threshold", threshold=t) for t in taus]
        families[f"{s} factor"] = [make(s, "none", "unmask", 81, budget="factor", factor=f) for f in factors]
    return families


def one_per_step(score: str, noise: str = "none") -> Strategy:
    """Reveal exactly one cell per step (81 steps bound every puzzle's blanks) -- for the order analysis."""
    s = make(score, noise, "unmask", 81, budget="fixed", k=1)
    return replace(s, name=f"MDM {score} | {noise} | one cell per step")
