"""A local model of AWS KMS releasing keys only to an attested enclave (no network, no account).

The real flow (AWS KMS documentation): the enclave asks the Nitro Secure Module for an attestation
document that carries its PCRs, a fresh nonce and an RSA public key generated inside the enclave,
and sends it as ``Recipient = {AttestationDocument, KeyEncryptionAlgorithm: RSAES_OAEP_SHA_256}``
with ``GenerateDataKey`` or ``Decrypt``. KMS verifies the document, evaluates the key policy's
conditions (``kms:RecipientAttestation:ImageSha384`` = PCR0, ``kms:RecipientAttestation:PCR<n>``,
lower-case hex), and returns no plaintext, only ``CiphertextForRecipient``: the data key encrypted to
the enclave's public key. The parent instance relays it but cannot read it.

Simplifications, stated: the real ``CiphertextForRecipient`` is a CMS EnvelopedData structure; here
it is RSA-OAEP-SHA256 of the data key directly. Key material lives in this Python object, which
stands in for KMS's HSMs.

Additions to what AWS documents, stated: the model refuses a nonce it has seen before ("each nonce
once"). AWS KMS documents no such check and needs none: a replayed request gets a response encrypted
to the enclave's own public key, which only that enclave can open, and the KMS connection itself is
TLS (aws-nitro-enclaves-sdk-c issue #74). The model also requires the document's timestamp to lie
within a freshness window of its clock (default 5 minutes, see
:data:`~infralab.enclave.attestation.DEFAULT_FRESHNESS`).

The model fails closed: a policy flag that is not a real ``bool``, a clock that fails or returns a
naive or non-datetime value, a malformed request, or any failure inside the verifier is a refusal
(:class:`KMSAccessDenied` for requests, ``TypeError``/``ValueError`` for the caller's own
configuration), never a grant.
"""

from __future__ import annotations

import datetime as _dt
import hmac
import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Callable

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .. import _checks
from .attestation import (DEFAULT_FRESHNESS, AttestationError, TestPKI, _is_pcr_index, _load_root, _utc_now,
                          _window, mint_attestation, pcr_value, verify_attestation)
from .measure import PCR_BYTES, measure_image

OAEP = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
KEY_ENCRYPTION_ALGORITHM = "RSAES_OAEP_SHA_256"
#: A ciphertext blob: 12-byte nonce, 32-byte data key, 16-byte GCM tag.
BLOB_BYTES = 12 + 32 + 16


class KMSAccessDenied(Exception):
    """The local KMS refused a request; ``check`` says which condition failed."""

    def __init__(self, check: str, reason: str):
        super().__init__(f"{check}: {reason}")
        self.check = check
        self.reason = reason


def _hex_pcr(name: str, value) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a {2 * PCR_BYTES}-character hex string (as in the condition key), "
                        f"got {type(value).__name__}; use bytes.hex()")
    return pcr_value(name, value).hex()


_ZERO_PCR_HEX = "00" * PCR_BYTES


