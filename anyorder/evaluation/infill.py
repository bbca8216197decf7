"""The infilling harness of Table 4 (paper Sec. 4.4): HumanEval-Infilling pass@1 per decoding strategy.

For every problem the gap between ``prompt`` and ``suffix`` is replaced by [MASK] tokens and decoded jointly
(non-autoregressive: one block, as the paper does for infilling) with a ``Plan``:

- length policy ``oracle``: as many [MASK]s as the canonical solution has tokens (the paper's setting: "the output
  length equals the masked-span length"); ``fixed``: ``fixed_length`` [MASK]s, the model ending its answer with
  EOS (the completion is cut at the first EOS / EOT);
- steps: ``steps`` or, by default, the gap length (one token per step for the longest gap of a batch);
- completion = the gap's tokens up to the first EOS, special tokens removed, detokenised;
- pass@1 = the share of completions whose ``program`` runs to its end in the sandbox (``evaluation.sandbox``:
  a process per completion, time / memory limits, no network, temporary directory), all cores in parallel.

``STRATEGIES`` are LLaDA's sampler with the paper's three scores: ``budget="even"`` (LLaDA's split),
``value="argmax"`` (temperature 0), ``score`` = vanilla (LLaDA ``random``) | top_prob (LLaDA ``low_confidence``) |
top_prob_margin (the paper's proposal) | entropy.
"""
from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import torch

from anyorder.decode.generate import cut_at_eos, fill
from anyorder.decode.plan import Plan
from anyorder.errors import ConfigError
from anyorder.evaluation.sandbox import Limits, run_programs
from anyorder.tasks.humaneval_infill import InfillProblem, program

STRATEGIES: dict[str, Plan] = {
    "vanilla": Plan(budget="even", score="vanilla"),
    "top_prob": Plan(budget="even", score="top_prob"),
    "top_prob_margin": Plan(budget="even", score="top_prob_margin"),
    "entropy": Plan(budget="even", score="entropy"),
}
TABLE4_STRATEGIES = ("vanilla", "top_prob", "top_prob_margin")


@dataclass(frozen=True)
class InfillOptions:
    length: str = "oracle"  # oracle (canonical solution's token count) | fixed (fixed_length, trailing EOS)
    fixed_length: int = 64  # gap tokens for length="fixed"
    steps: int | None = None  # decoding steps; None = the longest gap of the batch (one token per step)
    batch_size: int = 8  # problems decoded together (sorted by gap, then row length; padded)
    padding: str = "left"  # left | right
    bos: bool = True  # start each row with the tokenizer's BOS token when it has one
    seed: int = 0  # row seeds: hash(seed, problem index)

    def __post_init__(self) -> None:
        if self.length not in ("oracle", "fixed"):
            raise ConfigError(f"length must be 'oracle' or 'fixed', got {self.length!r}")
        if self.fixed_length < 1 or self.batch_size < 1 or (self.steps is not None and self.steps < 1):
            raise ConfigError(f"fixed_length, batch_size and steps must be >= 1; got {self}")


@dataclass(frozen=True)
class InfillRow:
    task_id: str
    strategy: str
    completion: str
    status: str  # sandbox status: passed | failed | timeout | exited | killed
    gap: int  # [MASK] tokens decoded
    nfe: int


def gap_length(problem: InfillProblem, tokenizer, options: InfillOptions) -> int:
    if options.length == "fixed":
        return options.fixed_length
    return max(len(tokenizer.encode(problem.canonical_solution)), 1)


def build_row(problem: InfillProblem, tokenizer, gap: int, mask_id: int, bos: bool = True) -> list[int]:
    """[BOS] + prompt tokens + gap x [MASK] + suffix tokens."""
    start = [tokenizer.special_tokens["bos"]] if bos and "bos" in tokenizer.special_tokens else []
    return start + tokenizer.encode(problem.prompt) + [mask_id] * gap + tokenizer.encode(problem.suffix)


def extract(ids: Sequence[int] | torch.Tensor, tokenizer, eos_ids: Sequence[int]) -> str:
    """The completion text: tokens up to the first EOS / EOT, special tokens (mask, pad...) dropped."""
    special = set(tokenizer.special_tokens.values()) | set(int(e) for e in eos_ids)
    return tokenizer.decode([t for t in cut_at_eos(ids, eos_ids) if t not in special])


