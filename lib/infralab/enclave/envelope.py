"""Envelope encryption with AES-256-GCM from the ``cryptography`` package.

Each object gets its own random 256-bit **data key**; the data key is encrypted ("wrapped") by a
**key-encryption key** (KEK) that never leaves the key service. Rotating the KEK means re-wrapping a
32-byte data key per object, not re-encrypting the objects. AES-GCM authenticates as well as
encrypts: the 16-byte tag covers the ciphertext and the associated data (AAD), so a flipped bit or
a ciphertext moved to another context fails with ``InvalidTag``.

Nonces are 96 bits, random per encryption (NIST SP 800-38D allows 2**32 random nonces per key). A
reused nonce under the same key leaks the XOR of the plaintexts: :func:`xor_bytes` shows it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12


@dataclass(frozen=True)
class Envelope:
    """What is stored beside an encrypted object: the wrapped data key and both nonces."""
    wrapped_key: bytes      # AES-GCM(KEK) of the data key, tag appended
    key_nonce: bytes
    nonce: bytes
    ciphertext: bytes       # AES-GCM(data key) of the object, tag appended
    kek_id: str


def new_key() -> bytes:
    """A fresh random 256-bit key (``AESGCM.generate_key``)."""
    return AESGCM.generate_key(bit_length=256)


def _wrap_aad(kek_id: str, aad: bytes) -> bytes:
    return b"wrap|" + kek_id.encode() + b"|" + aad


def envelope_encrypt(plaintext: bytes, kek: bytes, aad: bytes = b"", kek_id: str = "kek-1") -> Envelope:
    """Encrypt ``plaintext`` under a fresh data key, and wrap that key with ``kek``.

    ``aad`` (associated data, e.g. the object's name and owner) is authenticated, not encrypted:
    decryption must present the same bytes.
    """
    if not isinstance(plaintext, (bytes, bytearray)) or not isinstance(aad, (bytes, bytearray)):
        raise TypeError("plaintext and aad must be bytes")
    if not isinstance(kek, (bytes, bytearray)) or len(kek) != 32:
        raise ValueError("kek must be a 32-byte AES-256 key")
    data_key = new_key()
    nonce, key_nonce = os.urandom(NONCE_BYTES), os.urandom(NONCE_BYTES)
    ciphertext = AESGCM(data_key).encrypt(nonce, bytes(plaintext), bytes(aad))
    wrapped = AESGCM(bytes(kek)).encrypt(key_nonce, data_key, _wrap_aad(kek_id, bytes(aad)))
    return Envelope(wrapped, key_nonce, nonce, ciphertext, kek_id)


def unwrap_key(env: Envelope, kek: bytes, aad: bytes = b"") -> bytes:
    """The data key of ``env`` (raises ``cryptography.exceptions.InvalidTag`` on any tampering)."""
    return AESGCM(bytes(kek)).decrypt(env.key_nonce, env.wrapped_key, _wrap_aad(env.kek_id, bytes(aad)))


def envelope_decrypt(env: Envelope, kek: bytes, aad: bytes = b"") -> bytes:
    """Unwrap the data key and decrypt; ``InvalidTag`` if anything (key, data, AAD) was altered."""
    return AESGCM(unwrap_key(env, kek, aad)).decrypt(env.nonce, env.ciphertext, bytes(aad))


def rewrap(env: Envelope, old_kek: bytes, new_kek: bytes, new_kek_id: str, aad: bytes = b"") -> Envelope:
    """Key rotation: re-encrypt only the 32-byte data key under ``new_kek``; the object is untouched."""
    data_key = unwrap_key(env, old_kek, aad)
    key_nonce = os.urandom(NONCE_BYTES)
    wrapped = AESGCM(bytes(new_kek)).encrypt(key_nonce, data_key, _wrap_aad(new_kek_id, bytes(aad)))
    return Envelope(wrapped, key_nonce, env.nonce, env.ciphertext, new_kek_id)


def xor_bytes(a: bytes, b: bytes) -> bytes:
    """Byte-wise XOR of the common prefix of ``a`` and ``b`` (to show what nonce reuse leaks)."""
    return bytes(x ^ y for x, y in zip(a, b))
