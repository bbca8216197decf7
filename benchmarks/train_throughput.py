"""Training throughput of the full trainer step for a Sudoku MDM, with and without torch.compile.

``--model paper-6m`` (default) is the paper's 6M MDM below; ``--model cpu-4x128`` the model of the CPU preset
``sudoku-mdm-cpu`` (4 layers x 128, 4 heads, learned positions here: the preset's row/column/box tables cost the
same), at that preset's batch 64 unless ``--batch-size`` says otherwise; ``--model gpu-6x256`` the shipped MDM's
architecture (preset ``sudoku-mdm-gpu``: 6 x 256, 8 heads), batch 64 (its CPU fine-tunes' batch) by default.

Model (paper Sec. 4.6, Ye et al. ``model_config_tiny``): 3 layers, width 384, 12 heads, GELU, learned positions,
tied embeddings, dropout 0.1, bidirectional; 81 tokens (one per cell), global batch 128, MDM loss, AdamW with
grad clipping. Each timed step is ``anyorder.train.trainer.train_step`` (batch, masking, forward, backward, clip,
optimizer and scheduler step) on random digit boards, so the number includes every per-step overhead of ``fit``.

    python benchmarks/train_throughput.py --steps 20 --json out.json
    python benchmarks/train_throughput.py --model cpu-4x128 --threads 1
    python benchmarks/train_throughput.py --modes eager --mixed-precision bf16   # GPU, or CPU with AMX/AVX512-BF16
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics

import torch
from _output import write_json
from _timing import time_train_steps

from anyorder.models.transformer import ModelConfig, count_parameters, paper_config
from anyorder.tasks.base import TaskBundle, torch_generator
from anyorder.tokenizers.symbols import SymbolTable
from anyorder.train import trainer
from anyorder.train.config import TrainConfig

SEQ_LEN, VOCAB = 81, 11  # 81 cells; digits 0-9 plus [MASK]
TOKENIZER = SymbolTable(tuple("0123456789") + ("[MASK]",), mask_id=10)


class RandomBoards:
    """Uniformly random digit boards (throughput does not depend on the data); nothing is fixed."""

    def __init__(self, seed: int) -> None:
        self.seed = seed

    def batch(self, step: int, rank: int, batch_size: int) -> dict[str, torch.Tensor]:
        g = torch_generator(self.seed, step, rank)
        x0 = torch.randint(1, 10, (batch_size, SEQ_LEN), generator=g)
        return {"x0": x0, "is_fixed": torch.zeros_like(x0, dtype=torch.bool)}


MODELS = {"paper-6m": None, "cpu-4x128": (4, 128, 4), "gpu-6x256": (6, 256, 8)}  # layers, width, heads


def model_config(name: str) -> ModelConfig:
    """The benchmarked model: the paper's 6M config, or (layers, width, heads) from MODELS."""
    if MODELS[name] is None:
        return paper_config("gpt2-tiny-6m", vocab_size=VOCAB, max_len=SEQ_LEN)
    n_layers, d_model, n_heads = MODELS[name]
    return ModelConfig(vocab_size=VOCAB, max_len=SEQ_LEN, n_layers=n_layers, d_model=d_model, n_heads=n_heads)


def measure(compile_model: bool, args: argparse.Namespace) -> dict:
    """Warm up (compilation included), then time ``args.steps`` trainer steps ``args.reps`` times."""
    model_cfg = model_config(args.model)
    cfg = TrainConfig(name="bench", task="bench", model=model_cfg, batch_size=args.batch_size,
                      max_steps=10**6, compile=compile_model, mixed_precision=args.mixed_precision)
    bundle = TaskBundle("bench", TOKENIZER, RandomBoards(0))
    run = trainer.setup(cfg, bundle)
    warmup_s, rates = time_train_steps(trainer, run, args.warmup, args.reps, args.steps, args.batch_size)
    return {"compile": compile_model, "device": str(run.accelerator.device), "batch_size": args.batch_size,
            "seq_len": SEQ_LEN, "params": count_parameters(model_cfg), "mixed_precision": args.mixed_precision,
            "warmup_s": warmup_s, "samples_per_s": statistics.median(rates), "samples_per_s_all": rates}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modes", nargs="+", default=["eager", "compile"], choices=["eager", "compile"])
    parser.add_argument("--model", default="paper-6m", choices=list(MODELS))
    parser.add_argument("--batch-size", type=int, default=None, help="default: 128 (paper-6m), 64 (the others)")
    parser.add_argument("--steps", type=int, default=10, help="timed steps per repetition")
    parser.add_argument("--reps", type=int, default=3, help="repetitions (the median is reported)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps first (includes compilation)")
    parser.add_argument("--mixed-precision", default="no", choices=["no", "bf16", "fp16"])
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    parser.add_argument("--json", help="also write the results to this JSON file")
    args = parser.parse_args()
    args.batch_size = args.batch_size or (128 if args.model == "paper-6m" else 64)
    if args.threads:
        torch.set_num_threads(args.threads)
    rows = [measure(mode == "compile", args) for mode in args.modes]
    print(f"{args.model} MDM train step, batch {args.batch_size} x {SEQ_LEN} tokens, {rows[0]['params']:,} params, "
          f"{torch.get_num_threads()} threads, {platform.processor() or platform.machine()}")
    print(f"{'mode':<8} {'device':<8} {'precision':<9} {'samples/s':>10} {'tokens/s':>10} {'warmup s':>9}")
    for r in rows:
        print(f"{'compile' if r['compile'] else 'eager':<8} {r['device']:<8} {r['mixed_precision']:<9} "
              f"{r['samples_per_s']:>10.1f} {r['samples_per_s'] * SEQ_LEN:>10.0f} {r['warmup_s']:>9.1f}")
    meta = {"torch": torch.__version__, "cpu_count": os.cpu_count(), "threads": torch.get_num_threads()}
    write_json(args.json, {"meta": meta, "rows": rows})


if __name__ == "__main__":
    main()
