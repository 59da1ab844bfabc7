"""Envelope encryption with AES-256-GCM from the ``cryptography`` package.

Each object gets its own random 256-bit **data key**; the data key is encrypted ("wrapped") by a
**key-encryption key** (KEK) that never leaves the key service. Rotating the KEK means re-wrapping a
32-byte data key per object, not re-encrypting the objects. AES-GCM authenticates as well as
encrypts: the 16-byte tag covers the ciphertext and the associated data (AAD), so a flipped bit or
a ciphertext moved to another context fails with ``InvalidTag``.

Nonces are 96 bits, random per encryption (NIST SP 800-38D allows 2**32 random nonces per key). A
reused nonce under the same key leaks the XOR of the plaintexts: :func:`xor_bytes` shows it.

Fail closed: keys and KEKs must be bytes-like and exactly 32 bytes (an int such as 32 is a
TypeError, never ``bytes(32)``, the all-zero key), ids must be ``str``, and every function refuses
other input with TypeError or ValueError naming the parameter. Authentication failures raise
:class:`EnvelopeTampered`, which is both a ``ValueError`` and the ``cryptography`` package's
``InvalidTag``. Plaintexts are capped at :data:`MAX_PLAINTEXT` bytes (1 GiB, about a second of
AES-GCM on one core) so that one call bounds its work.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .. import _checks

NONCE_BYTES = 12
KEY_BYTES = 32
TAG_BYTES = 16
#: Largest plaintext (and object ciphertext) accepted, bytes.
MAX_PLAINTEXT = 1 << 30
#: Largest associated data, bytes.
MAX_AAD = 1 << 20
#: Largest key id, characters.
MAX_ID = 256


class EnvelopeTampered(InvalidTag, ValueError):
    """Authenticated decryption failed: the key, the ciphertext or the AAD differs from encryption.

    It is an ``InvalidTag`` (what ``cryptography`` raises) and a ``ValueError`` (the refusal type of
    the package's contract)."""


def _key(name: str, value) -> bytes:
    if not isinstance(value, (bytes, bytearray, memoryview)):
        raise TypeError(f"{name} must be a {KEY_BYTES}-byte key (bytes), got {type(value).__name__}")
    if len(value) != KEY_BYTES:
        raise ValueError(f"{name} must be {KEY_BYTES} bytes (AES-256), got {len(value)}")
    return bytes(value)


def _id(name: str, value) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, got {type(value).__name__}")
    if not 0 < len(value) <= MAX_ID:
        raise ValueError(f"{name} must have 1..{MAX_ID} characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(f"{name} must be encodable as UTF-8") from None
    return value


@dataclass(frozen=True)
class Envelope:
    """What is stored beside an encrypted object: the wrapped data key and both nonces.

    Its fields are checked on creation (TypeError/ValueError): ``wrapped_key`` 48 bytes,
    ``key_nonce`` and ``nonce`` 12 bytes, ``ciphertext`` 16 .. 2**30 + 16 bytes, ``kek_id`` a str."""
    wrapped_key: bytes      # AES-GCM(KEK) of the data key, tag appended
    key_nonce: bytes
    nonce: bytes
    ciphertext: bytes       # AES-GCM(data key) of the object, tag appended
    kek_id: str

    def __post_init__(self):
        for name, size in (("wrapped_key", KEY_BYTES + TAG_BYTES), ("key_nonce", NONCE_BYTES), ("nonce", NONCE_BYTES)):
            value = _checks.bytes_like(name, getattr(self, name), max_len=size)
            if len(value) != size:
                raise ValueError(f"{name} must be {size} bytes, got {len(value)}")
            object.__setattr__(self, name, value)
        ct = _checks.bytes_like("ciphertext", self.ciphertext, max_len=MAX_PLAINTEXT + TAG_BYTES)
        if len(ct) < TAG_BYTES:
            raise ValueError(f"ciphertext must hold at least the {TAG_BYTES}-byte tag")
        object.__setattr__(self, "ciphertext", ct)
        _id("kek_id", self.kek_id)


def _envelope(env) -> Envelope:
    if not isinstance(env, Envelope):
        raise TypeError(f"env must be an Envelope, got {type(env).__name__}")
    return env


def new_key() -> bytes:
    """A fresh random 256-bit key (``AESGCM.generate_key``).

    Examples
    --------
    >>> len(new_key())
    32
    """
    return AESGCM.generate_key(bit_length=256)


def _wrap_aad(kek_id: str, aad: bytes) -> bytes:
    """The wrapped key's AAD binds the KEK id and the object's AAD, length-prefixed so that no two
    (kek_id, aad) pairs give the same bytes (with a plain separator, "a|b" + "c" = "a" + "b|c")."""
    kid = kek_id.encode("utf-8")
    return b"wrap" + len(kid).to_bytes(2, "big") + kid + aad


def envelope_encrypt(plaintext: bytes, kek: bytes, aad: bytes = b"", kek_id: str = "kek-1") -> Envelope:
    """Encrypt ``plaintext`` under a fresh data key, and wrap that key with ``kek``.

    Parameters
    ----------
    plaintext : bytes
        At most :data:`MAX_PLAINTEXT` (2**30) bytes.
    kek : bytes
        The 32-byte key-encryption key.
    aad : bytes
        Associated data (e.g. the object's name and owner), at most 2**20 bytes: authenticated, not
        encrypted; decryption must present the same bytes.
    kek_id : str
        Name of the KEK (1..256 characters), bound into the wrapped key's AAD.

    Examples
    --------
    >>> kek = new_key()
    >>> envelope_decrypt(envelope_encrypt(b"weights", kek, aad=b"s3://m"), kek, aad=b"s3://m")
    b'weights'
    >>> envelope_encrypt(b"weights", 32)
    Traceback (most recent call last):
    ...
    TypeError: kek must be a 32-byte key (bytes), got int
    """
    plaintext = _checks.bytes_like("plaintext", plaintext, max_len=MAX_PLAINTEXT)
    kek, aad, kek_id = _key("kek", kek), _checks.bytes_like("aad", aad, max_len=MAX_AAD), _id("kek_id", kek_id)
    data_key = new_key()
    nonce, key_nonce = os.urandom(NONCE_BYTES), os.urandom(NONCE_BYTES)
    ciphertext = AESGCM(data_key).encrypt(nonce, plaintext, aad)
    wrapped = AESGCM(kek).encrypt(key_nonce, data_key, _wrap_aad(kek_id, aad))
    return Envelope(wrapped, key_nonce, nonce, ciphertext, kek_id)


def unwrap_key(env: Envelope, kek: bytes, aad: bytes = b"") -> bytes:
    """The data key of ``env``.

    Raises TypeError/ValueError for a malformed ``env``, ``kek`` or ``aad``, and
    :class:`EnvelopeTampered` (an ``InvalidTag``) when the KEK, the wrapped key, its id or the AAD
    differ from encryption."""
    env, kek, aad = _envelope(env), _key("kek", kek), _checks.bytes_like("aad", aad, max_len=MAX_AAD)
    try:
        return AESGCM(kek).decrypt(env.key_nonce, env.wrapped_key, _wrap_aad(env.kek_id, aad))
    except InvalidTag:
        raise EnvelopeTampered("wrapped key: wrong KEK, or the key, its id or the AAD was altered") from None


def envelope_decrypt(env: Envelope, kek: bytes, aad: bytes = b"") -> bytes:
    """Unwrap the data key and decrypt; :class:`EnvelopeTampered` (an ``InvalidTag``) if anything
    (key, data, AAD) was altered, TypeError/ValueError for malformed arguments."""
    data_key = unwrap_key(env, kek, aad)
    try:
        return AESGCM(data_key).decrypt(env.nonce, env.ciphertext, bytes(aad))
    except InvalidTag:
        raise EnvelopeTampered("ciphertext: the object or its AAD was altered") from None


def rewrap(env: Envelope, old_kek: bytes, new_kek: bytes, new_kek_id: str, aad: bytes = b"") -> Envelope:
    """Key rotation: re-encrypt only the 32-byte data key under ``new_kek``; the object is untouched.

    Every argument is checked before anything is decrypted: ``new_kek`` must be a 32-byte key
    (``rewrap(env, kek, 32, "kek-2")`` is a TypeError, never a wrap under ``bytes(32)``).

    Examples
    --------
    >>> old, new = new_key(), new_key()
    >>> env = rewrap(envelope_encrypt(b"x", old), old, new, "kek-2")
    >>> envelope_decrypt(env, new), env.kek_id
    (b'x', 'kek-2')
    """
    env, old_kek = _envelope(env), _key("old_kek", old_kek)
    new_kek, new_kek_id = _key("new_kek", new_kek), _id("new_kek_id", new_kek_id)
    aad = _checks.bytes_like("aad", aad, max_len=MAX_AAD)
    data_key = unwrap_key(env, old_kek, aad)
    key_nonce = os.urandom(NONCE_BYTES)
    wrapped = AESGCM(new_kek).encrypt(key_nonce, data_key, _wrap_aad(new_kek_id, aad))
    return Envelope(wrapped, key_nonce, env.nonce, env.ciphertext, new_kek_id)


def xor_bytes(a: bytes, b: bytes) -> bytes:
    """Byte-wise XOR of the common prefix of ``a`` and ``b`` (to show what nonce reuse leaks).

    Each input is bytes of at most :data:`MAX_PLAINTEXT` bytes.

    Examples
    --------
    >>> xor_bytes(b"ab", b"AB!")     # 'a' ^ 'A' = 0x20, a space; the unpaired '!' is dropped
    b'  '
    """
    a, b = _checks.bytes_like("a", a, max_len=MAX_PLAINTEXT), _checks.bytes_like("b", b, max_len=MAX_PLAINTEXT)
    n = min(len(a), len(b))
    return (np.frombuffer(a, np.uint8, n) ^ np.frombuffer(b, np.uint8, n)).tobytes()
