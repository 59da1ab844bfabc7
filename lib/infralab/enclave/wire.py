"""Encrypting the wire: AES-GCM throughput on this machine against 100/400/800 Gb/s links."""

from __future__ import annotations

import math
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .. import _checks
from .._timing import best_time


def aesgcm_bytes_per_second(message_bytes: int = 1 << 20, repeats: int = 5) -> float:
    """AES-256-GCM encryption throughput of one core (``cryptography``/OpenSSL), bytes per second.

    Parameters
    ----------
    message_bytes : int
        Size of each message (a network packet is ~1.5-9 KB; larger messages amortize call overhead).
    repeats : int
        Best of this many timed runs, 1..1000.

    Notes
    -----
    Limits: ``message_bytes`` 16..2**28; ``message_bytes · (repeats + 1)`` at most 2**35 bytes
    (32 GiB at ~1 GB/s on a busy core: about 30 s; ValueError with the estimate above it).
    """
    n = _checks.integer("message_bytes", message_bytes, low=16, high=1 << 28)
    r = _checks.integer("repeats", repeats, low=1, high=1000)
    _checks.bound_work("aesgcm_bytes_per_second", float(n) * (r + 1), 2.0**35, per_second=1e9,
                       bytes_needed=2.0 * n, unit="bytes encrypted")
    aead, nonce, data = AESGCM(AESGCM.generate_key(bit_length=256)), os.urandom(12), os.urandom(n)
    return n / best_time(lambda: aead.encrypt(nonce, data, None), repeats=r, warmup=1)


def cores_for_line_rate(link_gbps: float, bytes_per_second_per_core: float) -> int:
    """Cores needed to encrypt at ``link_gbps`` (one direction) at the measured per-core rate.

    Limits: ``link_gbps`` > 0 and at most 10**9 (an exabit per second); a core count above 2**53
    (an overflow of the ratio) raises ValueError.
    """
    need = _checks.real("link_gbps", link_gbps, low=0.0, low_open=True, high=1e9) * 1e9 / 8
    ratio = need / _checks.positive("bytes_per_second_per_core", bytes_per_second_per_core)
    _checks.real("the core count", ratio, high=2.0**53)
    return math.ceil(ratio)
