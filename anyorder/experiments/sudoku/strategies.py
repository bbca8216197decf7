"""The decoding strategies of the Sudoku reproduction (paper Sec. 4.2 Table 2, Sec. 4.5 Table 5, App. D.2).

A ``Strategy`` is a named ``Plan`` plus the labels the tables print. Noise settings: "gumbel0.5-annealed" is
the Ye et al. codebase default ``stochastic0.5-linear`` (Gumbel, coefficient 0.5, annealed linearly to 0),
"none" is the plain oracle. The remasking decoder (``mode="remask"``) contributes one row per noise setting, with
the Ye et al. top-k decoder's score: the log-probability of the argmax (``score="log_top_prob"``).
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
        return {"method": self.name, "model": "mdm", "score": score, "noise": self.noise, "mode": p.mode,
                "budget": p.budget, "steps": p.steps, **extra}


def make(score: str, noise: str, mode: str = "unmask", steps: int = 50, **plan_fields) -> Strategy:
    plan = Plan(steps=steps, score=score, value="argmax", mode=mode, **NOISE_SETTINGS[noise], **plan_fields)
    budget = plan_fields.get("budget", "schedule")
    suffix = {"threshold": f" tau={plan.threshold}", "factor": f" f={plan.factor}"}.get(budget, "")
    head = ("remask (Ye top-k)" if score == "log_top_prob" else f"remask {score}") if mode == "remask" else score
    return Strategy(f"MDM {head} | {noise} | {mode} | {budget}{suffix} | T={steps}", plan, noise)


def table_strategies(steps: int, full: bool = True) -> list[Strategy]:
    """Table rows: every score x noise with unmask-and-keep, plus the remasking decoder per noise.
    ``full=False`` (hard split, --quick): paper noise only."""
    noises = list(NOISE_SETTINGS) if full else ["gumbel0.5-annealed"]
    rows = [make(s, n, "unmask", steps) for n in noises for s in ALL_SCORES]
    return rows + [make("log_top_prob", n, "remask", steps) for n in noises]


def frontier_strategies(step_sweep=(5, 10, 20, 50, 81), taus=(0.5, 0.7, 0.9, 0.99),
                        factors=(0.5, 1.0, 2.0)) -> dict[str, list[Strategy]]:
    """Equal-compute frontier families (noise none, unmask): step sweeps per score and the threshold / factor
    budgets (upper bound 81 steps) for top_prob and top_prob_margin."""
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
