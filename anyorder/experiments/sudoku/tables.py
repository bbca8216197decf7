"""Sudoku Tables 2 and 5 (paper Sec. 4.2, 4.5): our rows beside the paper's numbers, as markdown and CSV.

A *row* is a dict with at least ``method`` (the paper's row name, or a descriptive one) and the measured
columns in ``COLUMNS``; ``paper_value`` fills in the paper's accuracy for rows that correspond to one of its rows.
"""
from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any, Iterable

# Paper Table 2 (test split) and Table 5 (hard split): exact-solve accuracy in percent.
PAPER_TABLE2 = {"ARM (w/o ordering)": 9.73, "ARM (with ordering)": 87.18, "MDM (vanilla)": 6.88,
                "MDM (Top probability)": 18.51, "MDM (Top prob. margin)": 89.49}
PAPER_TABLE5 = {"ARM (with ordering)": 32.57, "MDM (vanilla)": 3.62, "MDM (Top probability)": 9.44,
                "MDM (Top prob. margin)": 49.88}
PAPER_TABLES = {"test": PAPER_TABLE2, "hard": PAPER_TABLE5}
SCORE_ROWS = {"vanilla": "MDM (vanilla)", "top_prob": "MDM (Top probability)",
              "top_prob_margin": "MDM (Top prob. margin)"}
ARM_ROWS = {"solver": "ARM (with ordering)", "fixed": "ARM (w/o ordering)"}

COLUMNS = ["method", "score", "noise", "mode", "budget", "steps", "n", "exact_pct", "valid_pct", "cell_pct",
           "mean_nfe", "seconds", "paper_pct"]


def paper_row_name(row: dict[str, Any]) -> str | None:
    """The paper row a measured row corresponds to (50 steps only):
    - vanilla: the paper's Algorithm 1 only (``budget="binomial"``; the oracle noise does not apply to a random
      order), not a random order with a fixed K per step;
    - top_prob / top_prob_margin: the paper's inference settings (Gumbel 0.5, schedule budget) with
      unmask-and-keep, and the literal Ye et al. remasking decoder (it ranks by the argmax log-probability,
      i.e. top_prob), since the paper does not say which decoder its numbers used; never the carry-over
      remasking variant (ours);
    - ARM rows by order."""
    if row.get("model") == "arm":
        return ARM_ROWS.get(row.get("order"))
    if row.get("steps") != 50:
        return None
    score, mode, budget = row.get("score"), row.get("mode"), row.get("budget")
    if score == "vanilla":
        return SCORE_ROWS["vanilla"] if mode == "unmask" and budget == "binomial" else None
    if row.get("noise") != "gumbel0.5-annealed":
        return None
    if (mode == "unmask" and budget == "schedule") or mode == "remask-repredict":
        return SCORE_ROWS.get(score)
    return None


def paper_value(row: dict[str, Any], split: str) -> float | None:
    name = paper_row_name(row)
    return PAPER_TABLES[split].get(name) if name else None


def _fmt(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value).replace("|", "\\|")  # method names contain '|'; escape it inside markdown cells


