"""``Plan``: every decoding option in one frozen dataclass (paper Sec. 2.5-2.7).

A plan answers three orthogonal questions per step: how many positions (``budget``), which positions
(``score`` + optional ``noise``) and which token (``value``). ``mode`` names the decoder
(``decoders.DECODERS``: unmask, remask, greedy, beam); each decoder reads only some fields, and a plan that sets
a field its decoder ignores is rejected (``decoders.check_plan``). Examples::

    Plan(steps=50, budget="binomial", score="vanilla", value="sample")   # the paper's Algorithm 1, exactly
    Plan(steps=50, score="top_prob_margin", noise="gumbel", noise_scale=0.5, noise_anneal=True)  # puzzles
    Plan(steps=64, budget="threshold", threshold=0.9, score="top_prob")  # Fast-dLLM parallel decoding
    Plan(steps=64, score="top_prob", block_length=32)                   # LLaDA semi-autoregressive blocks
    Plan(mode="remask", score="log_top_prob", noise="gumbel", noise_scale=0.5, noise_anneal=True)  # Ye et al.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Callable

from anyorder.decode.budget import BUDGETS
from anyorder.decode.decoders import DECODERS, check_plan
from anyorder.decode.noise import NOISES
from anyorder.decode.score import SCORES
from anyorder.decode.value import VALUES
from anyorder.errors import ConfigError
from anyorder.objectives.schedule import SCHEDULES

PROPAGATE = ("none", "forced", "implied")


@dataclass(frozen=True)
class Plan:
    """Decoding options. Validated on construction; unknown names raise ConfigError listing valid ones."""

    steps: int = 50  # number of steps T (an upper bound for threshold/factor/fixed budgets)
    budget: str = "schedule"  # BUDGETS: schedule | binomial | even (LLaDA) | fixed | threshold | factor
    score: str | Callable = "top_prob_margin"  # SCORES name, or fn(log_probs (B,L,V), u (B,L)) -> (B,L)
    value: str = "argmax"  # VALUES: argmax | sample
    temperature: float = 1.0  # value sampling temperature (> 0)
    top_k: int | None = None  # value sampling: keep the k most likely tokens
    top_p: float | None = None  # value sampling: keep the smallest nucleus with mass >= top_p
    noise: str = "none"  # NOISES: none | gumbel | gaussian, added to the score
    noise_scale: float = 0.0  # noise coefficient (Gumbel temperature / Gaussian sigma); paper puzzles: 0.5
    noise_anneal: bool = False  # scale the noise by (T-1-step)/T, linearly to 0 (Ye et al. "-linear")
    schedule: str = "linear"  # alpha schedule of the step grid (objectives.schedule.SCHEDULES)
    k: int = 1  # positions per step for budget="fixed" (0 allowed)
    threshold: float = 0.9  # budget="threshold": reveal candidates with score >= threshold
    factor: float = 1.0  # budget="factor": accept rank r (0-based) while score >= 1 - factor/(r+2)
    block_length: int | None = None  # semi-AR blocks (LLaDA); steps are split evenly across blocks
    mode: str = "unmask"  # DECODERS: unmask (paper Sec. 2.6) | remask (Ye et al.) | greedy | beam (causal models)
    stop_early: bool = True  # stop when no sample has masked positions left (one sync per step)
    remask_visible: str = "keep"  # remask mode: "keep" visible tokens + their scores (Mask-Predict) | "repredict"
    beam_width: int = 1  # beam mode: beams per row; orderbeam mode: partial decodes kept per row
    # self-correcting / verifier-aware decoders (selfcorrect, bestofn, backtrack, orderbeam; issue 17)
    max_nfe: int = 0  # per-row cap on model evaluations (0 = steps); steps stays the reveal schedule's grid
    probes: int = 8  # selfcorrect: revealed tokens re-checked per call (masked again in the model input)
    revise_below: float = 0.5  # selfcorrect: re-mask a checked token whose probability is below this
    recheck_below: float = 1.0  # selfcorrect: only tokens revealed with probability below this are checked
    max_revisions: int = 8  # selfcorrect: re-masks per row; backtrack: back-ups per row
    samples: int = 4  # bestofn: decodes per row at most (the first with the plan's noise, then retry_noise)
    retry_noise: float = 0.5  # bestofn: Gumbel scale on the score for the 2nd and later decodes
    guess_below: float = 0.9  # backtrack: a reveal whose allowed-value probability is below this is a guess
    expand: int = 2  # orderbeam: children per partial decode (its best-scoring positions)
    propagate: str = "none"  # backtrack: fill cells the rules force, no model call: none | forced | implied

    def __post_init__(self) -> None:
        _check_name("budget", self.budget, BUDGETS)
        _check_name("value", self.value, VALUES)
        _check_name("noise", self.noise, NOISES)
        _check_name("schedule", self.schedule, SCHEDULES)
        _check_name("mode", self.mode, DECODERS)
        if not callable(self.score):
            _check_name("score", self.score, SCORES)
        _check(isinstance(self.steps, int) and self.steps >= 1, f"steps must be an int >= 1, got {self.steps!r}")
        _check(self.temperature > 0, f"temperature must be > 0, got {self.temperature}")
        _check(self.top_k is None or self.top_k >= 1, f"top_k must be None or >= 1, got {self.top_k}")
        _check(self.top_p is None or 0 < self.top_p <= 1, f"top_p must be None or in (0, 1], got {self.top_p}")
        _check(self.noise_scale >= 0, f"noise_scale must be >= 0, got {self.noise_scale}")
        _check(isinstance(self.k, int) and self.k >= 0, f"k must be an int >= 0, got {self.k!r}")
        _check(self.factor > 0, f"factor must be > 0, got {self.factor}")
        _check(self.block_length is None or self.block_length >= 1,
               f"block_length must be None or >= 1, got {self.block_length}")
        _check(self.remask_visible in ("keep", "repredict"),
               f"unknown remask_visible {self.remask_visible!r}; valid: ['keep', 'repredict']")
        _check(isinstance(self.beam_width, int) and self.beam_width >= 1,
               f"beam_width must be an int >= 1, got {self.beam_width!r}")
        _check(isinstance(self.max_nfe, int) and self.max_nfe >= 0, f"max_nfe must be an int >= 0, got {self.max_nfe!r}")
        for name in ("probes", "samples", "expand"):
            _check(isinstance(getattr(self, name), int) and getattr(self, name) >= 1,
                   f"{name} must be an int >= 1, got {getattr(self, name)!r}")
        _check(isinstance(self.max_revisions, int) and self.max_revisions >= 0,
               f"max_revisions must be an int >= 0, got {self.max_revisions!r}")
        for name in ("revise_below", "recheck_below", "guess_below"):
            _check(0 <= getattr(self, name) <= 1, f"{name} must be in [0, 1], got {getattr(self, name)}")
        _check(self.retry_noise >= 0, f"retry_noise must be >= 0, got {self.retry_noise}")
        _check(self.propagate in PROPAGATE, f"unknown propagate {self.propagate!r}; valid: {list(PROPAGATE)}")
        check_plan(self)

    @property
    def nfe_cap(self) -> int:
        """Per-row model-evaluation cap of the correcting decoders: ``max_nfe`` or, when 0, ``steps``."""
        return self.max_nfe or self.steps

    @property
    def score_name(self) -> str:
        """The score's registry name, or the custom function's name."""
        return self.score if isinstance(self.score, str) else getattr(self.score, "__name__", "custom")

    @classmethod
    def field_names(cls) -> list[str]:
        return [f.name for f in fields(cls)]


def _check_name(what: str, name: object, registry: dict) -> None:
    if name not in registry:
        raise ConfigError(f"unknown {what} {name!r}; valid: {sorted(registry)}")


def _check(ok: bool, message: str) -> None:
    if not ok:
        raise ConfigError(message)