def complete(model: Callable, tokenizer, problems: Sequence[InfillProblem], plan: Plan, options: InfillOptions,
             mask_id: int, eos_ids: Sequence[int] = (), pad_id: int | None = None
             ) -> tuple[list[str], list[int], list[int]]:
    """Decode every problem's gap: (completions, gap lengths, NFE per problem), in problem order."""
    pad = pad_id if pad_id is not None else (tokenizer.pad_id if tokenizer.pad_id is not None else
                                             (list(eos_ids) or [mask_id])[0])
    gaps = [gap_length(p, tokenizer, options) for p in problems]
    rows = [build_row(p, tokenizer, g, mask_id, options.bos) for p, g in zip(problems, gaps)]
    order = sorted(range(len(rows)), key=lambda i: (gaps[i], len(rows[i])))  # similar gaps: few wasted steps
    completions, nfe = [""] * len(rows), [0] * len(rows)
    from anyorder.decode.rng import row_seeds

    seeds = row_seeds(options.seed, len(rows))
    for start in range(0, len(order), options.batch_size):
        idx = order[start:start + options.batch_size]
        steps = options.steps or max(gaps[i] for i in idx)
        result = fill(model, [rows[i] for i in idx], dataclasses.replace(plan, steps=steps, block_length=None),
                      mask_id, pad_id=pad, padding=options.padding, seeds=seeds[idx])
        for j, i in enumerate(idx):
            completions[i] = extract(result.filled[j].cpu(), tokenizer, eos_ids)
            nfe[i] = int(result.nfe[j])
    return completions, gaps, nfe


def evaluate_infill(model: Callable, tokenizer, problems: Sequence[InfillProblem], strategies: dict[str, Plan],
                    options: InfillOptions = InfillOptions(), limits: Limits = Limits(), mask_id: int | None = None,
                    eos_ids: Sequence[int] | None = None, progress: Callable[[str], None] | None = None
                    ) -> tuple[list[InfillRow], dict[str, dict[str, float]]]:
    """Decode + execute every problem with every strategy. Returns (rows, {strategy: {"pass@1", "n", "nfe",
    "decode_s", "exec_s"}})."""
    mask_id = mask_id if mask_id is not None else getattr(model, "mask_id", tokenizer.mask_id)
    eos_ids = tuple(eos_ids if eos_ids is not None else getattr(model, "eos_ids", ()))
    rows, summary = [], {}
    for name, plan in strategies.items():
        t0 = time.perf_counter()
        with torch.no_grad():
            completions, gaps, nfe = complete(model, tokenizer, problems, plan, options, mask_id, eos_ids)
        t1 = time.perf_counter()
        results = run_programs([program(p, c) for p, c in zip(problems, completions)], limits)
        t2 = time.perf_counter()
        rows += [InfillRow(p.task_id, name, c, r.status, g, n)
                 for p, c, r, g, n in zip(problems, completions, results, gaps, nfe)]
        passed = sum(r.passed for r in results)
        summary[name] = {"pass@1": passed / max(len(problems), 1), "n": len(problems), "nfe": sum(nfe) / max(len(nfe), 1),
                         "decode_s": t1 - t0, "exec_s": t2 - t1}
        if progress:
            progress(f"{name}: pass@1 {passed}/{len(problems)} (decode {t1 - t0:.1f}s, execute {t2 - t1:.1f}s)")
    return rows, summary


def table(summaries: dict[str, dict[str, dict[str, float]]]) -> str:
    """Markdown table like Table 4: one row per strategy, one pass@1 column per category."""
    categories = list(summaries)
    strategies = list(dict.fromkeys(s for c in categories for s in summaries[c]))
    head = "| strategy | " + " | ".join(f"{c} (n={int(next(iter(summaries[c].values()))['n'])})"
                                        for c in categories) + " |"
    lines = [head, "|---|" + "---|" * len(categories)]
    for s in strategies:
        cells = [f"{100 * summaries[c][s]['pass@1']:.1f}%" if s in summaries[c] else "" for c in categories]
        lines.append(f"| {s} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_report(out: str | Path, rows: list[InfillRow], summaries: dict, meta: dict) -> Path:
    """out/table.md, out/summary.json (with ``meta``: the command, model, options), out/completions.jsonl."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "table.md").write_text(table(summaries) + "\n")
    (out / "summary.json").write_text(json.dumps({"meta": meta, "summary": summaries}, indent=1))
    with open(out / "completions.jsonl", "w") as f:
        for r in rows:
            f.write(json.dumps(dataclasses.asdict(r)) + "\n")
    return out
