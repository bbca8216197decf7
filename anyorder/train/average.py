"""Checkpoint averaging: the weight average of checkpoints of one model ("model soup", Wortsman et al. 2022;
latest-weight averaging along a run, Kaddour 2022), written as an inference checkpoint.

Averaging is meaningful for checkpoints that share one lineage (steps of one run, or fine-tunes of one parent):
their weights sit in one basin, and the average often generalises better than any one of them. Unrelated models
average to noise; nothing here can tell, so compare the result on held-out data before shipping it (docs/training.md).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import torch

from anyorder.errors import CheckpointError
from anyorder.io import output_lock
from anyorder.train.checkpoint import (
    build_model,
    check_header,
    new_export_path,
    read_config,
    read_tensors,
    resolve,
    write_inference_copy,
)

# config entries that must agree for weights to be averaged (the model they describe and how tokens map to ids)
_SAME = ("model_kind", "model", "tokenizer")


def average_checkpoints(srcs: Sequence[str | Path], dst: str | Path, weights: Sequence[float] | None = None,
                        note: str | None = None) -> Path:
    """Write to ``dst`` an inference checkpoint whose weights are the weighted mean of ``srcs``' weights.

    Args:
        srcs: two or more checkpoint or run directories with the same model, model kind and tokenizer (their EMA
            weights when the runs used EMA, as ``export`` ships).
        weights: one non-negative weight per source (normalised to sum 1); default uniform.
        note: stored as config["export_note"].
    The copy takes the first source's config (task, training config, step) and records every source under
    config["averaged_from"] (path, step, sha256 of its weights, weight). Floating tensors are averaged in float64
    and stored in their own dtype; other tensors (integer buffers) must be equal in every source.
    Raises CheckpointError naming the source that differs or the bad weight; ``dst`` must not exist.
    """
    if len(srcs) < 2:
        raise CheckpointError(f"averaging needs at least two checkpoints, got {len(srcs)}")
    coef = _normalised(weights, len(srcs))
    dst = new_export_path(dst)
    ckpts = [resolve(s) for s in srcs]
    configs = [read_config(c) for c in ckpts]
    for ckpt, config in zip(ckpts[1:], configs[1:]):
        _check_same(ckpts[0], configs[0], ckpt, config)
    first = _weights(ckpts[0], configs[0])
    total: dict[str, torch.Tensor] = {}
    for i, (ckpt, config, c) in enumerate(zip(ckpts, configs, coef)):
        _accumulate(total, first if i == 0 else _weights(ckpt, config), c, first, ckpt)
    averaged = {k: v.to(first[k].dtype) if v.is_floating_point() else v for k, v in total.items()}
    sources = [{"path": str(c), "step": int(cfg.get("step", 0)), "weight": w,
                "sha256": cfg["files"]["model.safetensors"]} for c, cfg, w in zip(ckpts, configs, coef)]
    with output_lock(dst):
        return write_inference_copy(ckpts[0], configs[0], new_export_path(dst), note, weights=averaged,
                                    extra={"averaged_from": sources})


def _normalised(weights: Sequence[float] | None, n: int) -> list[float]:
    if weights is None:
        return [1.0 / n] * n
    if len(weights) != n:
        raise CheckpointError(f"got {len(weights)} weights for {n} checkpoints; give one weight per checkpoint")
    bad = [w for w in weights if not (w >= 0.0 and w < float("inf"))]
    if bad or sum(weights) <= 0.0:
        raise CheckpointError(f"weights must be finite, non-negative and not all zero, got {list(weights)}")
    total = float(sum(weights))
    return [float(w) / total for w in weights]


def _check_same(ref: Path, ref_config: dict[str, Any], ckpt: Path, config: dict[str, Any]) -> None:
    for key in _SAME:
        if config.get(key) != ref_config.get(key):
            raise CheckpointError(f"{ckpt}: its {key!r} differs from {ref}'s; only checkpoints of one model "
                                  "(same architecture and tokenizer) can be averaged")


def _weights(ckpt: Path, config: dict[str, Any]) -> dict[str, torch.Tensor]:
    """The verified weights of one source (header and full model check, as ``load`` does)."""
    check_header(ckpt, config, "model.safetensors")
    state = read_tensors(ckpt, "model.safetensors")
    build_model(ckpt, config, state, "model.safetensors")  # names, shapes, finiteness
    return state


def _accumulate(total: dict[str, torch.Tensor], state: dict[str, torch.Tensor], c: float,
                first: dict[str, torch.Tensor], ckpt: Path) -> None:
    for k, v in state.items():
        if not v.is_floating_point():
            if not torch.equal(v, first[k]):
                raise CheckpointError(f"{ckpt / 'model.safetensors'}: non-float tensor {k!r} differs from the "
                                      "first checkpoint's; it cannot be averaged")
            total[k] = v
            continue
        total[k] = total.get(k, 0.0) + c * v.to(torch.float64)
