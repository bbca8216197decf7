"""Does a Sudoku MDM reproduce its visible tokens (the precondition of the literal remasking decoder)?

    python scripts/remask_copy_probe.py CHECKPOINT [CHECKPOINT ...] [--n 200] [--split test] [--rates 0.25 0.5 0.75]

For each checkpoint (its layout, board81 or prompt164, is read from the checkpoint's task options): the shipped
split's first N solved puzzles, each maskable position masked with probability r, one forward pass; prints the share
of visible positions predicted as the token they hold ("copy") and of masked positions predicted right
(anyorder.experiments.sudoku.copy_probe; issue 11, item 6).
"""
from __future__ import annotations

import argparse

from anyorder.experiments.sudoku.copy_probe import copy_rates
from anyorder.tasks.sudoku.dataset import shipped
from anyorder.train.checkpoint import load


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("paths", nargs="+", help="Sudoku MDM checkpoints or run directories")
    p.add_argument("--n", type=int, default=200, help="puzzles (default: %(default)s)")
    p.add_argument("--split", default="test", choices=("test", "hard"))
    p.add_argument("--rates", type=float, nargs="+", default=[0.25, 0.5, 0.75], help="mask rates")
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    data = shipped(a.split, a.n)
    for path in a.paths:
        ckpt = load(path, device="cpu")
        layout = ckpt.task.get("options", {}).get("layout", "board81")
        tied = ckpt.config["model"].get("tie_embeddings")
        print(f"{path}: step {ckpt.step}, layout {layout}, tied embeddings {tied}, {a.n} {a.split} puzzles")
        for r in copy_rates(ckpt.model, data.puzzles, data.solutions, layout, ckpt.tokenizer.mask_id,
                            tuple(a.rates), seed=a.seed):
            print(f"  mask rate {r['mask_rate']:.2f}: copy {r['copy']:.3f} of {r['visible']} visible, "
                  f"masked right {r['masked_acc']:.3f} of {r['masked']}")


if __name__ == "__main__":
    main()
