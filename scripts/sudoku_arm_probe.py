#!/usr/bin/env python
"""Teacher-forced diagnosis of a Sudoku ARM (arm81 or arm162 checkpoint) on the shipped test split in solver
order: how often it names the solver's next cell, and how often it gives that cell's value when the true cell is
known (arm81: the argmax value within the true cell's 9 ids; arm162: the argmax at the value slot, where the cell
is an input). Chance for the value is 1/9 (docs/training.md).

    python scripts/sudoku_arm_probe.py CHECKPOINT [--n 200]
"""
import argparse

import torch

from anyorder.experiments.sudoku.arm import arm_format
from anyorder.tasks.sudoku import encode
from anyorder.tasks.sudoku.dataset import shipped
from anyorder.tasks.sudoku.task import ARM_ENCODERS
from anyorder.train.checkpoint import load


def probe(model, n: int) -> dict[str, float]:
    data = shipped("test").subset(slice(0, n))
    cells = encode.cell_sequence(data.puzzles, data.order, "solver")
    fmt = arm_format(model)
    if fmt not in encode.ARM_INPUTS:
        raise SystemExit(f"{fmt} checkpoints are not probed (arm81 / arm162 only)")
    tokens, loss_mask = ARM_ENCODERS[fmt](data.puzzles, data.solutions, cells)
    with torch.no_grad():
        logits = model(torch.from_numpy(tokens)).float()[:, :-1]
    target, mask = torch.from_numpy(tokens[:, 1:]), torch.from_numpy(loss_mask[:, 1:])
    if fmt == "arm162":
        hit = logits.argmax(-1) == target
        is_cell = (torch.arange(target.shape[1]) % 2 == 0).expand_as(hit)  # target index j + 1 odd: a cell slot
        return {"next_cell": hit[mask & is_cell].float().mean().item(),
                "value_given_cell": hit[mask & ~is_cell].float().mean().item()}
    pair = logits[..., :729].view(*logits.shape[:2], 81, 9)
    cell, value = target // 9, target % 9
    next_cell = pair.logsumexp(-1).argmax(-1) == cell
    in_cell = pair.gather(2, cell.clamp(max=80)[..., None, None].expand(-1, -1, 1, 9)).squeeze(2)
    return {"next_cell": next_cell[mask].float().mean().item(),
            "value_given_cell": (in_cell.argmax(-1) == value)[mask].float().mean().item()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("checkpoint")
    ap.add_argument("--n", type=int, default=200, help="test puzzles (default: %(default)s)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    out = probe(load(args.checkpoint).model.eval(), args.n)
    print(f"{args.checkpoint}: next-cell accuracy {out['next_cell']:.3f}, value accuracy given the true cell "
          f"{out['value_given_cell']:.3f} ({args.n} test puzzles, solver order, teacher forced)")


if __name__ == "__main__":
    main()
