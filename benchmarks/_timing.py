"""Shared timing loop of the training-throughput benchmarks (run as scripts: benchmarks/ is on sys.path)."""
from __future__ import annotations

import time

import torch


def time_train_steps(trainer, run, warmup: int, reps: int, steps: int, batch_size: int) -> tuple[float, list[float]]:
    """Run ``warmup`` trainer steps, then ``reps`` timed blocks of ``steps``. Returns (warmup seconds, samples/s
    of each block); CUDA is synchronised around every timed region."""
    sync = torch.cuda.synchronize if run.accelerator.device.type == "cuda" else (lambda: None)
    start = time.perf_counter()
    for s in range(warmup):
        trainer.train_step(run, s)
    sync()
    warmup_s = time.perf_counter() - start
    rates = []
    for rep in range(reps):
        sync()
        start = time.perf_counter()
        for s in range(steps):
            trainer.train_step(run, warmup + rep * steps + s)
        sync()
        rates.append(steps * batch_size / (time.perf_counter() - start))
    return warmup_s, rates
