"""Figure 3 at CPU scale: generative perplexity and sample entropy vs sampling steps (paper Sec. 4.5, App. D.1.2).

Unconditional samples of length L (all positions [MASK]) from the text MDM, for each number of steps T:
- vanilla: the paper's Algorithm 1 (``budget="binomial"``, random positions, values sampled);
- adaptive: top-prob-margin positions plus Gaussian score noise (``score="top_prob_margin", noise="gaussian"``),
  values sampled, K per step from the linear schedule.
GenPPL = exp(mean token NLL of the samples) under a separately trained, larger ARM on the same corpus (our
stand-in for LLaMA-2-7B; its tokenizer must be the MDM's), and the per-sample unigram entropy
-sum_v p_v log p_v with p_v = #{i: x^i = v} / L, averaged over samples (paper: adaptive lowers GenPPL at about
equal entropy, i.e. not by repeating tokens). A row "validation text" (steps 0) scores real windows of the MDM's
validation split the same way, when its shard directory is here. Outputs ``genppl.md`` / ``.csv`` / ``.png`` and
``samples.txt``.
"""
from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import torch

from anyorder.decode import Plan, decode
from anyorder.decode.rng import row_seeds
from anyorder.errors import InputError
from anyorder.evaluation.likelihood import ar_nll
from anyorder.experiments.report import command_note, figure, reproduce_command, smoke_title, write_report
from anyorder.experiments.text.order_nll import SHIPPED_MDM, open_shards, same_tokenizer, shards_of
from anyorder.train.checkpoint import load
from anyorder.train.config import is_mdm_checkpoint


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--mdm", default=str(SHIPPED_MDM), help="text MDM checkpoint / run directory (default: the "
                   "shipped text MDM)")
    p.add_argument("--judge", required=True, help="ARM checkpoint (task text-pi, family identity) that scores the "
                   "samples; train one with `anyorder train text-arm-judge-cpu` (docs/text.md)")
    p.add_argument("--steps", default="8,16,32,64,128", help="sampling step counts T (each <= L)")
    p.add_argument("--n-samples", type=int, default=64)
    p.add_argument("--noise-scale", type=float, default=0.5, help="sigma of the Gaussian score noise (adaptive)")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--smoke", action="store_true", help="8 samples, steps 4,8: a quick end-to-end check")


def plans(steps: int, noise_scale: float) -> dict[str, Plan]:
    return {"vanilla": Plan(steps=steps, budget="binomial", score="vanilla", value="sample"),
            "adaptive": Plan(steps=steps, score="top_prob_margin", noise="gaussian", noise_scale=noise_scale,
                             value="sample")}


def unigram_entropy(tokens: torch.Tensor) -> torch.Tensor:
    """(B, L) -> (B,) float64: -sum_v p_v log p_v of each row's token histogram (nats)."""
    counts = torch.zeros(tokens.shape[0], int(tokens.max()) + 1, dtype=torch.float64)
    counts.scatter_add_(1, tokens, torch.ones_like(tokens, dtype=torch.float64))
    p = counts / tokens.shape[1]
    return -(torch.where(p > 0, p * p.clamp_min(1e-300).log(), 0.0)).sum(1)


def judge_nll(judge, samples: torch.Tensor, bos_id: int, batch_size: int) -> torch.Tensor:
    """(B,) NLL per token of the samples under the causal judge, [BOS] prepended."""
    bos = torch.full((samples.shape[0], 1), bos_id, dtype=torch.long)
    tokens = torch.cat([bos, samples], dim=1)
    loss_mask = torch.ones_like(tokens, dtype=torch.bool)
    loss_mask[:, 0] = False
    res = ar_nll(judge, tokens, loss_mask, batch_size=batch_size)
    return res.nll / res.n_tokens


def _row(steps: int, method: str, nll: torch.Tensor, ent: torch.Tensor) -> dict:
    """One table row from per-sample judge NLLs (B,) and unigram entropies (B,); steps 0 = real text."""
    stderr = float(nll.std() / len(nll) ** 0.5) if len(nll) > 1 else float("nan")
    return {"steps": steps, "method": method, "genppl": math.exp(float(nll.mean())), "judge_nll": float(nll.mean()),
            "judge_nll_stderr": stderr, "entropy": float(ent.mean()), "entropy_std": float(ent.std()),
            "n_samples": len(nll)}


def _validation(mdm, length: int, n: int) -> torch.Tensor | None:
    """(<= n, L) validation windows of the MDM's shards, or None when its data directory is not here."""
    from anyorder.tasks.text.task import validation_windows

    if not Path(shards_of(mdm.config)).is_dir():
        return None
    return validation_windows(open_shards(mdm), length, n, whole_rows=True)


