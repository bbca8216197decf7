"""cProfile of anyorder's ``generate`` on a tiny random LLaDA (where a decode step's time goes).

Batch B prompts of 32 tokens, 32 generated in 2 blocks of 16, 8 steps (4 per block), ``top_prob`` + even split +
argmax; prints the 15 most expensive functions by own time.

    python benchmarks/hf_decode_profile.py [--batch 8] [--d-model 32] [--threads 1]
"""
from __future__ import annotations

import argparse
import cProfile
import pstats
import tempfile

import torch

from anyorder.decode import Plan
from anyorder.decode.generate import generate
from anyorder.models.hf import load_pretrained
from anyorder.models.hf_tiny import make_tiny


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--d-model", type=int, default=32)
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        model, tok, _ = load_pretrained(make_tiny("llada", tmp, d_model=args.d_model, n_layers=2, n_heads=4))
    prompts = torch.randint(0, 300, (args.batch, 32), generator=torch.Generator().manual_seed(0)).tolist()
    plan = Plan(steps=8, budget="even", score="top_prob", block_length=16)
    profile = cProfile.Profile()
    with torch.no_grad():
        generate(model, prompts[:1], 16, Plan(steps=2), model.mask_id, pad_id=tok.pad_id)  # warm-up
        profile.runcall(generate, model, prompts, 32, plan, model.mask_id, pad_id=tok.pad_id)
    pstats.Stats(profile).sort_stats("tottime").print_stats(15)


if __name__ == "__main__":
    main()
