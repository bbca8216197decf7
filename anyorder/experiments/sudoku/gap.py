"""Why does top_prob_margin beat top_prob on Sudoku (paper Table 2: 89.49% vs 18.51%)? Measurements only.

``run_gap`` writes ``gap.md/.csv`` (controlled grid) and ``calibration.md/.csv`` + ``ties.md/.csv``:

1. the grid {top_prob, top_prob_margin, log_top_prob, log_margin} x {Gumbel 0.5 annealed, none} x
   {unmask, remask}, one factor at a time (the log-scale scores rank like their probability-scale versions
   without noise but react differently to additive noise: the codebase adds its Gumbel noise to log-probs);
   the remasking decoder honours ``Plan.score`` (before issue 10 it always ranked by the argmax log-probability,
   i.e. ``log_top_prob``, and its score rows were one run), with visible tokens carried over (ours);
   ``log_top_prob`` / ``log_margin`` are ours, not the paper's; the notes of ``gap.md`` state the noise-scale
   explanation of the gap as a hypothesis, with the numbers of this run as its evidence;
2. calibration of the model on the test split: expected calibration error (15 equal-width bins) of the max
   probability at masked cells, with random masks over the blanks at several mask fractions;
3. decode-time ties: for every reveal of the unmask decoder, the top-2 probabilities at that step; the share
   of reveals whose top-2 gap is below ``tie_gap`` ("near-tied"), and the error rate of tied / untied reveals.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from anyorder.experiments.sudoku import evaluate as ev
from anyorder.experiments.sudoku import strategies as st
from anyorder.experiments.sudoku.tables import write_table
from anyorder.tasks.sudoku.metrics import per_puzzle

GAP_SCORES = ("top_prob", "top_prob_margin", "log_top_prob", "log_margin")
ORIGIN = {"top_prob": "paper", "top_prob_margin": "paper", "log_top_prob": "ours", "log_margin": "ours"}
OURS_NOTE = ("log_top_prob (log p_(1)) and log_margin (log p_(1) - log p_(2)) are our scores, added for this study; "
             "the paper's oracles are top_prob (p_(1)) and top_prob_margin (p_(1) - p_(2)).")
MASK_FRACTIONS = (0.25, 0.5, 0.75, 1.0)


def grid_rows(sm, data, args) -> list[dict]:
    rows = []
    for noise in st.NOISE_SETTINGS:
        for mode in ("unmask", "remask"):
            for score in GAP_SCORES:
                s = st.make(score, noise, mode, args.steps)
                dec = ev.decode_puzzles(sm, data.puzzles, s.plan, args.batch_size, args.device, args.seed)
                m = per_puzzle(dec.grids, data.puzzles, data.solutions)
                row = dict(s.labels, score=score, origin=ORIGIN[score], n=len(data), exact_pct=100 * m["exact"].mean(),
                           cell_pct=100 * m["cell"].mean(), mean_nfe=float(dec.nfe.mean()))
                rows.append(row)
    return rows


def expected_calibration_error(conf: np.ndarray, correct: np.ndarray, n_bins: int = 15) -> float:
    """ECE = sum_b |B_b|/N |acc(B_b) - conf(B_b)| over equal-width confidence bins on [0, 1]."""
    conf, correct = np.asarray(conf, float), np.asarray(correct, float)
    if not len(conf):
        return float("nan")
    bins = np.minimum((conf * n_bins).astype(int), n_bins - 1)
    total = 0.0
    for b in range(n_bins):
        sel = bins == b
        if sel.any():
            total += sel.mean() * abs(correct[sel].mean() - conf[sel].mean())
    return float(total)


@torch.no_grad()
def calibration_rows(sm, data, args) -> list[dict]:
    """Max-prob ECE at masked cells for random masks of each fraction of the blanks (batched)."""
    g = np.random.default_rng(args.seed)
    rows = []
    for frac in MASK_FRACTIONS:
        confs, hits, margins = [], [], []
        for lo in range(0, len(data), args.batch_size):
            puzzles, solutions = data.puzzles[lo:lo + args.batch_size], data.solutions[lo:lo + args.batch_size]
            keep = (puzzles > 0) | (g.random(puzzles.shape) >= frac)
            tokens, _ = sm.codec.encode(np.where(keep, solutions, 0))
            probs = _probs(sm, tokens.to(args.device))
            masked = ~keep
            top2 = probs.topk(2, dim=-1)
            pred = sm.codec.grids(_ids(sm, top2.indices[..., 0]))
            confs.append(top2.values[..., 0][torch.as_tensor(masked)].numpy())
            margins.append((top2.values[..., 0] - top2.values[..., 1])[torch.as_tensor(masked)].numpy())
            hits.append((pred == solutions)[masked])
        conf, hit, margin = np.concatenate(confs), np.concatenate(hits), np.concatenate(margins)
        rows.append({"mask_fraction": frac, "n_cells": len(conf), "accuracy": float(hit.mean()),
                     "mean_max_prob": float(conf.mean()), "ece_max_prob": expected_calibration_error(conf, hit),
                     "ece_margin": expected_calibration_error(margin, hit)})
    return rows


def _probs(sm, tokens: torch.Tensor) -> torch.Tensor:
    """Model probabilities (B, 81, V) on the board cells with [MASK] excluded (as the decoder does)."""
    logits = sm.model(tokens).float()
    logits[..., sm.codec.mask_id] = float("-inf")
    cells = logits[:, sm.codec.offset:sm.codec.offset + 81]
    return cells.softmax(-1).cpu()


def _ids(sm, token_ids: torch.Tensor) -> torch.Tensor:
    """Pad (B, 81) token ids of the board into a full-length sequence so ``codec.grids`` can read them."""
    full = torch.full((token_ids.shape[0], sm.codec.length), sm.codec.mask_id, dtype=torch.int64)
    full[:, sm.codec.offset:sm.codec.offset + 81] = token_ids
    return full


class Recorder:
    """Wraps a model; stores the board's top-2 probabilities and argmax token of every call."""

    def __init__(self, sm) -> None:
        self.sm, self.calls = sm, []

    def __call__(self, tokens: torch.Tensor) -> torch.Tensor:
        logits = self.sm.model(tokens)
        probs = _probs(self.sm, tokens)
        top2 = probs.topk(2, dim=-1)
        self.calls.append((top2.values, top2.indices[..., 0]))
        return logits


