"""Prompted generation and infilling on padded batches (paper Sec. 4.4, Table 4): LLaDA-style semi-autoregressive
blocks, attention masks, EOS stopping and classifier-free guidance, on top of any MDM decoder (``DECODERS``).

``fill(model, rows, plan, mask_id, pad_id=...)`` decodes a list of token rows of different lengths, each holding
[MASK] at the positions to fill (a generation: prompt + masks; an infill: prefix + masks + suffix):

1. rows are padded (``padding="left"`` as LLaDA's batch generation, or ``"right"``) to one (B, L) canvas; pads are
   fixed and hidden from attention (the model is called as ``model(x, attention_mask=real)`` when there is any
   padding, so it must accept ``attention_mask``; ``models.hf.HFDiffusionLM`` does);
2. blocks (``block_length``, default ``plan.block_length``) are counted from each row's first [MASK], so with a
   prompt they start where the answer starts, as in LLaDA's ``generate``; ``plan.steps`` is split evenly over the
   blocks (it must be a multiple of their number, as in LLaDA); positions of later blocks stay [MASK] (the model
   sees them masked) but are fixed while an earlier block is decoded;
3. each block is one ``decode`` call with ``steps = plan.steps // n_blocks`` on the rows still running; with
   ``budget="even"`` and ``score="top_prob"`` this is LLaDA's ``low_confidence`` sampler exactly (up to the
   [MASK] logit, which anyorder always excludes from the softmax);
4. EOS stopping (semi-AR only): after a block, a row that has generated one of ``eos_ids`` gets its remaining
   [MASK] positions set to ``eos_ids[0]`` and is not decoded any further;
5. ``prefix_cache=True``: Fast-dLLM's approximate prefix KV cache, one full forward per block and then only the
   block and what follows it (``models.hf.HFDiffusionLM.prefix_cached``); outputs may differ (the prefix's keys
   and values go stale within a block);
6. ``cfg_scale > 0``: LLaDA's guidance, ``l_u + (s + 1) (l_c - l_u)`` with ``l_u`` the logits of the same
   canvas with every prompt (non-[MASK], non-pad) position masked; one model call on the doubled batch.

Randomness: block 0 uses each row's seed (so a one-block fill is exactly ``decode`` with the same seeds), later
blocks a hash of it; a row's result does not depend on the other rows (up to the model's batch invariance).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Callable, Sequence

import torch

from anyorder.decode import rng
from anyorder.decode.decoder import decode
from anyorder.decode.logprobs import takes_columns
from anyorder.decode.plan import Plan
from anyorder.decode.result import TraceStep
from anyorder.errors import ConfigError, InputError


@dataclass(frozen=True)
class FillResult:
    """Output of ``fill``. Shapes: (B, L) unless noted; L is the padded length."""

    tokens: torch.Tensor  # int64 decoded canvases (pads = pad_id)
    real: torch.Tensor  # bool: not padding
    order: torch.Tensor  # int64 global step at which each position was revealed; -1 for given / pads / EOS fill
    nfe: torch.Tensor  # (B,) int64 model evaluations each row used
    n_model_calls: int  # model calls (one per step and block, on the rows still running)
    filled: list[torch.Tensor]  # per row: the tokens now at its originally masked positions, left to right (1D)
    n_blocks: int
    trace: list[list[TraceStep]] | None = None  # per block, the decoder's trace (rows: those still running)


def pad_rows(rows: Sequence[Sequence[int] | torch.Tensor], pad_id: int, padding: str = "left"
             ) -> tuple[torch.Tensor, torch.Tensor]:
    """(tokens (B, L) int64, real (B, L) bool) with every row padded to the longest by ``pad_id``."""
    if padding not in ("left", "right"):
        raise ConfigError(f"padding must be 'left' or 'right', got {padding!r}")
    rows = [torch.as_tensor(r, dtype=torch.int64).flatten() for r in rows]
    if not rows or any(r.numel() == 0 for r in rows):
        raise InputError("fill needs at least one non-empty row")
    length = max(r.numel() for r in rows)
    tokens = torch.full((len(rows), length), int(pad_id), dtype=torch.int64)
    real = torch.zeros((len(rows), length), dtype=torch.bool)
    for i, r in enumerate(rows):  # building the batch, not a hot path
        sl = slice(length - r.numel(), length) if padding == "left" else slice(0, r.numel())
        tokens[i, sl], real[i, sl] = r, True
    return tokens, real


def fill(model: Callable, rows: Sequence[Sequence[int] | torch.Tensor], plan: Plan, mask_id: int, *, pad_id: int,
         padding: str = "left", block_length: int | None = None, eos_ids: Sequence[int] = (),
         seeds: int | torch.Tensor = 0, cfg_scale: float = 0.0, device: str | torch.device | None = None,
         prefix_cache: bool = False, trace: bool = False) -> FillResult:
    """Decode the [MASK] positions of ``rows`` (token id lists of any lengths); see the module docstring."""
    x, real = pad_rows(rows, pad_id, padding)
    device = device if device is not None else getattr(model, "input_device", "cpu")
    x, real = x.to(device), real.to(device)
    B, L = x.shape
    seeds = rng.row_seeds(seeds, B, device) if isinstance(seeds, int) else torch.as_tensor(seeds, dtype=torch.int64,
                                                                                          device=device)
    if cfg_scale < 0:
        raise ConfigError(f"cfg_scale must be >= 0, got {cfg_scale}")
    masked0 = (x == mask_id) & real
    is_prompt = real & ~masked0
    col = torch.arange(L, device=device)
    first = torch.where(masked0, col, L).amin(dim=1)  # (B,) first [MASK] column (L: none)
    last = torch.where(masked0, col, -1).amax(dim=1)
    block_length = block_length if block_length is not None else plan.block_length
    span = int((last - first + 1).clamp(min=0).max())
    if block_length is None or span == 0:
        n_blocks, block_id = 1, torch.zeros_like(x)
    else:
        n_blocks = max(-(-span // block_length), 1)
        block_id = torch.div(col[None, :] - first[:, None], block_length, rounding_mode="floor")
    if plan.steps % n_blocks:
        raise ConfigError(f"steps={plan.steps} must be a multiple of the number of blocks {n_blocks} "
                          f"(longest masked span {span}, block_length {block_length})")
    per_block = plan.steps // n_blocks
    block_plan = _replace(plan, steps=per_block, block_length=None)
    padded = not bool(real.all())
    eos = torch.tensor(list(eos_ids), dtype=torch.int64, device=device)

    order = torch.full_like(x, -1)
    nfe = torch.zeros(B, dtype=torch.int64, device=device)
    done = torch.zeros(B, dtype=torch.bool, device=device)
    n_calls, traces = 0, [] if trace else None
    for b in range(n_blocks):
        idx = (~done).nonzero().flatten()
        if idx.numel() == 0:
            break
        xs = x[idx]
        todo = (xs == mask_id) & masked0[idx] & (block_id[idx] == b)
        if not bool(todo.any()):
            continue
        if prefix_cache:
            fn = _prefix_cached_call(model, first[idx], b, block_length, real[idx] if padded else None, cfg_scale)
        else:
            fn = _model_call(model, real[idx] if padded else None, is_prompt[idx], mask_id, cfg_scale)
        block_seeds = seeds[idx] if b == 0 else rng.mix(seeds[idx] ^ b)
        res = decode(fn, xs, ~todo, block_plan, mask_id, block_seeds, trace=trace)
        x[idx] = res.tokens
        order[idx] = torch.where(res.order >= 0, res.order + b * per_block, order[idx])
        nfe[idx] += res.nfe
        n_calls += res.n_model_calls
        if traces is not None:
            traces.append(res.trace)
        if eos.numel() and n_blocks > 1:
            stop = (torch.isin(x, eos) & masked0 & (block_id <= b)).any(dim=1) & ~done
            x = torch.where(stop[:, None] & (x == mask_id) & masked0, eos[0], x)
            done |= stop
    filled = [x[i][masked0[i]] for i in range(B)]
    return FillResult(x, real, order, nfe, n_calls, filled, n_blocks, traces)


def generate(model: Callable, prompts: Sequence[Sequence[int]], gen_length: int, plan: Plan, mask_id: int, *,
             pad_id: int, **kwargs) -> FillResult:
    """LLaDA-style generation: each prompt followed by ``gen_length`` [MASK]s, decoded by ``fill`` (left padding
    by default). ``result.filled[b]`` is row b's answer; ``cut_at_eos`` trims it."""
    if gen_length < 1:
        raise ConfigError(f"gen_length must be >= 1, got {gen_length}")
    rows = [list(p) + [mask_id] * gen_length for p in prompts]
    return fill(model, rows, plan, mask_id, pad_id=pad_id, **kwargs)


