"""Inference precision: run model calls in bf16 / fp16 autocast (weights stay float32; log-probs are float32).

    with inference_precision("bf16", "cpu"):
        decoded = decode(model, x, plan)

On CPUs with AMX or AVX512-BF16 and on GPUs, bf16 autocast makes Sudoku decoding with the shipped MDM 1.7-2x
faster (docs/benchmarks.md); the logits are rounded to bf16
before the float32 softmax, so near-ties in the planner's score may break differently
(``benchmarks/decode_precision.py`` measures how often the decoded answer changes). ``fp16`` needs a CUDA
device. The command line's ``--precision`` (solve, demo, decode, reproduce sudoku) wraps the whole command in
this context.
"""
from __future__ import annotations

import contextlib
from typing import ContextManager

import torch

from anyorder.errors import InputError

PRECISIONS = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}
PRECISION_HELP = ("model-call precision: fp32 (default), bf16 autocast (~2x faster on CPUs with AMX / AVX512-BF16 and "
                  "on GPUs; near-tie orders may differ), fp16 (CUDA only)")


def inference_precision(precision: str | None, device: str | torch.device = "cpu") -> ContextManager:
    """Context manager: autocast to ``precision`` ("fp32" | "bf16" | "fp16"; None = "fp32") on ``device``'s type."""
    name = precision or "fp32"
    if name not in PRECISIONS:
        raise InputError(f"unknown precision {name!r}; choose one of {', '.join(PRECISIONS)}")
    dtype = PRECISIONS[name]
    if dtype is None:
        return contextlib.nullcontext()
    device_type = torch.device(device).type
    if dtype is torch.float16 and device_type != "cuda":
        raise InputError(f"precision fp16 needs a CUDA device (got {device_type}); use bf16 on CPU")
    return torch.autocast(device_type=device_type, dtype=dtype)
