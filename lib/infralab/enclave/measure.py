"""Measurement: how an enclave image becomes PCR values (SHA-384 extend).

A PCR (platform configuration register) starts at 48 zero bytes and can only be *extended*:
``PCR_new = SHA-384(PCR_old || measurement)``. Nitro measures an image section as
``SHA-384(0^48 || SHA-384(section))``. PCR0 covers the whole enclave image, PCR1 the kernel and
bootstrap, PCR2 the application (aws-nitro-enclaves-nsm-api); the toy image below follows that split,
so changing one byte of the application changes PCR0 and PCR2 but not PCR1.
"""

from __future__ import annotations

import hashlib

PCR_BYTES = 48
#: Largest section measured at once (SHA-384 at ~0.5 GB/s: a few seconds at the cap).
MAX_SECTION_BYTES = 1 << 31


def _as_bytes(name: str, value) -> bytes:
    if not isinstance(value, (bytes, bytearray, memoryview)):
        raise TypeError(f"{name} must be bytes, got {type(value).__name__}")
    size = value.nbytes if isinstance(value, memoryview) else len(value)
    if size > MAX_SECTION_BYTES:
        raise ValueError(f"{name} must be at most {MAX_SECTION_BYTES} bytes")
    return bytes(value)


def pcr_extend(pcr: bytes, measurement: bytes) -> bytes:
    """``SHA-384(pcr || measurement)``.

    Limits: ``pcr`` 48 bytes; ``measurement`` bytes-like, at most :data:`MAX_SECTION_BYTES`.

    Examples
    --------
    >>> import hashlib
    >>> pcr_extend(bytes(48), hashlib.sha384(b"abc").digest()).hex()[:16]
    '93732e3733514a84'
    """
    pcr = _as_bytes("pcr", pcr)
    if len(pcr) != PCR_BYTES:
        raise ValueError(f"pcr must be {PCR_BYTES} bytes, got {len(pcr)}")
    return hashlib.sha384(pcr + _as_bytes("measurement", measurement)).digest()


def measure(data: bytes) -> bytes:
    """The PCR after measuring ``data`` once: ``pcr_extend(bytes(48), sha384(data))``.

    Limits: ``data`` bytes-like, at most :data:`MAX_SECTION_BYTES` (TypeError / ValueError otherwise).
    """
    return pcr_extend(bytes(PCR_BYTES), hashlib.sha384(_as_bytes("data", data)).digest())


def measure_image(kernel: bytes, init: bytes, application: bytes) -> dict[int, bytes]:
    """PCR0 (whole image), PCR1 (kernel + init) and PCR2 (application) of a toy enclave image.

    Each PCR starts at zero and is extended with the SHA-384 of each of its sections, in order.
    Limits: each section bytes-like, at most :data:`MAX_SECTION_BYTES`.
    """
    def chain(*sections: bytes) -> bytes:
        pcr = bytes(PCR_BYTES)
        for s in sections:
            pcr = pcr_extend(pcr, hashlib.sha384(_as_bytes("section", s)).digest())
        return pcr
    return {0: chain(kernel, init, application), 1: chain(kernel, init), 2: chain(application)}