@dataclass(frozen=True)
class KeyPolicy:
    """Conditions under which a key's data keys may be released.

    ``image_sha384`` and ``pcrs`` hold 96-character hex strings, as the condition keys
    ``kms:RecipientAttestation:ImageSha384`` and ``kms:RecipientAttestation:PCR<n>`` do (stored in
    lower case); PCR indices are 0..31. Every condition given must hold: when both
    ``image_sha384`` and ``pcrs[0]`` are set, both are checked. ``require_attestation`` must be a
    real ``bool`` (``None``, ``0`` or ``""`` are refused with TypeError, never read as False); with
    True (the default) no plaintext data key ever leaves the service. A condition of 48 zero bytes
    is refused with ValueError: a debug-mode enclave reports PCR0, PCR1 and PCR2 as zeros (and an
    unsigned image a zero PCR8), so such a condition would release keys to *every* debug-mode or
    unsigned enclave instead of pinning one image. Two more misconfigurations are refused with
    ValueError rather than read generously: ``require_attestation=True`` with no condition (any
    enclave that chains to the root, debug-mode ones included, would get keys), and conditions with
    ``require_attestation=False`` (plaintext keys would go to callers the conditions never see).

    Examples
    --------
    >>> KeyPolicy(image_sha384="AB" * 48).image_sha384[:4]
    'abab'
    >>> KeyPolicy(require_attestation=None)
    Traceback (most recent call last):
    ...
    TypeError: require_attestation must be True or False, got NoneType
    >>> KeyPolicy()
    Traceback (most recent call last):
    ...
    ValueError: require_attestation=True needs at least one condition (image_sha384 or pcrs): with none, any enclave that chains to the root, debug-mode ones included, would get keys
    """
    image_sha384: str | None = None
    pcrs: Mapping[int, str] = field(default_factory=dict)
    require_attestation: bool = True

    def __post_init__(self):
        if type(self.require_attestation) is not bool:
            raise TypeError(f"require_attestation must be True or False, got {type(self.require_attestation).__name__}")
        if self.image_sha384 is not None:
            object.__setattr__(self, "image_sha384", _hex_pcr("image_sha384", self.image_sha384))
        if not isinstance(self.pcrs, Mapping):
            raise TypeError(f"pcrs must be a dict of PCR index to hex string, got {type(self.pcrs).__name__}")
        clean = {}
        for idx, value in self.pcrs.items():
            if not _is_pcr_index(idx):
                raise ValueError("pcrs: PCR indices must be integers 0..31")
            clean[idx] = _hex_pcr(f"pcrs[{idx}]", value)
        named = [("image_sha384", self.image_sha384)] + [(f"pcrs[{i}]", v) for i, v in clean.items()]
        for name, value in named:
            if value is not None and value == _ZERO_PCR_HEX:
                raise ValueError(f"{name} is all zeros: debug-mode enclaves report zero PCR0-2 (unsigned images a "
                                 "zero PCR8), so this condition would match any of them; pin a real measurement")
        has_conditions = self.image_sha384 is not None or bool(clean)
        if self.require_attestation and not has_conditions:
            raise ValueError("require_attestation=True needs at least one condition (image_sha384 or pcrs): with "
                             "none, any enclave that chains to the root, debug-mode ones included, would get keys")
        if not self.require_attestation and has_conditions:
            raise ValueError("conditions need require_attestation=True: without it, plaintext data keys go to "
                             "callers that present no attestation, so the conditions would protect nothing")
        object.__setattr__(self, "pcrs", MappingProxyType(clean))   # a private, read-only copy

    def conditions(self) -> list[tuple[int, str, str]]:
        """Every condition as (PCR index, lower-case hex, condition key name)."""
        out = [(0, self.image_sha384, "ImageSha384")] if self.image_sha384 is not None else []
        return out + [(i, v, f"PCR{i}") for i, v in sorted(self.pcrs.items())]


def _key_id(key_id) -> str:
    if not isinstance(key_id, str):
        raise TypeError(f"key_id must be a str, got {type(key_id).__name__}")
    return key_id