@torch.no_grad()
def tie_rows(sm, data, args, tie_gap: float = 0.2) -> list[dict]:
    """Per unmask strategy: share of near-tied reveals and error rates of tied / untied reveals."""
    rows = []
    for noise in st.NOISE_SETTINGS:
        for score in GAP_SCORES:
            plan = st.make(score, noise, "unmask", args.steps).plan
            p1s, p2s, wrong = [], [], []
            for lo in range(0, len(data), args.batch_size):
                rec = Recorder(sm)
                sub = ev.SudokuModel(rec, sm.codec, sm.config, sm.path)
                dec, trace = ev.decode_puzzles(sub, data.puzzles[lo:lo + args.batch_size], plan,
                                               args.batch_size, args.device, args.seed + lo, trace=True)
                solutions = data.solutions[lo:lo + args.batch_size]
                for t, (top2, _) in zip(trace, rec.calls):
                    sel = torch.as_tensor(sm.codec.cells(t.revealed).astype(bool))
                    p1s.append(top2[..., 0][sel].numpy())
                    p2s.append(top2[..., 1][sel].numpy())
                    wrong.append((dec.grids != solutions)[sel.numpy()])
            p1, p2, bad = np.concatenate(p1s), np.concatenate(p2s), np.concatenate(wrong)
            tied = (p1 - p2) < tie_gap
            rows.append({"score": score, "noise": noise, "reveals": len(p1), "tie_gap": tie_gap,
                         "near_tied_pct": 100 * tied.mean(), "mean_p1": float(p1.mean()),
                         "error_pct_tied": 100 * bad[tied].mean() if tied.any() else float("nan"),
                         "error_pct_untied": 100 * bad[~tied].mean() if (~tied).any() else float("nan")})
    return rows


def gap_notes(rows: list[dict]) -> list[str]:
    """The noise-scale explanation of the gap, stated as a hypothesis with the evidence measured in ``rows``."""
    exact = {(r["score"], r["noise"]): r["exact_pct"] for r in rows if r["mode"] == "unmask"}

    def pct(noise: str) -> str:
        return ", ".join(f"{s} {exact[(s, noise)]:.0f}%" for s in GAP_SCORES if (s, noise) in exact)

    return [
        "mode=remask-carry-over ranks by the row's score, like unmask (log_top_prob is the Ye et al. decoder's "
        "score), with visible tokens carried over (ours).",
        OURS_NOTE,
        "Hypothesis (ours; not established, and not a claim of the paper): the paper's top_prob vs margin gap "
        "(18.51% vs 89.49%, both with Gumbel 0.5) comes from how additive Gumbel noise of scale 0.5 interacts "
        "with each score's range: confident cells have top probabilities near 1 (log-probabilities near 0), so "
        "noise reorders them, while their log-ratio margins are several nats apart and survive it.",
        f"Evidence here (unmask decoder, exact on the test split): Gumbel 0.5 annealed: {pct('gumbel0.5-annealed')}; "
        f"no noise: {pct('none')}.",
        "Not shown: that the paper's own gap has this cause. Its oracles are probability-scale (top_prob, "
        "margin), on which this model collapses under the noise for both scores; the log-scale scores that "
        "separate are ours. Other explanations (a differently trained model, different noise placement) remain.",
    ]


def run_gap(sm, data, args, out: Path) -> Path:
    out = Path(out)
    rows = grid_rows(sm, data, args)
    write_table(rows, ["score", "origin", "noise", "mode", "steps", "n", "exact_pct", "cell_pct", "mean_nfe"],
                out / "gap", "top_prob vs top_prob_margin, one factor at a time (test split)",
                gap_notes(rows))
    write_table(calibration_rows(sm, data, args), ["mask_fraction", "n_cells", "accuracy", "mean_max_prob",
                                                   "ece_max_prob", "ece_margin"], out / "calibration",
                "Calibration at masked cells (random masks over the blanks, test split)")
    write_table(tie_rows(sm, data, args), ["score", "noise", "reveals", "tie_gap", "near_tied_pct", "mean_p1",
                                           "error_pct_tied", "error_pct_untied"], out / "ties",
                "Top-2 near-ties at the cells each strategy revealed (unmask decoder)", [OURS_NOTE])
    return out / "gap.md"
