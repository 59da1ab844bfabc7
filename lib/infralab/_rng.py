"""A counter-based random generator that runs the same in numba CPU kernels and CUDA kernels.

SplitMix64 (Steele, Lea & Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014)
is a 64-bit counter passed through a mixing function. Because draw number ``k`` of a stream is a
pure function of ``(key, k)``, any thread can jump straight to its own draws: there is no state to
allocate, reseed or share inside a hot loop, and the CPU kernel and its CUDA twin produce the very
same numbers, so the twins can be compared exactly rather than only statistically.

The helpers are ``register_jitable``: plain Python functions that numba compiles for whichever
target calls them (CPU ``@njit`` or ``@cuda.jit``), and that the CUDA simulator runs as Python.
"""

from __future__ import annotations

import numpy as np
from numba.core.extending import register_jitable

GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S32 = np.uint64(32)
_S11 = np.uint64(11)
_MASK32 = np.uint64(0xFFFFFFFF)
_TO_UNIT = 1.0 / 9007199254740992.0  # 2**-53


@register_jitable
def mix64(z):
    """SplitMix64's finaliser: a bijection of uint64 with good avalanche."""
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@register_jitable
def draw(key, k):
    """Draw number ``k`` (uint64) of the stream ``key`` (uint64): SplitMix64 at position k."""
    return mix64(key + (k + np.uint64(1)) * GOLDEN)


@register_jitable
def lo_index(x, n):
    """Map the low 32 bits of ``x`` to 0..n-1 (Lemire's multiply-shift; bias below n/2**32)."""
    return np.int64(((x & _MASK32) * np.uint64(n)) >> _S32)


@register_jitable
def hi_index(x, n):
    """Map the high 32 bits of ``x`` to 0..n-1, so one 64-bit draw gives two indices."""
    return np.int64(((x >> _S32) * np.uint64(n)) >> _S32)


@register_jitable
def unit(x):
    """A float64 in [0, 1) from the top 53 bits of ``x``."""
    return np.float64(x >> _S11) * _TO_UNIT


def stream_key(seed: int, salt: int = 0) -> np.uint64:
    """The uint64 key of the stream for ``seed`` (any int) and a per-use ``salt``."""
    with np.errstate(over="ignore"):
        return np.uint64(mix64(np.uint64(seed & 0xFFFFFFFFFFFFFFFF) ^ mix64(np.uint64(salt & 0xFFFFFFFFFFFFFFFF))))
