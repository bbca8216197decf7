"""A tiny random-weight Zebra MDM checkpoint for CLI / experiment tests."""
from __future__ import annotations

from pathlib import Path

import torch

from anyorder.models.transformer import ModelConfig, Transformer
from anyorder.tasks.zebra import encode as E
from anyorder.train.checkpoint import save_checkpoint


def tiny_zebra_checkpoint(root: Path, sizes: str = "3-4x3-4", max_clues: int = 24) -> Path:
    torch.manual_seed(0)
    cfg = ModelConfig(vocab_size=E.MDM_TOKENIZER.vocab_size, max_len=4 * max_clues + 16, n_layers=1, d_model=16,
                      n_heads=2, positions="none", position_tables=E.mdm_tables(max_clues, 4, 4))
    model = Transformer(cfg)
    meta = {"model_kind": "transformer", "model": cfg.to_dict(), "objective": "mdm", "train": None,
            "task": {"name": "zebra", "options": {"sizes": sizes, "max_clues": max_clues}, "metadata": {}}}
    save_checkpoint(root, 1, meta, model.state_dict(), tokenizer=E.MDM_TOKENIZER)
    return root


def tiny_zebra_arm_checkpoint(root: Path, sizes: str = "3-4x3-4", max_len: int = 256) -> Path:
    torch.manual_seed(1)
    cfg = ModelConfig(vocab_size=E.ARM_TOKENIZER.vocab_size, max_len=max_len, n_layers=1, d_model=16, n_heads=2,
                      causal=True)
    model = Transformer(cfg)
    meta = {"model_kind": "transformer", "model": cfg.to_dict(), "objective": "ar", "train": None,
            "task": {"name": "zebra-arm", "options": {"sizes": sizes, "max_len": max_len, "order": "solver"},
                     "metadata": {}}}
    save_checkpoint(root, 1, meta, model.state_dict(), tokenizer=E.ARM_TOKENIZER)
    return root