class LocalKMS:
    """A key service that wraps data keys under per-key KEKs and enforces :class:`KeyPolicy`.

    Parameters
    ----------
    trusted_root_pem : bytes
        The root that attestation documents must chain to (PEM or DER).
    clock : callable, optional
        Returns the current time as a timezone-aware datetime; the notebook moves it to show
        expiry. Default: the system clock in UTC. A clock that raises, or returns anything but an
        aware datetime, makes every attested request a denial (check ``clock``).
    freshness : timedelta
        Largest distance between an attestation's own timestamp and the clock, either way
        (default 5 minutes: a genuine document is sent seconds after it is signed, while its leaf
        certificate stays valid for hours, so the window is what limits reuse of an old document).

    Examples
    --------
    >>> import datetime as dt
    >>> pki = TestPKI(start=dt.datetime(2030, 1, 1, tzinfo=dt.timezone.utc))
    >>> kms = LocalKMS(pki.root_pem, clock=lambda: None)
    >>> key_id = kms.create_key(KeyPolicy(image_sha384="ab" * 48))
    >>> kms.generate_data_key(key_id, recipient={"AttestationDocument": b"", "KeyEncryptionAlgorithm": "RSAES_OAEP_SHA_256"})
    Traceback (most recent call last):
    ...
    infralab.enclave.kms.KMSAccessDenied: clock: the clock returned NoneType, not a timezone-aware datetime
    """

    def __init__(self, trusted_root_pem: bytes, clock: Callable[[], _dt.datetime] | None = None, *,
                 freshness: _dt.timedelta = DEFAULT_FRESHNESS):
        root = _checks.bytes_like("trusted_root_pem", trusted_root_pem)
        try:
            _load_root(root)
        except AttestationError as err:
            raise ValueError(f"trusted_root_pem: {err.reason}") from None
        if clock is not None and not callable(clock):
            raise TypeError(f"clock must be callable or None, got {type(clock).__name__}")
        self._root = root
        self._clock = clock or _utc_now
        self._freshness = _window("freshness", freshness)
        self._keys: dict[str, tuple[bytes, KeyPolicy]] = {}
        self._seen_nonces: set[bytes] = set()

    def with_clock(self, clock: Callable[[], _dt.datetime]) -> "LocalKMS":
        """The same service (same keys, same record of used nonces, same freshness) read with another clock."""
        other = LocalKMS(self._root, clock, freshness=self._freshness)
        other._keys, other._seen_nonces = self._keys, self._seen_nonces
        return other

    def create_key(self, policy: KeyPolicy) -> str:
        """Create a KEK with ``policy``; returns its key id."""
        if not isinstance(policy, KeyPolicy):
            raise TypeError("policy must be a KeyPolicy")
        key_id = f"key-{uuid.uuid4()}"
        self._keys[key_id] = (AESGCM.generate_key(bit_length=256), policy)
        return key_id

    def _key(self, key_id: str) -> tuple[bytes, KeyPolicy]:
        if _key_id(key_id) not in self._keys:
            raise KMSAccessDenied("key", f"unknown key id {key_id[:80]!r}")
        return self._keys[key_id]

    def _now(self) -> _dt.datetime:
        try:
            now = self._clock()
        except Exception as exc:
            raise KMSAccessDenied("clock", f"the clock failed ({type(exc).__name__})") from None
        if not isinstance(now, _dt.datetime) or now.tzinfo is None or now.utcoffset() is None:
            raise KMSAccessDenied("clock", f"the clock returned {type(now).__name__}"
                                           f"{' (naive)' if isinstance(now, _dt.datetime) else ''}, "
                                           "not a timezone-aware datetime")
        return now

    def _authorize(self, policy: KeyPolicy, recipient) -> tuple:
        """Verify the recipient's attestation against the policy; return (RSA public key, nonce).

        The nonce is recorded only once the whole request has succeeded."""
        if recipient is None:
            if policy.require_attestation:
                raise KMSAccessDenied("recipient", "the key policy requires an attested recipient")
            return None, None
        if not isinstance(recipient, Mapping):
            raise KMSAccessDenied("recipient", f"Recipient must be a map, got {type(recipient).__name__}")
        algorithm = recipient.get("KeyEncryptionAlgorithm")
        if not isinstance(algorithm, str) or algorithm != KEY_ENCRYPTION_ALGORITHM:
            raise KMSAccessDenied("recipient", f"KeyEncryptionAlgorithm must be {KEY_ENCRYPTION_ALGORITHM}")
        now = self._now()
        try:
            payload = verify_attestation(recipient.get("AttestationDocument"), self._root, at=now,
                                         freshness=self._freshness)
        except AttestationError as err:
            raise KMSAccessDenied(f"attestation.{err.check}", err.reason) from None
        except Exception as exc:   # fail closed: whatever the verifier does, it is not a grant
            raise KMSAccessDenied("attestation.internal", f"the verifier failed ({type(exc).__name__})") from None
        for idx, want_hex, condition in policy.conditions():
            got = payload["pcrs"].get(idx)
            if got is None or not hmac.compare_digest(got.hex(), want_hex):
                raise KMSAccessDenied("policy", f"PCR{idx} does not match kms:RecipientAttestation:{condition}")
        nonce = payload["nonce"]
        if not nonce:
            raise KMSAccessDenied("nonce", "the attestation carries no nonce")
        # keyed on the signed nonce, never on the signature bytes: ECDSA signatures are malleable
        if nonce in self._seen_nonces:
            raise KMSAccessDenied("nonce", "this attestation's nonce was already used (replay; a model addition)")
        try:
            public_key = serialization.load_der_public_key(payload["public_key"] or b"")
        except Exception:
            raise KMSAccessDenied("recipient", "the attestation carries no usable public key") from None
        if not isinstance(public_key, rsa.RSAPublicKey) or not 2048 <= public_key.key_size <= 8192:
            raise KMSAccessDenied("recipient", "the attestation's public key must be RSA of 2048..8192 bits")
        return public_key, nonce

    def _grant(self, nonce, public_key, data_key: bytes) -> bytes | None:
        if public_key is None:
            return None
        sealed = public_key.encrypt(data_key, OAEP)
        self._seen_nonces.add(nonce)
        return sealed

    def generate_data_key(self, key_id: str, *, recipient: dict | None = None) -> dict:
        """A fresh 256-bit data key: ``CiphertextBlob`` (wrapped under the KEK) and either
        ``CiphertextForRecipient`` (attested recipient) or ``Plaintext`` (only if the policy allows).

        Raises
        ------
        TypeError
            ``key_id`` is not a str.
        KMSAccessDenied
            On any failed check (``check`` names it: key, recipient, clock, attestation.<check>,
            policy, nonce); nothing about the key is returned then, and no nonce is used up.
        """
        kek, policy = self._key(key_id)
        public_key, nonce = self._authorize(policy, recipient)
        data_key = AESGCM.generate_key(bit_length=256)
        iv = os.urandom(12)
        blob = iv + AESGCM(kek).encrypt(iv, data_key, key_id.encode("utf-8", "surrogatepass"))
        sealed = self._grant(nonce, public_key, data_key)
        if sealed is None:
            return {"KeyId": key_id, "CiphertextBlob": blob, "Plaintext": data_key}
        return {"KeyId": key_id, "CiphertextBlob": blob, "CiphertextForRecipient": sealed}

    def decrypt(self, key_id: str, ciphertext_blob: bytes, *, recipient: dict | None = None) -> dict:
        """Unwrap ``ciphertext_blob`` and return it to the attested recipient (same rules as above).

        Raises TypeError for a ``key_id`` that is not a str or a ``ciphertext_blob`` that is not
        bytes, and KMSAccessDenied for everything else (check ``ciphertext`` for a blob that does
        not belong to this key)."""
        _key_id(key_id)
        blob = _checks.bytes_like("ciphertext_blob", ciphertext_blob)
        kek, policy = self._key(key_id)
        public_key, nonce = self._authorize(policy, recipient)
        if len(blob) != BLOB_BYTES:
            raise KMSAccessDenied("ciphertext", f"a ciphertext blob is {BLOB_BYTES} bytes, got {len(blob)}")
        try:
            data_key = AESGCM(kek).decrypt(blob[:12], blob[12:], key_id.encode("utf-8", "surrogatepass"))
        except Exception:
            raise KMSAccessDenied("ciphertext", "the ciphertext blob does not belong to this key") from None
        sealed = self._grant(nonce, public_key, data_key)
        if sealed is None:
            return {"KeyId": key_id, "Plaintext": data_key}
        return {"KeyId": key_id, "CiphertextForRecipient": sealed}