def _check(mdm, judge, length: int) -> None:
    if not is_mdm_checkpoint(mdm.config) or is_mdm_checkpoint(judge.config):
        raise InputError("--mdm must be an MDM checkpoint and --judge an ARM checkpoint")
    meta = judge.config["task"]["metadata"]
    if meta.get("family", "identity") != "identity":
        raise InputError(f"the judge must be an ARM (family identity), got family {meta.get('family')!r}")
    if int(judge.config["model"]["max_len"]) < length + 1:
        raise InputError(f"the judge's max_len {judge.config['model']['max_len']} < sample length {length} + BOS")
    if not same_tokenizer(mdm.tokenizer, judge.tokenizer):
        raise InputError("the MDM and the judge must share a tokenizer (train both on the same shards)")


def run(args: argparse.Namespace) -> int:
    mdm, judge = load(args.mdm), load(args.judge)
    length = int(mdm.config["model"]["max_len"])
    _check(mdm, judge, length)
    steps = [4, 8] if args.smoke else [int(s) for s in args.steps.split(",")]
    n = 8 if args.smoke else args.n_samples
    mask_id, bos_id = mdm.tokenizer.mask_id, int(judge.config["task"]["metadata"].get("bos_id", mdm.tokenizer.mask_id))
    rows, examples, start = [], [], time.time()
    for t in steps:
        for name, plan in plans(t, args.noise_scale).items():
            samples = []
            for lo in range(0, n, args.batch_size):
                b = min(args.batch_size, n - lo)
                tokens = torch.full((b, length), mask_id, dtype=torch.long)
                with torch.no_grad():
                    res = decode(mdm.model, tokens, torch.zeros_like(tokens, dtype=torch.bool), plan, mask_id,
                                 seeds=row_seeds(args.seed, n)[lo:lo + b])
                samples.append(res.tokens)
            samples = torch.cat(samples)
            nll = judge_nll(judge.model, samples, bos_id, args.batch_size)
            rows.append(_row(t, name, nll, unigram_entropy(samples)))
            examples.append(f"## steps {t}, {name}\n{mdm.tokenizer.decode(samples[0])}\n")
            print(rows[-1], flush=True)
    real = _validation(mdm, length, n)
    if real is not None:  # the judge on real text of the same length: the level a perfect sampler would reach
        rows.append(_row(0, "validation text", judge_nll(judge.model, real, bos_id, args.batch_size),
                         unigram_entropy(real)))
        print(rows[-1], flush=True)
    seconds = time.time() - start
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "samples.txt").write_text("\n".join(examples))
    title = smoke_title("Generative perplexity vs steps, text MDM", args.smoke, "8 samples, undertrained")
    for role, ck in (("MDM", mdm), ("judge", judge)):
        step, max_steps = ck.config.get("step"), (ck.config.get("train") or {}).get("max_steps")
        if not args.smoke and step is not None and max_steps and step < max_steps:
            title += f" (INTERMEDIATE {role}: step {step} of {max_steps})"
    command = reproduce_command("text-genppl", [
        ("--mdm", args.mdm), ("--judge", args.judge), ("--out", args.out), ("--smoke", args.smoke),
        ("--steps", None if args.smoke else args.steps), ("--n-samples", None if args.smoke else n),
        ("--noise-scale", args.noise_scale)])
    facts = [f"MDM step {mdm.config.get('step')}", f"judge step {judge.config.get('step')}", f"L = {length}"]
    notes = [command_note(command, facts, seconds),
             "GenPPL under our CPU judge ARM (the paper used LLaMA-2-7B on samples of a 170M / 1.1B MDM); entropy = "
             "per-sample unigram entropy in nats. Paper (Fig. 3, no numbers): adaptive < vanilla GenPPL at every "
             "step count with about equal entropy."]
    print(write_report(rows, out, "genppl", title, notes, plot=_plot))
    return 0


def _plot(rows, path: Path, title: str) -> None:
    with figure(path, nrows=1, ncols=2, figsize=(8, 3.5)) as (fig, (a, b)):
        for method in dict.fromkeys(r["method"] for r in rows if r["steps"] > 0):
            pts = [r for r in rows if r["method"] == method]
            a.plot([r["steps"] for r in pts], [r["genppl"] for r in pts], marker="o", label=method)
            b.plot([r["steps"] for r in pts], [r["entropy"] for r in pts], marker="o", label=method)
        for r in rows:
            if r["steps"] == 0:  # real text: a horizontal reference line
                a.axhline(r["genppl"], color="gray", linestyle=":", label=r["method"])
                b.axhline(r["entropy"], color="gray", linestyle=":", label=r["method"])
        for ax, label in ((a, "GenPPL (judge ARM)"), (b, "unigram entropy (nats)")):
            ax.set_xscale("log", base=2)
            ax.set_xlabel("sampling steps")
            ax.set_ylabel(label)
            ax.legend(fontsize=8)
        fig.suptitle(title, fontsize=9)
