"""FLOP accounting per token (Kaplan et al. 2020, Table 1; used for the pi-learner scaling plots, paper Sec. 4.1).

With N = non-embedding parameters (``count_parameters(cfg, non_embedding=True)``: embeddings, position tables
and the LM head excluded), n_layers layers, width d_model and context n_ctx:

    forward  FLOPs / token = 2 N + 2 n_layers n_ctx d_model        (matmuls: 2 FLOPs per weight; attention
                                                                     scores QK^T and the weighted sum of V)
    training FLOPs / token = 3 * forward = 6 N + 6 n_layers n_ctx d_model   (backward = 2 x forward)

The attention term counts the full (bidirectional) n_ctx x n_ctx score matrix; causal models are counted the
same way (no halving), as in Kaplan et al. Norms, biases, softmax and the LM head are ignored.
Total training compute is ``training_flops_per_token(cfg, L) * tokens_seen``.
"""
from __future__ import annotations

from anyorder.errors import InputError
from anyorder.models.transformer import ModelConfig, count_parameters


def _check_len(cfg: ModelConfig, seq_len: int) -> None:
    if not 1 <= seq_len <= cfg.max_len:
        raise InputError(f"seq_len must be in [1, max_len={cfg.max_len}], got {seq_len}")


def forward_flops_per_token(cfg: ModelConfig, seq_len: int) -> int:
    """2 * non-embedding params + 2 * n_layers * seq_len * d_model."""
    _check_len(cfg, seq_len)
    return 2 * count_parameters(cfg, non_embedding=True) + 2 * cfg.n_layers * seq_len * cfg.d_model


def training_flops_per_token(cfg: ModelConfig, seq_len: int) -> int:
    """6 * non-embedding params + 6 * n_layers * seq_len * d_model (forward + backward)."""
    return 3 * forward_flops_per_token(cfg, seq_len)
