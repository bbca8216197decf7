"""Counter-based random numbers for decoding: ``u = hash(seed_b, step, stream, index)``.

Every random number a decoder uses is a pure function of the sample's own seed, the step, a stream id and a
position index. A sample therefore sees the same random numbers whatever the batch size and whichever other
samples share the batch (batch invariance), with no Python loop over rows and no ``torch.Generator`` state.

The hash is SplitMix64's finalizer applied in int64 arithmetic. Torch int64 multiplication and addition wrap
modulo 2**64 (two's complement), which is exactly unsigned 64-bit arithmetic; right shifts of int64 are
arithmetic, so every shift is followed by a mask to make it logical. Per-row keys use 64-bit SplitMix64 on (B,)
tensors; per-entry bits use a 32-bit finalizer in int32 (fast), and uniforms are float32 in (0, 1).
"""
from __future__ import annotations

import torch

_M64 = 1 << 64


def _signed(c: int) -> int:
    """An unsigned 64-bit constant as the int64 with the same bits."""
    return c - _M64 if c >= 1 << 63 else c


def _word(c: int) -> int:
    """Any Python int reduced modulo 2**64, as an int64 value."""
    return _signed(c % _M64)


GOLDEN = _signed(0x9E3779B97F4A7C15)
_MUL1 = _signed(0xBF58476D1CE4E5B9)
_MUL2 = _signed(0x94D049BB133111EB)
_MIX32_1 = 0x7FEB352D
_MIX32_2 = 0x846CA68B - (1 << 32)

# stream ids: which decision a uniform is used for (independent streams per step)
VANILLA = 1  # vanilla score and Bernoulli (Algorithm 1) reveals share this stream, see budget.binomial
NOISE = 2  # Gumbel / Gaussian noise on the score
VALUE = 3  # inverse-CDF value sampling
SEED = 4  # expanding one int seed into per-row seeds


def _shr(x: torch.Tensor, k: int) -> torch.Tensor:
    """Logical right shift of int64 bits by k (1 <= k <= 63)."""
    return (x >> k) & ((1 << (64 - k)) - 1)


def mix(x: torch.Tensor) -> torch.Tensor:
    """SplitMix64 finalizer on int64 tensors (bijective on 64-bit words)."""
    x = (x ^ _shr(x, 30)) * _MUL1
    x = (x ^ _shr(x, 27)) * _MUL2
    return x ^ _shr(x, 31)


def row_seeds(seed: int, batch_size: int, device: torch.device | str = "cpu") -> torch.Tensor:
    """Per-row seeds (B,) int64 derived from one int: row b gets ``hash(seed, b)``."""
    rows = torch.arange(batch_size, dtype=torch.int64, device=device)
    base = torch.full_like(rows, _word(int(seed) + SEED * GOLDEN))
    return mix(mix(base) + rows)


def keys(seeds: torch.Tensor, step: int, stream: int) -> torch.Tensor:
    """Per-row keys (B,) int64 for one (step, stream); seeds: (B,) int64."""
    k = mix(seeds + GOLDEN)
    return mix(k + _word((int(step) * 0x100 + int(stream)) * GOLDEN))


def _shr32(x: torch.Tensor, k: int) -> torch.Tensor:
    """Logical right shift of int32 bits by k (1 <= k <= 31)."""
    return (x >> k) & ((1 << (32 - k)) - 1)


def fmix32(x: torch.Tensor) -> torch.Tensor:
    """A 32-bit integer finalizer (lowbias32) on int32 tensors; int32 products wrap modulo 2**32."""
    x = (x ^ _shr32(x, 16)) * _MIX32_1
    x = (x ^ _shr32(x, 15)) * _MIX32_2
    return x ^ _shr32(x, 16)


def uniform(seeds: torch.Tensor, step: int, stream: int, n: int) -> torch.Tensor:
    """Uniforms (B, n) float32 in (0, 1); entry [b, i] depends only on (seeds[b], step, stream, i).

    The per-row key is a 64-bit hash of (seed, step, stream) folded to 32 bits; each entry is
    fmix32(key_b ^ fmix32(i + 1)), computed in int32 (vectorizes on CPUs, unlike int64 products). The top 24
    bits give float32 values (k + 0.5) / 2**24, never 0 or 1.
    """
    k = keys(seeds, step, stream)
    key32 = (k ^ _shr(k, 32)).to(torch.int32)  # low 32 bits of the fold (wraps into int32)
    idx = fmix32(torch.arange(1, n + 1, dtype=torch.int32, device=seeds.device))
    bits = fmix32(key32[:, None] ^ idx[None, :])
    return (_shr32(bits, 8).to(torch.float32) + 0.5) * (1.0 / (1 << 24))
