"""Decode throughput on a tiny random LLaDA: anyorder's ``generate`` vs a straightforward LLaDA-style loop.

Both do the same work (and a third run adds the approximate prefix cache, ``prefix_cache=True``): per block, per step one full forward of the whole canvas, confidence = probability of the
argmax token, LLaDA's even split, top-k inside the block (the reference is written from the published formulas,
one row at a time). Prints generated tokens per second for each, and checks that they produce the same tokens.
Model cost dominates on real models; on tiny models this measures the decoding engine's overhead.

    python benchmarks/hf_decode_throughput.py [--batch 4] [--prompt 64] [--gen 64] [--block 32] [--steps 64]
        [--d-model 64] [--layers 2] [--device cpu] [--threads 1] [--skip-cache]

The load average (``os.getloadavg``) is printed before and after, since shared machines skew the numbers.
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time

import torch

from anyorder.decode import Plan
from anyorder.decode.generate import generate
from anyorder.models.hf import load_pretrained
from anyorder.models.hf_tiny import make_tiny


def reference_llada(model, prompt: torch.Tensor, steps: int, gen: int, block: int, mask_id: int) -> torch.Tensor:
    """One row, LLaDA-style: blocks left to right, even split, argmax, top-k confidence inside the block."""
    x = torch.cat([prompt, torch.full((gen,), mask_id, device=prompt.device)])[None]
    n_blocks, start = gen // block, prompt.numel()
    for b in range(n_blocks):
        lo, hi = start + b * block, start + (b + 1) * block
        n, per = int((x[0, lo:hi] == mask_id).sum()), steps // n_blocks
        for k in [n // per + (j < n % per) for j in range(per)]:
            logits = model(x).float()
            logits[..., mask_id] = float("-inf")
            conf, x0 = torch.softmax(logits, dim=-1).max(dim=-1)
            conf[0, :lo] = float("-inf")
            conf[0, hi:] = float("-inf")
            conf[x != mask_id] = float("-inf")
            sel = torch.topk(conf[0], k).indices
            x[0, sel] = x0[0, sel]
    return x[0, start:]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--prompt", type=int, default=64)
    p.add_argument("--gen", type=int, default=64)
    p.add_argument("--block", type=int, default=32)
    p.add_argument("--steps", type=int, default=64)
    p.add_argument("--d-model", type=int, default=64)
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--device", default="cpu")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--skip-cache", action="store_true", help="skip the prefix-cache run")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    load0 = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        model, tok, _ = load_pretrained(make_tiny("llada", tmp, d_model=args.d_model, n_layers=args.layers,
                                                  n_heads=4))
    model = model.to(args.device)
    prompts = torch.randint(0, 300, (args.batch, args.prompt), generator=torch.Generator().manual_seed(0))
    plan = Plan(steps=args.steps, budget="even", score="top_prob", block_length=args.block)
    with torch.no_grad():
        generate(model, prompts[:1].tolist(), args.block, Plan(steps=2, budget="even", score="top_prob"),
                 model.mask_id, pad_id=tok.pad_id)  # warm-up
        t0 = time.perf_counter()
        ours = generate(model, prompts.tolist(), args.gen, plan, model.mask_id, pad_id=tok.pad_id, device=args.device)
        t1 = time.perf_counter()
        ref = [reference_llada(model, row.to(args.device), args.steps, args.gen, args.block, model.mask_id)
               for row in prompts]
        t2 = time.perf_counter()
        cached = None if args.skip_cache else generate(model, prompts.tolist(), args.gen, plan, model.mask_id,
                                                       pad_id=tok.pad_id, device=args.device, prefix_cache=True)
        t3 = time.perf_counter()
    same = all(ours.filled[i].tolist() == ref[i].tolist() for i in range(args.batch))
    n = args.batch * args.gen
    print(f"tiny LLaDA d_model={args.d_model} layers={args.layers} vocab=126464, batch {args.batch}, prompt "
          f"{args.prompt}, gen {args.gen}, block {args.block}, steps {args.steps}, device {args.device}, "
          f"threads {args.threads}")
    print(f"anyorder generate (batched): {n / (t1 - t0):8.1f} tokens/s  ({t1 - t0:.2f} s, {ours.n_model_calls} calls)")
    print(f"reference loop (per row)   : {n / (t2 - t1):8.1f} tokens/s  ({t2 - t1:.2f} s, "
          f"{args.batch * args.steps} calls)")
    print(f"same tokens (generate vs reference): {same}")
    if cached is not None:
        agree = torch.cat([(cached.filled[i] == ours.filled[i]).float() for i in range(args.batch)]).mean()
        print(f"anyorder + prefix cache    : {n / (t3 - t2):8.1f} tokens/s  ({t3 - t2:.2f} s); agrees with exact "
              f"decoding on {100 * float(agree):.1f}% of generated tokens")
    print("load average (1, 5, 15 min) before: " + " ".join(f"{v:.1f}" for v in load0) + ", after: "
          + " ".join(f"{v:.1f}" for v in os.getloadavg()))


if __name__ == "__main__":
    main()
