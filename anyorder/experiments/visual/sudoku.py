"""Sudoku order pictures for ``anyorder solve --save/--html`` and ``scripts/make_pictures.py``."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Sequence

import numpy as np

from anyorder.decode import Plan
from anyorder.errors import CheckpointError
from anyorder.experiments.visual import html as vhtml
from anyorder.experiments.visual import static
from anyorder.experiments.visual.replay import Replay, decode_replay
from anyorder.tasks.sudoku.display import SudokuDisplay


def strategy_label(plan: Plan) -> str:
    """Short name of a plan for titles: score, noise, mode when not the default."""
    if plan.score_name == "vanilla" and plan.budget == "binomial":
        label = "vanilla (Algorithm 1)"
    else:
        label = plan.score_name + ("" if plan.budget == "schedule" else f", {plan.budget}")
    label += f" + {plan.noise} {plan.noise_scale:g}" if plan.noise != "none" else ""
    return label + ("" if plan.mode == "unmask" else f" ({plan.mode})")


def replays(sm, puzzle: np.ndarray, plans: Sequence[Plan], seed: int = 0, device: str = "cpu") -> list[Replay]:
    """Decode one puzzle with every plan (``replay.decode_replay``). ``sm``: ``SudokuModel`` (solve) or
    ``replay.Displayed``; both carry the model and the task config / display."""
    disp = getattr(sm, "display", None) or SudokuDisplay(_layout(sm))
    mask_id = getattr(sm, "mask_id", None)
    if mask_id is None:
        mask_id = sm.codec.mask_id
        if mask_id != disp.tokenizer.mask_id:
            raise CheckpointError(f"{sm.path}: [MASK] id {mask_id} is not the Sudoku tokenizer's "
                                  f"({disp.tokenizer.mask_id}); pictures need the task's own tokenizer")
    return [decode_replay(sm.model, disp, puzzle, plan, mask_id, seed, device=device) for plan in plans]


def _layout(sm) -> str:
    return "board81" if getattr(sm.codec, "length", 81) == 81 else "prompt164"


def order_pictures(sm, puzzle: np.ndarray, plans: Sequence[Plan], png: str | Path | None = None,
                   html: str | Path | None = None, seed: int = 0, device: str = "cpu",
                   solution: np.ndarray | None = None) -> list[Path]:
    """Decode ``puzzle`` with each plan and write the side-by-side order picture (``png``: .png/.svg/.pdf, with
    the step solver's panel when the 7 techniques solve it) and / or the HTML replay with a step slider."""
    reps = replays(sm, puzzle, plans, seed, device)
    labels = [strategy_label(p) for p in plans]
    solver = SudokuDisplay().reference_order(puzzle)
    written = []
    if png:
        panels = [(f"{lab}\nNFE {r.nfe}, {'valid' if r.valid else 'NOT valid'}",
                   [int(x or 0) for x in r.labels], r.order, r.n_steps) for lab, r in zip(labels, reps)]
        fig = static.plot_orders(puzzle, panels, solver, solution=solution)
        written.append(static.save(fig, png))
    if html:
        page = vhtml.replay_html([(lab, r.to_dict()) for lab, r in zip(labels, reps)], {"rows": 9, "cols": 9,
                                 "box": [3, 3]}, title="Sudoku decoding order", solver=solver)
        written.append(vhtml.write_html(page, html))
    return written


def paper_plans(plan: Plan = Plan()) -> list[Plan]:
    """vanilla (Algorithm 1, Binomial budget), top_prob and top_prob_margin with ``plan``'s other fields."""
    return [replace(plan, score="vanilla", budget="binomial"), replace(plan, score="top_prob"),
            replace(plan, score="top_prob_margin")]
