"""What a reused AES-GCM nonce gives away: not only plaintext XORs but the power to forge tags.

GCM's tag for a one-block ciphertext C without associated data is
``T = C·H² ⊕ L·H ⊕ E_K(J0)`` in GF(2^128), where H = E_K(0^128) is the hash key and J0 depends only
on the nonce. Two one-block messages under the same key and nonce share ``L·H ⊕ E_K(J0)``, so
``T1 ⊕ T2 = (C1 ⊕ C2)·H²`` gives H² to anyone who sees both, and then
``T' = T1 ⊕ (C1 ⊕ C')·H²`` is a valid tag for any ciphertext C' of the same length (A. Joux,
"Authentication failures in NIST version of GCM", 2006). Longer messages give a polynomial in H
instead of a single product; the principle is the same.

The lesson code here attacks one-block messages only; the notebook shows the forged message being
accepted by the ``cryptography`` package's AES-GCM.
"""

from __future__ import annotations

from .. import _checks

_R = 0xE1 << 120          # GCM's reduction polynomial x^128 + x^7 + x^2 + x + 1, bit-reflected
_BLOCK = 16


def _block(name: str, value) -> int:
    if not isinstance(value, (bytes, bytearray)) or len(value) != _BLOCK:
        raise ValueError(f"{name} must be 16 bytes (one GCM block)")
    return int.from_bytes(bytes(value), "big")


def gf128_mul(x: int, y: int) -> int:
    """Product in GCM's GF(2^128) (NIST SP 800-38D, algorithm 1), blocks as big-endian integers.

    Parameters
    ----------
    x, y : int
        Field elements as big-endian integers, 0 <= x, y <= 2**128 - 1 (Python or NumPy ints;
        floats and bools are refused). Work is fixed: 128 shift-and-add steps.

    Returns
    -------
    int
        The product, 0 <= result <= 2**128 - 1.

    Raises
    ------
    TypeError
        When ``x`` or ``y`` is not an integer.
    ValueError
        When ``x`` or ``y`` does not fit 128 bits (negative included).

    Examples
    --------
    >>> one = 1 << 127            # the field's 1 in GCM's bit order
    >>> gf128_mul(one, 12345) == 12345
    True
    """
    x = _checks.integer("x (a 128-bit field element)", x, low=0, high=(1 << 128) - 1)
    y = _checks.integer("y (a 128-bit field element)", y, low=0, high=(1 << 128) - 1)
    z, v = 0, y
    for i in range(127, -1, -1):
        if (x >> i) & 1:
            z ^= v
        v = (v >> 1) ^ _R if v & 1 else v >> 1
    return z


def gf128_inv(x: int) -> int:
    """Inverse in GF(2^128): ``x^(2^128 - 2)``; ``x`` must be non-zero.

    Parameters
    ----------
    x : int
        A non-zero field element as a big-endian integer, 1 <= x <= 2**128 - 1 (Python or NumPy
        int; floats and bools are refused). Work is fixed: 254 field multiplications.

    Returns
    -------
    int
        ``y`` with ``gf128_mul(x, y)`` equal to the field's 1 (``1 << 127`` in GCM's bit order).

    Raises
    ------
    TypeError
        When ``x`` is not an integer.
    ValueError
        When ``x`` is 0 or does not fit 128 bits.

    Examples
    --------
    >>> x = 0x66E94BD4EF8A2C3B884CFA59CA342B2E
    >>> gf128_mul(x, gf128_inv(x)) == 1 << 127
    True
    """
    x = _checks.integer("x (a non-zero 128-bit field element)", x, low=1, high=(1 << 128) - 1)
    result, base, e = 1 << 127, x, (1 << 128) - 2
    while e:
        if e & 1:
            result = gf128_mul(result, base)
        base = gf128_mul(base, base)
        e >>= 1
    return result


def forge_after_nonce_reuse(c1: bytes, t1: bytes, c2: bytes, t2: bytes, known_plain1: bytes,
                            new_plain: bytes) -> tuple[bytes, bytes]:
    """Ciphertext and valid tag for ``new_plain`` from two one-block messages that reused a nonce.

    Parameters
    ----------
    c1, t1, c2, t2 : bytes
        Two 16-byte ciphertexts and their 16-byte tags, same key and nonce, no associated data.
    known_plain1 : bytes
        The plaintext of ``c1`` (16 bytes), e.g. a guessed header.
    new_plain : bytes
        The 16 bytes the attacker wants the receiver to accept.

    Returns
    -------
    (bytes, bytes)
        ``(ciphertext, tag)`` that decrypts, under the victim's key and nonce, to ``new_plain``.
    """
    C1, T1, C2, T2 = (_block(n, v) for n, v in (("c1", c1), ("t1", t1), ("c2", c2), ("t2", t2)))
    P1, Pn = _block("known_plain1", known_plain1), _block("new_plain", new_plain)
    if C1 == C2:
        raise ValueError("c1 and c2 must differ")
    h2 = gf128_mul(T1 ^ T2, gf128_inv(C1 ^ C2))     # H^2 from the two tags
    Cn = C1 ^ P1 ^ Pn                               # same keystream: flip plaintext bits
    Tn = T1 ^ gf128_mul(C1 ^ Cn, h2)
    return Cn.to_bytes(_BLOCK, "big"), Tn.to_bytes(_BLOCK, "big")
