"""Measurement: how an enclave image becomes PCR values (SHA-384 extend), the way Nitro does it.

A PCR (platform configuration register) starts at 48 zero bytes and can only be *extended*:
``PCR_new = SHA-384(PCR_old || measurement)``. Nitro Enclaves measures an enclave image file (EIF)
with the ``aws-nitro-enclaves-image-format`` crate: for each PCR an ``EifHasher`` (built with
``new_without_cache``) absorbs the bytes of every section that PCR covers, concatenated, and
``tpm_extend_finalize_reset`` extends a zero PCR **once** with their SHA-384::

    PCR = SHA-384(0^48 || SHA-384(section_1 || section_2 || ...))

PCR0 covers the whole image, PCR1 the kernel and bootstrap, PCR2 the application
(aws-nitro-enclaves-nsm-api). The toy image here has three sections; in a real EIF, ``kernel``
stands for the kernel plus its command line, ``init`` for the first (bootstrap) ramdisk with init
and the NSM driver, and ``application`` for the remaining ramdisk(s) holding the user's container
file system. Changing one byte of the application changes PCR0 and PCR2 but not PCR1.
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

    Each PCR is one hash over the concatenation of the sections it covers, extended once into a
    zero PCR, as Nitro does: ``PCR = SHA-384(0^48 || SHA-384(s_1 || s_2 || ...))``.

    Parameters
    ----------
    kernel : bytes
        Stands for the EIF's kernel and its command line.
    init : bytes
        Stands for the bootstrap ramdisk (init, NSM driver).
    application : bytes
        Stands for the application ramdisk(s).

    Returns
    -------
    dict
        ``{0: PCR0, 1: PCR1, 2: PCR2}``, 48 bytes each.

    Notes
    -----
    Limits: each section bytes-like; the whole image at most :data:`MAX_SECTION_BYTES`.

    References
    ----------
    aws-nitro-enclaves-image-format (``EifHasher::new_without_cache``, ``tpm_extend_finalize_reset``);
    aws-nitro-enclaves-nsm-api, docs/attestation_process.md.

    Examples
    --------
    >>> import hashlib
    >>> pcrs = measure_image(b"k", b"i", b"a")
    >>> pcrs[0] == hashlib.sha384(bytes(48) + hashlib.sha384(b"kia").digest()).digest()
    True
    """
    k, i, a = _as_bytes("kernel", kernel), _as_bytes("init", init), _as_bytes("application", application)
    return {0: measure(k + i + a), 1: measure(k + i), 2: measure(a)}
