"""Counter-based hashing of anyorder.decode.rng against independent plain-integer references."""
import torch

from anyorder.decode import rng

M32 = 0xFFFFFFFF


def lowbias32(x: int) -> int:
    """Chris Wellons' lowbias32 finaliser (hash-prospector), on unsigned 32-bit Python ints."""
    x &= M32
    x ^= x >> 16
    x = (x * 0x7FEB352D) & M32
    x ^= x >> 15
    x = (x * 0x846CA68B) & M32
    return x ^ (x >> 16)


def as_int32(x: int) -> int:
    return x - (1 << 32) if x >= 1 << 31 else x


def test_fmix32_is_lowbias32_on_every_bit_pattern():
    g = torch.Generator().manual_seed(0)
    xs = [0, 1, 2, 255, 65535, 1 << 30, (1 << 31) - 1, -(1 << 31), -1, -2, 0x12345678, -0x12345678]
    xs += torch.randint(-(1 << 31), (1 << 31) - 1, (500,), generator=g).tolist()
    got = rng.fmix32(torch.tensor(xs, dtype=torch.int32))
    assert got.dtype == torch.int32
    assert got.tolist() == [as_int32(lowbias32(x)) for x in xs]


GOLDEN_1_2_3 = [0x688990C0, 0xD1132181, 0x53F1E9DD]  # lowbias32(1), (2), (3), from the reference above


def test_fmix32_golden_values():
    """Pinned outputs, so the reference and the implementation cannot drift together."""
    assert [lowbias32(x) for x in (1, 2, 3)] == GOLDEN_1_2_3
    assert rng.fmix32(torch.tensor([0], dtype=torch.int32)).tolist() == [0]
    got = rng.fmix32(torch.tensor([1, 2, 3], dtype=torch.int32)).tolist()
    assert got == [as_int32(v) for v in GOLDEN_1_2_3]


def splitmix64_mix(x: int) -> int:
    """SplitMix64's finaliser on unsigned 64-bit Python ints."""
    m = (1 << 64) - 1
    x &= m
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & m
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & m
    return x ^ (x >> 31)


def test_mix_is_splitmix64():
    xs = [0, 1, 2, (1 << 63) - 1, -(1 << 63), -1, 0x0123456789ABCDEF]
    got = rng.mix(torch.tensor(xs, dtype=torch.int64)).tolist()
    assert [g % (1 << 64) for g in got] == [splitmix64_mix(x) for x in xs]