def cut_at_eos(ids: Sequence[int] | torch.Tensor, eos_ids: Sequence[int]) -> list[int]:
    """The ids before the first of ``eos_ids``."""
    ids = ids.tolist() if isinstance(ids, torch.Tensor) else list(ids)
    stops = set(int(e) for e in eos_ids)
    return next((ids[:i] for i, t in enumerate(ids) if t in stops), ids)


def _replace(plan: Plan, **changes) -> Plan:
    return dataclasses.replace(plan, **changes)


def _prefix_cached_call(model, first: torch.Tensor, block: int, block_length: int | None,
                        attention_mask: torch.Tensor | None, cfg_scale: float) -> Callable:
    """Fast-dLLM's approximate prefix cache for one block (``model.prefix_cached``): everything before the block
    is encoded once per block. Needs every row's [MASK]s to start at the same column (left padding)."""
    if not hasattr(model, "prefix_cached"):
        raise ConfigError("prefix_cache needs a model with prefix_cached (models.hf.HFDiffusionLM: llada, dream)")
    if cfg_scale:
        raise ConfigError("prefix_cache does not support cfg_scale > 0")
    if bool((first != first[0]).any()):
        raise ConfigError("prefix_cache needs every row's masks to start at the same column (use left padding)")
    start = int(first[0]) + block * (block_length or 0)
    return model.prefix_cached(start, attention_mask)


