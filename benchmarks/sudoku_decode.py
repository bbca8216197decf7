"""Sudoku decoding throughput: puzzles/s and mean NFE per strategy on the shipped test split.

    python benchmarks/sudoku_decode.py --checkpoint anyorder/assets/checkpoints/sudoku-mdm --n 200 --device cpu
"""
from __future__ import annotations

import argparse

from _output import write_json

from anyorder.experiments.sudoku import evaluate as ev
from anyorder.experiments.sudoku import strategies as st
from anyorder.tasks.sudoku.dataset import shipped
from anyorder.tasks.sudoku.metrics import per_puzzle


def strategies(steps: int) -> list[st.Strategy]:
    rows = [st.make(s, "gumbel0.5-annealed", "unmask", steps) for s in st.ALL_SCORES]
    rows.append(st.make("top_prob", "gumbel0.5-annealed", "remask", steps))
    rows += [st.make("top_prob_margin", "none", "unmask", 81, budget="threshold", threshold=0.9),
             st.one_per_step("top_prob_margin")]
    return rows


def main(argv: list[str] | None = None) -> list[dict]:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--checkpoint", default=None)
    p.add_argument("--n", type=int, default=200)
    p.add_argument("--steps", type=int, default=50)
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--device", default="cpu")
    p.add_argument("--json", default=None)
    args = p.parse_args(argv)
    sm = ev.load_sudoku_model(args.checkpoint, args.device)
    data = shipped("test", args.n)
    ev.decode_puzzles(sm, data.puzzles[:8], strategies(2)[0].plan, 8, args.device)  # warm-up
    results = []
    for s in strategies(args.steps):
        dec = ev.decode_puzzles(sm, data.puzzles, s.plan, args.batch_size, args.device)
        exact = per_puzzle(dec.grids, data.puzzles, data.solutions)["exact"].mean()
        r = {"strategy": s.name, "puzzles_per_s": len(data) / dec.seconds, "mean_nfe": float(dec.nfe.mean()),
             "exact_pct": 100 * float(exact), "seconds": dec.seconds, "n": len(data), "device": args.device}
        results.append(r)
        print(f"{s.name:60s} {r['puzzles_per_s']:8.1f} puzzles/s  NFE {r['mean_nfe']:5.1f}  exact {r['exact_pct']:5.1f}%")
    write_json(args.json, results)
    return results


if __name__ == "__main__":
    main()
