#!/usr/bin/env python
"""Can a Zebra MDM architecture learn to copy direct clues? A pure copy task: every in-size answer slot's direct
clue "=" (cA=V, n0=H) fills the clue slots (3-4 x 3-4 puzzles: <= 16 cells, 20 slots), so the whole table can be
read off the clues. Trains a fresh 4 x 128 model with the library's MDM loss (house layout, lr 2e-3, warmup 100,
batch 32) and prints the masked CE every 50 steps (docs/LOG.md 2026-11-30, seventh session).

    python scripts/zebra_copy_probe.py TRAIN.jsonl --init fanin --pooling --steps 400
"""
import argparse
import json
import time

import numpy as np
import torch

from anyorder.models.transformer import ModelConfig, Transformer
from anyorder.objectives.mdm import mdm_loss
from anyorder.tasks.registry import build_task
from anyorder.tasks.zebra import encode as E
from anyorder.tasks.zebra.task import draw, relabel
from anyorder.train.config import MDMConfig

K = 20


def copy_batch(data, step: int, batch_size: int = 32) -> dict[str, torch.Tensor]:
    """Batch ``step`` of the training puzzles with their clues replaced by every cell's direct clue (shuffled)."""
    arrays, rng = draw(data, 0, step, 0, batch_size)
    arrays = relabel(arrays, rng)
    n, m = arrays["size"][:, 0], arrays["size"][:, 1]
    house = E.invert_rows(arrays["answer"])
    clues = np.full((batch_size, K, 4), -1, np.int64)
    for i in range(batch_size):  # a probe, not a hot path
        cells = [(a, v) for a in range(m[i]) for v in range(n[i])]
        rng.shuffle(cells)
        for k, (a, v) in enumerate(cells):
            clues[i, k] = (E.CLUE_TYPES.index("="), E.S + E.S * a + v, house[i, a, v], -1)
    x0, fixed = E.encode_mdm(dict(arrays, clues=clues), "house")
    return {"x0": torch.from_numpy(x0), "is_fixed": torch.from_numpy(fixed)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("train", help="Zebra puzzles (JSON lines) of sizes 3-4 x 3-4")
    ap.add_argument("--init", default="fanin", choices=("gpt2", "fanin"))
    ap.add_argument("--pooling", action="store_true", help="clue pooling (task option clue_pooling)")
    ap.add_argument("--steps", type=int, default=400)
    args = ap.parse_args()
    torch.manual_seed(0)
    bundle = build_task("zebra", {"train_path": args.train, "sizes": "3-4x3-4", "max_clues": K,
                                  "answer_layout": "house", "entity_embedding": "factored",
                                  "clue_pooling": args.pooling}, seed=0)
    model = Transformer(ModelConfig(**{**bundle.model_fields, "n_layers": 4, "d_model": 128, "n_heads": 4,
                                       "init": args.init}))
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3, betas=(0.9, 0.95))
    gen, start = torch.Generator().manual_seed(0), time.time()
    for step in range(args.steps):
        for group in opt.param_groups:
            group["lr"] = 2e-3 * min(1.0, (step + 1) / 100)
        out = mdm_loss(model, copy_batch(bundle.source.data, step), MDMConfig(sampling="continuous"),
                       E.MDM_TOKENIZER.mask_id, gen)
        opt.zero_grad()
        out.loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if step % 50 == 0 or step == args.steps - 1:
            print(json.dumps({"step": step, "ce": round(out.metrics["ce"], 3), "s": round(time.time() - start)}),
                  flush=True)


if __name__ == "__main__":
    main()
