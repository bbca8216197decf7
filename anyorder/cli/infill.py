"""``anyorder eval infill``: HumanEval-Infilling pass@1 per decoding strategy (paper Table 4), and
``anyorder make-tiny-hf``: a tiny random LLaDA / Dream / masked-LM directory for dry runs.

    anyorder make-tiny-hf llada /tmp/tiny-llada
    anyorder eval infill --model /tmp/tiny-llada --category single --limit 20
    anyorder eval infill --model ~/models/LLaDA-8B-Base --device cuda --dtype bfloat16 --out reports/table4

Every strategy decodes every selected problem (LLaDA's sampler: even split, argmax values; the score differs),
each completion runs in the sandbox, and a Table-4-like table (pass@1 per category) is printed and, with
``--out``, written with every completion (table.md, summary.json, completions.jsonl). KEY=VALUE items change
every strategy's Plan (e.g. ``noise=gumbel noise_scale=0.5``).
"""
from __future__ import annotations

import argparse
import sys

from anyorder.errors import ConfigError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("eval-infill", help="HumanEval-Infilling pass@1 per strategy (also: anyorder eval infill)",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True, help="Hugging Face model directory (LLaDA, Dream, masked LM) or checkpoint")
    p.add_argument("--category", default="table4",
                   help="single | multi | split | split-light | table4 (= single,multi,split); comma-separated")
    p.add_argument("--limit", type=int, default=None, help="first N problems of each category")
    p.add_argument("--strategies", default="vanilla,top_prob,top_prob_margin",
                   help="comma-separated names from: vanilla, top_prob, top_prob_margin, entropy")
    p.add_argument("--length", default="oracle", choices=["oracle", "fixed"], help="gap length policy")
    p.add_argument("--fixed-length", type=int, default=64, help="gap tokens with --length fixed")
    p.add_argument("--steps", type=int, default=None, help="decoding steps (default: the gap length)")
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--padding", default="left", choices=["left", "right"])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--timeout", type=float, default=10.0, help="seconds per completion in the sandbox")
    p.add_argument("--memory-mb", type=int, default=1024, help="address-space limit per completion")
    p.add_argument("--workers", type=int, default=None, help="parallel sandboxes (default: available cores)")
    p.add_argument("--device", default="cpu", help="cpu | cuda | cuda:1 ... (ignored with --device-map)")
    p.add_argument("--dtype", default=None, help="auto | float32 | bfloat16 | float16 (HF models)")
    p.add_argument("--device-map", default=None, help="e.g. auto: spread a large model over the GPUs (HF models)")
    p.add_argument("--out", default=None, help="write table.md, summary.json, completions.jsonl here")
    p.add_argument("plan", nargs="*", metavar="KEY=VALUE", help="Plan overrides applied to every strategy")
    p.set_defaults(func=run)

    t = sub.add_parser("make-tiny-hf", help="write a tiny random LLaDA / Dream / masked-LM directory (no download)")
    t.add_argument("family", choices=["llada", "dream", "masked_lm"])
    t.add_argument("directory")
    t.add_argument("--d-model", type=int, default=32)
    t.add_argument("--layers", type=int, default=2)
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--bpe-size", type=int, default=2000, help="byte-level BPE vocabulary trained on HumanEval code")
    t.set_defaults(func=run_tiny)


def run_tiny(args: argparse.Namespace) -> int:
    from anyorder.models.hf_tiny import make_tiny
    from anyorder.tasks.humaneval_infill import load_problems

    corpus = [p.prompt + p.canonical_solution + p.suffix for p in load_problems("split-light")]
    path = make_tiny(args.family, args.directory, d_model=args.d_model, n_layers=args.layers, corpus=corpus,
                     seed=args.seed, bpe_size=args.bpe_size)
    print(f"wrote a tiny random {args.family} checkpoint to {path}")
    return 0


def run(args: argparse.Namespace) -> int:
    import torch

    from anyorder.decode.plan import Plan
    from anyorder.evaluation.infill import STRATEGIES, InfillOptions, evaluate_infill, table, write_report
    from anyorder.evaluation.sandbox import Limits
    from anyorder.options import parse_overrides, replace_checked
    from anyorder.tasks.humaneval_infill import TABLE4, load_problems
    from anyorder.train.checkpoint import load

    categories = [c for item in args.category.split(",") for c in (TABLE4 if item == "table4" else [item])]
    names = [s.strip() for s in args.strategies.split(",") if s.strip()]
    unknown = [s for s in names if s not in STRATEGIES]
    if unknown:
        raise ConfigError(f"unknown strategies {unknown}; valid: {sorted(STRATEGIES)}")
    overrides = parse_overrides(Plan, args.plan)
    strategies = {s: replace_checked(STRATEGIES[s], overrides, "plan") for s in names}
    options = InfillOptions(length=args.length, fixed_length=args.fixed_length, steps=args.steps,
                            batch_size=args.batch_size, padding=args.padding, seed=args.seed)
    limits = Limits(timeout=args.timeout, memory_mb=args.memory_mb, workers=args.workers)
    problems = {c: load_problems(c, args.limit) for c in categories}  # check categories before loading a model
    hf = {k: v for k, v in (("dtype", args.dtype), ("device_map", args.device_map)) if v is not None}
    loaded = load(args.model, device=args.device, **hf)
    model = loaded.model
    summaries, rows = {}, []
    for category in categories:
        print(f"[{category}] {len(problems[category])} problems", file=sys.stderr)
        with torch.no_grad():
            got, summary = evaluate_infill(model, loaded.tokenizer, problems[category], strategies, options, limits,
                                           progress=lambda m: print(f"  {m}", file=sys.stderr))
        summaries[category], rows = summary, rows + got
    print(table(summaries))
    if args.out:
        meta = {"args": {k: v for k, v in vars(args).items() if k != "func"}, "model": str(args.model), "model_config": loaded.config.get("model"),
                "options": vars(options), "strategies": {s: str(p) for s, p in strategies.items()},
                "limits": vars(limits)}
        out = write_report(args.out, rows, summaries, meta)
        print(f"wrote {out}/table.md, summary.json, completions.jsonl", file=sys.stderr)
    return 0
