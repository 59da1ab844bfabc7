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
        Best of this many timed runs.
    """
    n = _checks.integer("message_bytes", message_bytes, low=16, high=1 << 28)
    r = _checks.integer("repeats", repeats, low=1)
    aead, nonce, data = AESGCM(AESGCM.generate_key(bit_length=256)), os.urandom(12), os.urandom(n)
    return n / best_time(lambda: aead.encrypt(nonce, data, None), repeats=r, warmup=1)


def cores_for_line_rate(link_gbps: float, bytes_per_second_per_core: float) -> int:
    """Cores needed to encrypt at ``link_gbps`` (one direction) at the measured per-core rate."""
    need = _checks.positive("link_gbps", link_gbps) * 1e9 / 8
    return math.ceil(need / _checks.positive("bytes_per_second_per_core", bytes_per_second_per_core))
