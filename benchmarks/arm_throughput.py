"""Training throughput (samples/s) of Sudoku ARMs through the shared trainer step (paper Table 2 ARM baselines).

Configs: ``42m`` = Shah et al.'s ARM (``PAPER_CONFIGS["shah-arm-42m"]``: 8 layers, width 576, 8 heads, MLP 3456,
GELU, learned positions, dropout 0.2, causal) and ``cpu`` = a CPU-sized ARM (4 layers, width 128, 4 heads).
Sequences are 243 tokens (81 (row, col, value) triples, vocabulary 11); the loss covers the last 56 triples
(a typical 25-given puzzle). Each timed step is ``anyorder.train.trainer.train_step`` with the ``ar`` objective
(batch, forward on 242 positions, next-token loss, backward, clip, AdamW, scheduler), i.e. exactly what
``anyorder train`` does per step. The data are random digits: throughput does not depend on them.

    python benchmarks/arm_throughput.py --configs cpu 42m --batch-size 8 --steps 3 --threads 1
    python benchmarks/arm_throughput.py --configs 42m --batch-size 64 --mixed-precision bf16   # on a GPU
"""
from __future__ import annotations

import argparse
import platform
import statistics

import torch
from _output import write_json
from _timing import time_train_steps

from anyorder.models.transformer import count_parameters, paper_config
from anyorder.objectives.ar import ARConfig
from anyorder.objectives.flops import training_flops_per_token
from anyorder.tasks.base import TaskBundle, torch_generator
from anyorder.tokenizers.symbols import SymbolTable
from anyorder.train import trainer
from anyorder.train.config import TrainConfig

SEQ_LEN, N_GIVEN_TRIPLES = 243, 25
TOKENIZER = SymbolTable(tuple("0123456789") + ("[PAD]",), mask_id=10, pad_id=10)
CONFIGS = {
    "42m": paper_config("shah-arm-42m"),
    "cpu": paper_config("shah-arm-42m", n_layers=4, d_model=128, n_heads=4, d_mlp=512, dropout=0.0),
}


class RandomTriples:
    """Random digit sequences of 243 tokens; loss on positions >= 3 * 25 (the blanks' triples)."""

    def __init__(self, seed: int) -> None:
        self.seed = seed

    def batch(self, step: int, rank: int, batch_size: int) -> dict[str, torch.Tensor]:
        tokens = torch.randint(0, 10, (batch_size, SEQ_LEN), generator=torch_generator(self.seed, step, rank))
        loss_mask = (torch.arange(SEQ_LEN) >= 3 * N_GIVEN_TRIPLES).expand(batch_size, SEQ_LEN).clone()
        return {"tokens": tokens, "loss_mask": loss_mask}


def measure(name: str, args: argparse.Namespace) -> dict:
    """Warm up, then time ``args.steps`` trainer steps ``args.reps`` times; report the median samples/s."""
    model_cfg = CONFIGS[name]
    cfg = TrainConfig(name="bench-arm", task="bench", objective="ar", model=model_cfg, ar=ARConfig(),
                      batch_size=args.batch_size, max_steps=10**6, compile=args.compile,
                      mixed_precision=args.mixed_precision)
    run = trainer.setup(cfg, TaskBundle("bench", TOKENIZER, RandomTriples(0)))
    _, rates = time_train_steps(trainer, run, args.warmup, args.reps, args.steps, args.batch_size)
    sps = statistics.median(rates)
    flops = training_flops_per_token(model_cfg, SEQ_LEN)
    return {"config": name, "device": str(run.accelerator.device), "threads": torch.get_num_threads(),
            "batch_size": args.batch_size, "params": count_parameters(model_cfg),
            "non_embedding_params": count_parameters(model_cfg, non_embedding=True),
            "mixed_precision": args.mixed_precision, "compile": args.compile, "samples_per_s": sps,
            "samples_per_s_all": rates, "train_flops_per_s": sps * SEQ_LEN * flops}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", nargs="+", default=["cpu", "42m"], choices=sorted(CONFIGS))
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--steps", type=int, default=5, help="timed steps per repetition")
    parser.add_argument("--reps", type=int, default=3, help="repetitions (the median is reported)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed steps first")
    parser.add_argument("--mixed-precision", default="no", choices=["no", "bf16", "fp16"])
    parser.add_argument("--compile", action="store_true", help="torch.compile the model")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    parser.add_argument("--json", help="also write the results to this JSON file")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    rows = [measure(name, args) for name in args.configs]
    for r in rows:
        print(f"{r['config']:>4} {r['params'] / 1e6:6.1f}M params  batch {r['batch_size']:3d}  {r['device']:>6} "
              f"x{r['threads']} threads  {r['samples_per_s']:9.2f} samples/s  "
              f"{r['train_flops_per_s'] / 1e12:7.3f} TFLOP/s  ({platform.processor() or platform.machine()})")
    write_json(args.json, rows)


if __name__ == "__main__":
    main()
