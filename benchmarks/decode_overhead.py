"""Per-step overhead of the decoding engine beyond the model call (issue acceptance number).

A "model" that returns precomputed logits (B=512, L=81, V=10: a 9x9 Sudoku-sized batch) costs ~0; its own
per-call time is measured separately and subtracted. Prints microseconds per step for every score x budget,
the value rules and the remask mode.

    python benchmarks/decode_overhead.py [--batch 512] [--length 81] [--vocab 10] [--steps 50] [--threads N]
"""
from __future__ import annotations

import argparse
import time

import torch

from anyorder.decode import BUDGETS, SCORES, Plan, decode


class PrecomputedModel:
    def __init__(self, logits: torch.Tensor):
        self.logits = logits

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return self.logits


def per_step_us(model, tokens, plan: Plan, mask_id: int, repeats: int) -> float:
    """Median over repeats of (wall time / model calls) in microseconds."""
    times = []
    for r in range(repeats + 1):
        t0 = time.perf_counter()
        res = decode(model, tokens, None, plan, mask_id, seeds=r)
        dt = time.perf_counter() - t0
        if r:  # first run is warm-up
            times.append(dt / max(res.n_model_calls, 1))
    return sorted(times)[len(times) // 2] * 1e6


def model_us(model, tokens, repeats: int = 200) -> float:
    t0 = time.perf_counter()
    for _ in range(repeats):
        model(tokens)
    return (time.perf_counter() - t0) / repeats * 1e6


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=512)
    ap.add_argument("--length", type=int, default=81)
    ap.add_argument("--vocab", type=int, default=10)
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--device", default="cpu")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    g = torch.Generator().manual_seed(0)
    logits = (torch.randn(args.batch, args.length, args.vocab + 1, generator=g) * 3).to(args.device)
    mask_id = args.vocab
    model = PrecomputedModel(logits)
    tokens = torch.full((args.batch, args.length), mask_id, device=args.device)
    base = model_us(model, tokens)
    print(f"batch {args.batch}, length {args.length}, vocab {args.vocab} (+[MASK]), {args.steps} steps, "
          f"device {args.device}, torch threads {torch.get_num_threads()}; model call {base:.1f} us subtracted")
    print(f"{'plan':<44} {'us/step':>9}")
    extra = {"fixed": {"k": 2}, "threshold": {"threshold": 0.9}, "factor": {"factor": 1.0}}
    for budget in BUDGETS:
        for score in SCORES:
            plan = Plan(steps=args.steps, budget=budget, score=score, **extra.get(budget, {}))
            print(f"{'budget=' + budget + ' score=' + score:<44} {per_step_us(model, tokens, plan, mask_id, args.repeats) - base:>9.0f}")
    for name, plan in {
        "top_prob_margin + gumbel 0.5 annealed": Plan(steps=args.steps, noise="gumbel", noise_scale=0.5,
                                                       noise_anneal=True),
        "top_prob_margin + value=sample top_p=0.9": Plan(steps=args.steps, value="sample", top_p=0.9),
        "top_prob + block_length=27 (semi-AR)": Plan(steps=args.steps - args.steps % 3, score="top_prob",
                                                     block_length=27),
        "mode=remask + gumbel 0.5 annealed": Plan(steps=args.steps, mode="remask", noise="gumbel",
                                                  noise_scale=0.5, noise_anneal=True),
    }.items():
        print(f"{name:<44} {per_step_us(model, tokens, plan, mask_id, args.repeats) - base:>9.0f}")


if __name__ == "__main__":
    main()