class ToyEnclave:
    """An enclave image with its own RSA key pair; its 'NSM' signs attestations with a TEST chain.

    Parameters
    ----------
    kernel, init, application : bytes
        The image sections, measured into PCR0/1/2 by :func:`measure_image`.
    pki : TestPKI
        Stands in for the Nitro hypervisor's signing chain.
    clock : callable, optional
        The 'NSM' clock that stamps each document, as the real NSM stamps the time it signs
        (timezone-aware datetime). Default: the system clock in UTC.
    """

    def __init__(self, kernel: bytes, init: bytes, application: bytes, pki: TestPKI, *,
                 clock: Callable[[], _dt.datetime] | None = None):
        if not isinstance(pki, TestPKI):
            raise TypeError(f"pki must be a TestPKI, got {type(pki).__name__}")
        if clock is not None and not callable(clock):
            raise TypeError(f"clock must be callable or None, got {type(clock).__name__}")
        self._clock = clock or _utc_now
        self.pcrs = {i: bytes(PCR_BYTES) for i in range(16)}
        self.pcrs.update(measure_image(kernel, init, application))
        self._pki = pki
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def public_key_der(self) -> bytes:
        return self._key.public_key().public_bytes(serialization.Encoding.DER,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo)

    def recipient(self, nonce: bytes | None = None, **mint_kwargs) -> dict:
        """The ``Recipient`` parameter for KMS: a fresh attestation with this enclave's PCRs and key,
        stamped with this enclave's clock unless ``timestamp`` is given in ``mint_kwargs``."""
        if "timestamp" not in mint_kwargs:
            mint_kwargs["timestamp"] = self._clock()
        doc = mint_attestation(self._pki, self.pcrs, public_key=self.public_key_der(),
                               nonce=os.urandom(20) if nonce is None else nonce, **mint_kwargs)
        return {"AttestationDocument": doc, "KeyEncryptionAlgorithm": KEY_ENCRYPTION_ALGORITHM}

    def open(self, ciphertext_for_recipient: bytes) -> bytes:
        """Decrypt a ``CiphertextForRecipient`` inside the enclave (TypeError for non-bytes,
        ValueError for a ciphertext that is not for this enclave's key)."""
        return self._key.decrypt(_checks.bytes_like("ciphertext_for_recipient", ciphertext_for_recipient), OAEP)
