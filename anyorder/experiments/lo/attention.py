"""Do an L&O model's observation positions attend to their own k latents? (issue 12 diagnosis; paper Sec. 4.3-4.4)

An observation is g(latents at its fixed tuple); a model that has learned it must route those k latents' values to
the observation's position. ``tuple_attention`` measures that routing in a trained checkpoint: samples from the
distribution, each maskable position masked with probability 1/2, attention probabilities recomputed from every
layer's input (hooks, no change to the model), statistics over observation queries whose tuple is fully visible.
"""
from __future__ import annotations

import numpy as np
import torch

from anyorder.errors import ConfigError
from anyorder.tasks.lo import LODistribution


def attention_maps(model: torch.nn.Module, tokens: torch.Tensor) -> list[torch.Tensor]:
    """(B, L) tokens -> one (B, H, L, L) tensor of attention probabilities per layer (anyorder Transformer,
    learned or no positions; softmax(q k^T / sqrt(head_dim)) without a causal mask)."""
    if model.cfg.positions == "rope" or model.cfg.causal:
        raise ConfigError("attention_maps supports bidirectional models without RoPE")
    inputs: list[torch.Tensor] = []
    hooks = [b.attn.register_forward_pre_hook(lambda _m, a: inputs.append(a[0])) for b in model.blocks]
    try:
        with torch.no_grad():
            model(tokens)
            maps = []
            for block, x in zip(model.blocks, inputs):
                q, k, _ = block.attn.heads(x)
                maps.append(torch.softmax(q @ k.transpose(-1, -2) / q.shape[-1] ** 0.5, dim=-1))
    finally:
        for h in hooks:
            h.remove()
    return maps


def tuple_attention(model: torch.nn.Module, dist: LODistribution, n: int = 256, seed: int = 0) -> list[dict]:
    """One row per (layer, head): ``tuple_mass`` (mean attention mass an observation query puts on its k tuple
    positions; uniform attention gives k / L), ``tuple_share`` (that mass over the mass on all latents; uniform
    k / N), ``top_k_exact`` (fraction of queries whose k most-attended positions are exactly the tuple).
    Queries: observations whose tuple is visible, in n samples with each maskable position masked w.p. 1/2."""
    rng = np.random.default_rng(seed)
    x0 = dist.sample(n, rng)
    masked = (rng.random(x0.shape) < 0.5) & ~dist.is_fixed()
    tokens = torch.as_tensor(np.where(masked, dist.mask_id, x0), dtype=torch.long)
    tuple_pos = dist.perm[dist.subsets]  # (P, k)
    visible = ~masked[:, tuple_pos].any(-1)  # (B, P)
    k = tuple_pos.shape[1]
    rows = []
    for layer, maps in enumerate(attention_maps(model, tokens)):
        a = maps.numpy()[:, :, dist.obs_positions, :]  # (B, H, P, L)
        on_tuple = np.take_along_axis(a, np.broadcast_to(tuple_pos[None, None], a.shape[:3] + (k,)), -1).sum(-1)
        on_latents = a[..., dist.latent_positions].sum(-1)
        top = np.sort(np.argpartition(-a, k - 1, axis=-1)[..., :k], -1)
        exact = (top == np.sort(tuple_pos, -1)).all(-1)
        for h in range(a.shape[1]):
            rows.append({"layer": layer, "head": h, "tuple_mass": float(on_tuple[:, h][visible].mean()),
                         "tuple_share": float((on_tuple[:, h] / on_latents[:, h])[visible].mean()),
                         "top_k_exact": float(exact[:, h][visible].mean())})
    return rows