def _model_call(model: Callable, attention_mask: torch.Tensor | None, is_prompt: torch.Tensor, mask_id: int,
                cfg_scale: float) -> Callable[..., torch.Tensor]:
    """tokens (B, L) [, columns=(lo, hi)] -> logits (B, L or hi - lo, V) for a fixed set of rows: attention mask
    when padded, LLaDA CFG when cfg_scale > 0. It ``takes_columns`` (``logprobs.window_log_probs``): the window
    is passed on to a model that takes it, else sliced from the full output."""
    inner = takes_columns(model)

    def call(t: torch.Tensor, mask: torch.Tensor | None, columns: tuple[int, int] | None) -> torch.Tensor:
        kwargs = {} if mask is None else {"attention_mask": mask}
        if columns is not None and inner:
            kwargs["columns"] = columns
        out = model(t, **kwargs)
        if columns is not None and not inner:
            out = out[:, columns[0]:columns[1]]
        return out.to(t.device)

    def fn(t: torch.Tensor, columns: tuple[int, int] | None = None) -> torch.Tensor:
        if cfg_scale == 0:
            return call(t, attention_mask, columns)
        uncond = t.masked_fill(is_prompt, mask_id)
        mask = None if attention_mask is None else torch.cat([attention_mask, attention_mask])
        cond, unc = call(torch.cat([t, uncond]), mask, columns).float().chunk(2)
        return unc + (cfg_scale + 1.0) * (cond - unc)

    fn.takes_columns = True
    return fn
