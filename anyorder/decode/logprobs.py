"""The log-prob helper every MDM decoder (and the L&O experiments) share: one model call -> (B, L, V)."""
from __future__ import annotations

from typing import Callable

import torch

from anyorder.errors import InputError

# above this vocabulary size the (V, B, L) layout makes every later reduction over V strided (LLaDA: 126464
# tokens, ~30x slower argmax / top-2 on CPU), so log-probs stay (B, L, V)-contiguous
VALUE_MAJOR_MAX_VOCAB = 4096

Model = Callable[[torch.Tensor], torch.Tensor]  # (B, L) int64 -> (B, L, V) logits


def model_log_probs(model: Model, x: torch.Tensor, mask_id: int) -> torch.Tensor:
    """log_softmax of ``model(x)`` (B, L, V) in float32 with the [MASK] logit set to -inf."""
    logits = model(x)
    if logits.dim() != 3 or logits.shape[:2] != x.shape or not 0 <= mask_id < logits.shape[2]:
        raise InputError(f"model returned logits of shape {tuple(logits.shape)} for tokens {tuple(x.shape)}; "
                         f"expected (B, L, V) with V > mask_id={mask_id}")
    mask = torch.tensor([mask_id], device=logits.device)
    if logits.shape[2] > VALUE_MAJOR_MAX_VOCAB:  # large vocabularies (LLMs): reductions along contiguous rows
        return _large_vocab_log_probs(logits, mask)
    # value-major layout (V, B, L): reductions over a small vocabulary are ~5x faster on CPU this way; the
    # returned tensor is a (B, L, V) view of it
    logits = logits.float().permute(2, 0, 1).index_fill(0, torch.tensor([mask_id], device=logits.device),
                                                        float("-inf"))
    return torch.log_softmax(logits, dim=0).permute(1, 2, 0)


def _large_vocab_log_probs(logits: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """(B, L, V) log-softmax without [MASK], with one (B, L, V) allocation: log_softmax over all tokens, then
    renormalised in place, log p'_v = log p_v - log(1 - p_mask). Where some p_mask > 0.999 (too close to 1 for
    float32) it falls back to masking before the softmax."""
    log_probs = torch.log_softmax(logits.float(), dim=-1)
    lp_mask = log_probs.index_select(2, mask)  # (B, L, 1)
    if bool((lp_mask > -1e-3).any()):
        return torch.log_softmax(logits.float().index_fill(2, mask, float("-inf")), dim=-1)
    log_probs.sub_(torch.log1p(-lp_mask.exp()))
    return log_probs.index_fill_(2, mask, float("-inf"))


def takes_columns(model: Model) -> bool:
    """Whether ``model`` can compute logits for a window of columns only: ``model(x, columns=(lo, hi))`` ->
    (B, hi - lo, V), a tensor the caller owns (it may be overwritten in place; ``models.hf.HFDiffusionLM`` and
    ``decode.generate``'s model wrappers do; the head and the softmax then run on the window only)."""
    return bool(getattr(model, "takes_columns", False))


def window_log_probs(model: Model, x: torch.Tensor, mask_id: int, lo: int, hi: int) -> torch.Tensor:
    """log-probs (B, hi - lo, V) of columns lo:hi of ``x``, float32 with the [MASK] logit at -inf (equal, column for
    column, to ``model_log_probs(model, x, mask_id)[:, lo:hi]``). The model is asked for the window only when it
    ``takes_columns``; otherwise its (B, L, V) output is sliced. Large vocabularies mask [MASK] before the softmax
    (no host sync, the exact form)."""
    logits = model(x, columns=(lo, hi)) if takes_columns(model) else model(x)
    width = hi - lo if takes_columns(model) else x.shape[1]
    if logits.dim() != 3 or logits.shape[:2] != (x.shape[0], width) or not 0 <= mask_id < logits.shape[2]:
        raise InputError(f"model returned logits of shape {tuple(logits.shape)} for tokens {tuple(x.shape)} "
                         f"(columns {lo}:{hi}); expected (B, {width}, V) with V > mask_id={mask_id}")
    owned = takes_columns(model) or logits.dtype != torch.float32  # else a view of what the model may keep
    if not takes_columns(model):
        logits = logits[:, lo:hi]
    mask = torch.tensor([mask_id], device=logits.device)
    if logits.shape[2] > VALUE_MAJOR_MAX_VOCAB:
        logits = logits.float()
        if not (owned and logits.is_contiguous()) or logits.requires_grad:
            return torch.log_softmax(logits.index_fill(2, mask, float("-inf")), dim=-1)
        return _log_softmax_tiled_(logits.index_fill_(2, mask, float("-inf")))
    logits = logits.float().permute(2, 0, 1).index_fill(0, mask, float("-inf"))
    return torch.log_softmax(logits, dim=0).permute(1, 2, 0)


# elements per tile of ``_log_softmax_tiled_`` (8 MB of float32: stays in a CPU's cache between the passes)
TILE = 1 << 21


def _log_softmax_tiled_(logits: torch.Tensor) -> torch.Tensor:
    """log_softmax over the last dim of a contiguous float32 tensor, in place, a few positions at a time (tiles of
    ~``TILE`` elements): no second (B, W, V) allocation, and each tile's max / sum / write passes hit the cache
    (about 2x faster than one ``log_softmax`` of 16 x 126464-token rows and more on CPU)."""
    rows = logits.view(-1, logits.shape[-1])
    for tile in rows.split(max(1, TILE // rows.shape[1])):
        tile.copy_(torch.log_softmax(tile, dim=-1))
    return logits
