"""Figure 2 left at CPU scale: IsoFLOP scaling of the ARM, pi-learners and the MDM on text (paper Sec. 4.1).

For each family -- ``identity`` (the ARM), ``much_closer`` (sqrt(L) swaps), ``closer`` (L/10 swaps), ``uniform``
(``n_perms`` permutations each, learned absolute positions), ``mdm`` (learned positions, as the paper re-ran
it) and ``mdm_rope`` (ours: the same MDM with RoPE, because at CPU budgets the learned-position MDM sits at the
unigram loss, docs/LOG.md 2026-11-30; RoPE's left-to-right bias concerns causal models) -- each model size N
and each FLOPs
budget C, one run trains for C / (training FLOPs per token x batch x L) steps (objectives/flops.py: 6 N + 6 n_layers L d,
embeddings excluded as Kaplan et al.) with a cosine schedule over exactly those steps, then reports its validation
NLL per token (pi-learners and ARM: exact; MDM: the ELBO bound, the same quantity the paper plots). A budget's point is the
minimum over sizes; pi-learner families are averaged over their permutations (min and max kept).
Outputs: ``runs.csv`` (every run), ``scaling.csv`` / ``scaling.md`` (per family and budget), ``scaling.png``.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import time
from pathlib import Path

from anyorder.configs import text_model, text_train_config
from anyorder.errors import ConfigError
from anyorder.experiments.report import command_note, figure, reproduce_command, smoke_title, write_report
from anyorder.objectives.flops import training_flops_per_token
from anyorder.train.trainer import fit

FAMILIES = ("identity", "much_closer", "closer", "uniform", "mdm", "mdm_rope")
MDM_FAMILIES = {"mdm": "learned", "mdm_rope": "rope"}  # family -> positions
SMOKE = dict(seq_len=32, sizes="1x32,2x32", budgets="2e9,6e9", batch_size=16, n_eval=32, perms=3)
# The CPU grid: 12 runs (ARM, 3 x 3 pi-learners, MDM, MDM with RoPE) x 3 sizes x 3 budgets; measured 2026-11-30
# on one shared core: 68 minutes in all (reports/text-scaling/README.md).
FULL = dict(seq_len=64, sizes="1x64,2x64,2x96", budgets="5e10,1.5e11,5e11", batch_size=16, n_eval=64, perms=3)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", default="", help="shard directory (default: the text task's default)")
    p.add_argument("--smoke", action="store_true", help=f"tiny grid for a quick end-to-end check: {SMOKE}")
    p.add_argument("--seq-len", type=int, default=None, help=f"window L (default {FULL['seq_len']})")
    p.add_argument("--sizes", default=None, help=f"LAYERSxWIDTH list (default {FULL['sizes']})")
    p.add_argument("--budgets", default=None, help=f"training FLOPs budgets (default {FULL['budgets']})")
    p.add_argument("--batch-size", type=int, default=None)
    p.add_argument("--n-eval", type=int, default=None, help="validation windows per run")
    p.add_argument("--perms", type=int, default=None, help="permutations per pi-learner family (paper: 3)")
    p.add_argument("--families", default=",".join(FAMILIES), help="subset of " + ",".join(FAMILIES))
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--runs-dir", default=None, help="where the training runs go (default OUT/runs)")
    p.add_argument("--seed", type=int, default=0)


def _settings(args) -> dict:
    base = SMOKE if args.smoke else FULL
    out = {k: getattr(args, k) if getattr(args, k, None) is not None else v for k, v in base.items()}
    out["sizes"] = [tuple(int(v) for v in s.lower().split("x")) for s in str(out["sizes"]).split(",")]
    out["budgets"] = [float(b) for b in str(out["budgets"]).split(",")]
    fams = [f.strip() for f in args.families.split(",")]
    bad = [f for f in fams if f not in FAMILIES]
    if bad:
        raise ConfigError(f"unknown families {bad}; valid: {list(FAMILIES)}")
    out["families"] = fams
    return out


def run_config(family: str, perm_seed: int, size: tuple[int, int], budget: float, s: dict, args):
    """The TrainConfig of one grid point and its FLOPs per step."""
    n_layers, width = size
    arm = family not in MDM_FAMILIES
    options = {"data": args.data, "seq_len": s["seq_len"], "n_eval": s["n_eval"]}
    if arm:
        options.update(family=family, perm_seed=perm_seed)
    model = text_model(n_layers, width, max(1, width // 16), causal=arm,
                       positions=MDM_FAMILIES.get(family, "learned"))
    flops_per_token = training_flops_per_token(dataclasses.replace(model, max_len=s["seq_len"]), s["seq_len"])
    steps = max(1, round(budget / (flops_per_token * s["batch_size"] * s["seq_len"])))
    name = f"{family}{perm_seed if arm and family != 'identity' else ''}-{n_layers}x{width}-{budget:.2g}"
    cfg = text_train_config(name, model, arm, options, batch_size=s["batch_size"], max_steps=steps, lr=args.lr,
                            warmup_steps=max(1, steps // 10), log_every=max(1, steps // 5), eval_every=0,
                            ckpt_every=0, keep_checkpoints=1, seed=args.seed)
    return cfg, flops_per_token * s["batch_size"] * s["seq_len"]


def final_val_nll(run_dir: Path) -> float:
    lines = [json.loads(x) for x in (run_dir / "metrics.jsonl").read_text().splitlines() if x.strip()]
    vals = [r["eval/val_nll"] for r in lines if "eval/val_nll" in r]
    if not vals:
        raise ConfigError(f"{run_dir}: no eval/val_nll in metrics.jsonl")
    return float(vals[-1])


def run(args: argparse.Namespace) -> int:
    s = _settings(args)
    out = Path(args.out)
    runs_dir = Path(args.runs_dir) if args.runs_dir else out / "runs"
    rows, start = [], time.time()
    for family in s["families"]:
        seeds = [0] if family == "identity" or family in MDM_FAMILIES else list(range(s["perms"]))
        for perm_seed in seeds:
            for size in s["sizes"]:
                for budget in s["budgets"]:
                    cfg, step_flops = run_config(family, perm_seed, size, budget, s, args)
                    cfg = dataclasses.replace(cfg, out_dir=str(runs_dir))
                    done = cfg.run_dir / "metrics.jsonl"
                    if not (done.exists() and any("eval/val_nll" in x for x in done.read_text().splitlines())):
                        if (cfg.run_dir / "checkpoints").exists():
                            shutil.rmtree(cfg.run_dir)  # an interrupted grid point: train it again
                        fit(cfg, progress=False)
                    rows.append({"family": family, "perm_seed": perm_seed, "size": f"{size[0]}x{size[1]}",
                                 "budget": budget, "steps": cfg.max_steps, "flops": step_flops * cfg.max_steps,
                                 "val_nll": final_val_nll(cfg.run_dir)})
                    print(f"{family} perm {perm_seed} {size} budget {budget:.2g}: {rows[-1]['val_nll']:.4f}", flush=True)
    seconds = time.time() - start
    write_report(rows, out, "runs", "All runs of the IsoFLOP grid")
    summary = summarize(rows)
    command = reproduce_command("text-scaling", [("--out", args.out), ("--data", args.data or None),
                                                 ("--runs-dir", args.runs_dir or None), ("--smoke", args.smoke)])
    notes = [command_note(command, [f"settings {json.dumps(s, default=str)}"], seconds),
             "val_nll: nats per token on the first validation windows; ARM / pi-learners exact, MDM an upper bound "
             "(ELBO). best = min over sizes; pi-learner families: mean over permutations (min / max beside).",
             "Paper (Fig. 2 left, SlimPajama, 6M-1B models, L = 2048): ARM best, uniform worst, closer and "
             "much-closer in between, MDM near the pi-learners. Ours: tiny models on the Austen + KJV corpus; "
             "every family uses learned absolute positions as the paper's, except mdm_rope (ours: the MDM with "
             "RoPE, since the learned-position MDM barely leaves the unigram loss at these budgets)."]
    title = smoke_title("pi-learner IsoFLOP scaling on text", args.smoke, "tiny grid, not a result")
    print(write_report(summary, out, "scaling", title, notes, plot=plot))
    return 0


def summarize(rows: list[dict]) -> list[dict]:
    """One row per (family, budget): mean over permutations of the min over sizes (and min / max over perms)."""
    out = []
    for family in dict.fromkeys(r["family"] for r in rows):
        for budget in sorted({r["budget"] for r in rows if r["family"] == family}):
            per_perm = {}
            for r in rows:
                if r["family"] == family and r["budget"] == budget:
                    per_perm[r["perm_seed"]] = min(per_perm.get(r["perm_seed"], float("inf")), r["val_nll"])
            vals = list(per_perm.values())
            out.append({"family": family, "budget": budget, "best_val_nll": sum(vals) / len(vals),
                        "min_over_perms": min(vals), "max_over_perms": max(vals), "n_perms": len(vals)})
    return out


def plot(summary: list[dict], path: Path, title: str) -> None:
    with figure(path, figsize=(5.5, 4)) as (_, ax):
        for family in dict.fromkeys(r["family"] for r in summary):
            pts = [r for r in summary if r["family"] == family]
            x = [r["budget"] for r in pts]
            (line,) = ax.plot(x, [r["best_val_nll"] for r in pts], marker="o",
                              label="ARM" if family == "identity" else family)
            if any(r["n_perms"] > 1 for r in pts):  # the band of the family's permutations, in its colour
                ax.fill_between(x, [r["min_over_perms"] for r in pts], [r["max_over_perms"] for r in pts],
                                color=line.get_color(), alpha=0.2)
        ax.set_xscale("log")
        ax.set_xlabel("training FLOPs (non-embedding)")
        ax.set_ylabel("validation NLL (nats / token)")
        ax.set_title(title, fontsize=9)
        ax.legend(fontsize=8)
