"""Sudoku decoding in fp32 vs bf16 autocast (``--precision``): speed, accuracy, and how many answers change.

Decodes the first ``--n`` puzzles of each shipped split with top_prob_margin (50 steps, argmax, no noise; the
shipped MDM unless ``--checkpoint``) once per precision, and reports puzzles/s, exact accuracy, the share of
puzzles whose decoded grid differs, and the exact McNemar p-value of the paired exact/not-exact outcomes
(``anyorder.evaluation.paired``).

    python benchmarks/decode_precision.py --n 1000 --threads 1 --json out.json
"""
from __future__ import annotations

import argparse

import numpy as np
import torch
from _output import write_json

from anyorder.evaluation.paired import paired_outcome
from anyorder.experiments.sudoku import evaluate as ev
from anyorder.experiments.sudoku import strategies as st
from anyorder.models.precision import inference_precision
from anyorder.tasks.sudoku.dataset import shipped
from anyorder.tasks.sudoku.metrics import per_puzzle


def decode(sm, data, plan, precision: str, args) -> tuple[np.ndarray, np.ndarray, float]:
    """-> (grids (N, 81), exact (N,) bool, seconds) of one precision."""
    with inference_precision(precision, args.device):
        dec = ev.decode_puzzles(sm, data.puzzles, plan, args.batch_size, args.device)
    return dec.grids, per_puzzle(dec.grids, data.puzzles, data.solutions)["exact"], dec.seconds


def compare(sm, split: str, plan, args) -> dict:
    """One split: fp32 vs the other precision, paired puzzle by puzzle."""
    data = shipped(split, args.n)
    g32, e32, s32 = decode(sm, data, plan, "fp32", args)
    g16, e16, s16 = decode(sm, data, plan, args.precision, args)
    paired = paired_outcome(e32, e16)
    return {"split": split, "n": len(data), "precision": args.precision,
            "fp32_puzzles_per_s": len(data) / s32, "other_puzzles_per_s": len(data) / s16, "speedup": s32 / s16,
            "fp32_exact_pct": 100 * float(e32.mean()), "other_exact_pct": 100 * float(e16.mean()),
            "grids_differ_pct": 100 * float((g32 != g16).any(axis=1).mean()), "mcnemar_p": paired.p_value}


def main(argv: list[str] | None = None) -> list[dict]:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--checkpoint", default=None)
    p.add_argument("--n", type=int, default=200, help="puzzles per split")
    p.add_argument("--splits", nargs="+", default=["test", "hard"])
    p.add_argument("--precision", default="bf16", help="the precision compared with fp32 (bf16 | fp16 on CUDA)")
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--device", default="cpu")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    p.add_argument("--json", default=None)
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    sm = ev.load_sudoku_model(args.checkpoint, args.device)
    plan = st.make("top_prob_margin", "none", "unmask", 50).plan
    rows = [compare(sm, split, plan, args) for split in args.splits]
    for r in rows:
        print(f"{r['split']}: n {r['n']}  fp32 {r['fp32_puzzles_per_s']:.2f} puzzles/s, {r['fp32_exact_pct']:.1f}% | "
              f"{r['precision']} {r['other_puzzles_per_s']:.2f} puzzles/s ({r['speedup']:.2f}x), "
              f"{r['other_exact_pct']:.1f}% | grids differ {r['grids_differ_pct']:.1f}%, "
              f"McNemar p {r['mcnemar_p']:.3g}")
    write_json(args.json, rows)
    return rows


if __name__ == "__main__":
    main()