def write_table(rows: Iterable[dict[str, Any]], columns: list[str], path_stem: str | Path,
                title: str = "", notes: Iterable[str] = ()) -> tuple[Path, Path]:
    """Write ``rows`` (dicts) restricted to ``columns`` to ``<stem>.md`` (with title and bullet notes) and
    ``<stem>.csv``. Missing values print as "–" in markdown and as empty cells in CSV."""
    rows = list(rows)
    stem = Path(path_stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    md = [f"## {title}", ""] if title else []
    md += ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    md += ["| " + " | ".join(_fmt(r.get(c)) for c in columns) + " |" for r in rows]
    notes = list(notes)
    if notes:
        md += ["", *[f"- {n}" for n in notes]]
    md_path, csv_path = stem.with_suffix(".md"), stem.with_suffix(".csv")
    md_path.write_text("\n".join(md) + "\n")
    with open(csv_path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=columns, extrasaction="ignore")
        w.writeheader()
        w.writerows({c: ("" if r.get(c) is None else r.get(c)) for c in columns} for r in rows)
    return md_path, csv_path


def with_paper_numbers(rows: list[dict[str, Any]], split: str) -> list[dict[str, Any]]:
    """Copies of ``rows`` with ``paper_pct`` set, plus one row per paper entry that we did not run."""
    out = [dict(r, paper_pct=paper_value(r, split)) for r in rows]
    covered = {paper_row_name(r) for r in rows}
    for name, value in PAPER_TABLES[split].items():
        if name not in covered:
            out.append({"method": f"{name} [not run]", "paper_pct": value})
    return out


def repredict_note(checkpoint_config: dict[str, Any]) -> str:
    """Whether the literal remasking rows (re-predict visible tokens) mean anything for this checkpoint."""
    model = checkpoint_config.get("model", {})
    head = "Remasking rows (full run; --quick omits them): "
    if model.get("max_len") == 164 and bool(model.get("tie_embeddings")):
        return (head + "this checkpoint has the paper codebase's model setting (164-token prompt+response, tied "
                "input/output embeddings); the 'remask-repredict' rows (the literal Ye et al. decoder) show whether "
                "re-predicting visible tokens works with it; compare them with the 'remask-carry-over' rows (ours).")
    layout = f"{model.get('max_len')}-token layout, tie_embeddings={bool(model.get('tie_embeddings'))}"
    return (head + f"the 'remask-repredict' rows (the literal Ye et al. decoder, which re-predicts visible tokens) "
            f"are not meaningful for this checkpoint ({layout}): it was trained only on masked positions, so its "
            "outputs at visible positions are untrained. 'remask-carry-over' (ours, Mask-Predict) keeps visible "
            "tokens and is not the paper's decoder. The paper-codebase setting is the preset sudoku-mdm-paper; "
            "point --checkpoint at such a model to test literal re-prediction.")


def training_note(checkpoint_config: dict[str, Any]) -> str:
    """What the checkpoint's own run trained: steps x batch = samples, and the budget it was scheduled for.

    Time-budgeted runs (``max_seconds``) carry a huge ``max_steps`` that they never reach, so the schedule is named
    by its budget; a checkpoint fine-tuned from another (``export_note``) says its lineage is recorded there.
    """
    train = checkpoint_config.get("train") or {}
    step, batch = checkpoint_config.get("step"), train.get("batch_size")
    seen = f"{step * batch:,} samples" if isinstance(step, int) and isinstance(batch, int) else "samples unknown"
    seconds = train.get("max_seconds")
    budget = (f"{seconds:g} s of {train.get('budget_clock') or 'wall'}-clock time" if seconds
              else f"{train.get('max_steps', '?')} steps")
    note = f"Training: checkpoint step {step if step is not None else '?'} at batch {batch or '?'} ({seen}; " \
           f"the run was scheduled for {budget})"
    if checkpoint_config.get("export_note"):
        note += "; this run continued earlier ones: the checkpoint's export_note records the whole lineage"
    return note


def protocol_differences(checkpoint_config: dict[str, Any], n_eval: dict[str, int], data_source: str,
                         arm_given: bool, seconds: float) -> list[str]:
    """Factual list of how this run differs from the paper's protocol, read from the checkpoint's config."""
    model = checkpoint_config.get("model", {})
    train = checkpoint_config.get("train") or {}
    mdm = train.get("mdm", {})
    length = model.get("max_len")
    notes = [
        f"Data: {data_source}. The paper used Shah et al.'s filtered Radcliffe puzzles (≈1.8M train / ≈0.1M test) "
        "and the ≈1M Radcliffe puzzles that fail the 7-technique filter as the hard set.",
        f"Evaluated puzzles: {n_eval.get('test', 0)} (test) and {n_eval.get('hard', 0)} (hard); "
        "the paper's test split has ≈0.1M puzzles (hard-set evaluation size not stated).",
        f"Model: {model.get('n_layers')} layers, width {model.get('d_model')}, {model.get('n_heads')} heads, "
        f"{length}-token sequences; paper: 6M GPT-2 (3 layers, width 384, 12 heads) on 164-token prompt+response.",
        f"{training_note(checkpoint_config)}; paper: 300 epochs of ≈1.8M puzzles at batch 128, lr 1e-3.",
        f"Loss: sampling={mdm.get('sampling', '?')}, time_weight={mdm.get('time_weight', '?')}, "
        f"token_weight={mdm.get('token_weight', '?')}; the paper's Sudoku loss settings are not stated (§8 Q2).",
        "Values are the argmax (Ye et al. codebase); the paper's text says values are sampled.",
        "Gumbel 0.5 is annealed linearly to 0 (codebase default 'stochastic0.5-linear'); the paper does not say.",
        "Vanilla: the paper's row is Algorithm 1 ('vanilla (Algorithm 1)', budget binomial: every masked cell is "
        "revealed independently with probability 1/(T-j) at step j); 'vanilla (random order, fixed K)' reveals "
        "round(n_masked/(T-j)) random cells per step and has no paper number.",
        "Paper numbers for top_prob are shown beside both unmask-and-keep and the literal remasking decoder "
        "(remask-repredict); the paper does not say which decoder its numbers used.",
        repredict_note(checkpoint_config),
        f"Wall time of this reproduction: {seconds:.0f} s.",
    ]
    if not arm_given:
        notes.append("ARM rows were not run (no --arm-solver/--arm-fixed checkpoints given); paper values shown.")
    return notes
