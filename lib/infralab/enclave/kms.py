"""A local model of AWS KMS releasing keys only to an attested enclave (no network, no account).

The real flow (AWS KMS documentation): the enclave asks the Nitro Secure Module for an attestation
document that carries its PCRs, a fresh nonce and an RSA public key generated inside the enclave,
and sends it as ``Recipient = {AttestationDocument, KeyEncryptionAlgorithm: RSAES_OAEP_SHA_256}``
with ``GenerateDataKey`` or ``Decrypt``. KMS verifies the document, evaluates the key policy's
conditions (``kms:RecipientAttestation:ImageSha384`` = PCR0, ``kms:RecipientAttestation:PCR<n>``,
lower-case hex), and returns no plaintext, only ``CiphertextForRecipient``: the data key encrypted to
the enclave's public key. The parent instance relays it but cannot read it.

Simplifications, stated: the real ``CiphertextForRecipient`` is a CMS EnvelopedData structure; here
it is RSA-OAEP-SHA256 of the data key directly. Nonce freshness is modelled as "each nonce once".
Key material lives in this Python object, which stands in for KMS's HSMs.
"""

from __future__ import annotations

import datetime as _dt
import hmac
import os
import uuid
from dataclasses import dataclass, field
from typing import Callable

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .attestation import AttestationError, TestPKI, mint_attestation, verify_attestation
from .measure import PCR_BYTES, measure_image

OAEP = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
KEY_ENCRYPTION_ALGORITHM = "RSAES_OAEP_SHA_256"


class KMSAccessDenied(Exception):
    """The local KMS refused a request; ``check`` says which condition failed."""

    def __init__(self, check: str, reason: str):
        super().__init__(f"{check}: {reason}")
        self.check = check
        self.reason = reason


@dataclass(frozen=True)
class KeyPolicy:
    """Conditions under which a key's data keys may be released.

    ``image_sha384`` and ``pcrs`` hold lower-case hex, as the condition keys
    ``kms:RecipientAttestation:ImageSha384`` and ``kms:RecipientAttestation:PCR<n>`` do. With
    ``require_attestation`` (the default) no plaintext data key ever leaves the service.
    """
    image_sha384: str | None = None
    pcrs: dict[int, str] = field(default_factory=dict)
    require_attestation: bool = True


class LocalKMS:
    """A key service that wraps data keys under per-key KEKs and enforces :class:`KeyPolicy`.

    Parameters
    ----------
    trusted_root_pem : bytes
        The root that attestation documents must chain to.
    clock : callable, optional
        Returns the current time (timezone-aware); the notebook moves it to show expiry.
    """

    def __init__(self, trusted_root_pem: bytes, clock: Callable[[], _dt.datetime] | None = None):
        self._root = trusted_root_pem
        self._clock = clock or (lambda: _dt.datetime.now(_dt.timezone.utc))
        self._keys: dict[str, tuple[bytes, KeyPolicy]] = {}
        self._seen_nonces: set[bytes] = set()

    def with_clock(self, clock: Callable[[], _dt.datetime]) -> "LocalKMS":
        """The same service (same keys, same record of used nonces) read with another clock."""
        other = LocalKMS(self._root, clock)
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
        if key_id not in self._keys:
            raise KMSAccessDenied("key", f"unknown key id {key_id!r}")
        return self._keys[key_id]

    def _authorize(self, policy: KeyPolicy, recipient: dict | None):
        """Verify the recipient's attestation against the policy; return its RSA public key."""
        if recipient is None:
            if policy.require_attestation:
                raise KMSAccessDenied("recipient", "the key policy requires an attested recipient")
            return None
        if recipient.get("KeyEncryptionAlgorithm") != KEY_ENCRYPTION_ALGORITHM:
            raise KMSAccessDenied("recipient", f"KeyEncryptionAlgorithm must be {KEY_ENCRYPTION_ALGORITHM}")
        try:
            payload = verify_attestation(recipient.get("AttestationDocument"), self._root, at=self._clock())
        except AttestationError as err:
            raise KMSAccessDenied(f"attestation.{err.check}", err.reason) from None
        conditions = dict(policy.pcrs)
        if policy.image_sha384 is not None:
            conditions[0] = policy.image_sha384
        for idx, want_hex in conditions.items():
            got = payload["pcrs"].get(idx)
            if got is None or not hmac.compare_digest(got.hex(), want_hex.lower()):
                raise KMSAccessDenied("policy", f"PCR{idx} does not match kms:RecipientAttestation "
                                                f"{'ImageSha384' if idx == 0 else f'PCR{idx}'}")
        nonce = payload["nonce"]
        if not nonce:
            raise KMSAccessDenied("nonce", "the attestation carries no nonce")
        if nonce in self._seen_nonces:
            raise KMSAccessDenied("nonce", "this attestation's nonce was already used (replay)")
        try:
            public_key = serialization.load_der_public_key(payload["public_key"] or b"")
        except Exception:
            raise KMSAccessDenied("recipient", "the attestation carries no usable public key") from None
        if not isinstance(public_key, rsa.RSAPublicKey) or public_key.key_size < 2048:
            raise KMSAccessDenied("recipient", "the attestation's public key must be RSA >= 2048 bits")
        self._seen_nonces.add(nonce)
        return public_key

    def generate_data_key(self, key_id: str, *, recipient: dict | None = None) -> dict:
        """A fresh 256-bit data key: ``CiphertextBlob`` (wrapped under the KEK) and either
        ``CiphertextForRecipient`` (attested recipient) or ``Plaintext`` (only if the policy allows).

        Raises
        ------
        KMSAccessDenied
            On any failed check; nothing about the key is returned then.
        """
        kek, policy = self._key(key_id)
        public_key = self._authorize(policy, recipient)
        data_key = AESGCM.generate_key(bit_length=256)
        nonce = os.urandom(12)
        blob = nonce + AESGCM(kek).encrypt(nonce, data_key, key_id.encode())
        if public_key is None:
            return {"KeyId": key_id, "CiphertextBlob": blob, "Plaintext": data_key}
        return {"KeyId": key_id, "CiphertextBlob": blob,
                "CiphertextForRecipient": public_key.encrypt(data_key, OAEP)}

    def decrypt(self, key_id: str, ciphertext_blob: bytes, *, recipient: dict | None = None) -> dict:
        """Unwrap ``ciphertext_blob`` and return it to the attested recipient (same rules as above)."""
        kek, policy = self._key(key_id)
        public_key = self._authorize(policy, recipient)
        try:
            data_key = AESGCM(kek).decrypt(ciphertext_blob[:12], ciphertext_blob[12:], key_id.encode())
        except Exception:
            raise KMSAccessDenied("ciphertext", "the ciphertext blob does not belong to this key") from None
        if public_key is None:
            return {"KeyId": key_id, "Plaintext": data_key}
        return {"KeyId": key_id, "CiphertextForRecipient": public_key.encrypt(data_key, OAEP)}


class ToyEnclave:
    """An enclave image with its own RSA key pair; its 'NSM' signs attestations with a TEST chain.

    Parameters
    ----------
    kernel, init, application : bytes
        The image sections, measured into PCR0/1/2 by :func:`measure_image`.
    pki : TestPKI
        Stands in for the Nitro hypervisor's signing chain.
    """

    def __init__(self, kernel: bytes, init: bytes, application: bytes, pki: TestPKI):
        self.pcrs = {i: bytes(PCR_BYTES) for i in range(16)}
        self.pcrs.update(measure_image(kernel, init, application))
        self._pki = pki
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def public_key_der(self) -> bytes:
        return self._key.public_key().public_bytes(serialization.Encoding.DER,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo)

    def recipient(self, nonce: bytes | None = None, **mint_kwargs) -> dict:
        """The ``Recipient`` parameter for KMS: a fresh attestation with this enclave's PCRs and key."""
        doc = mint_attestation(self._pki, self.pcrs, public_key=self.public_key_der(),
                               nonce=os.urandom(20) if nonce is None else nonce, **mint_kwargs)
        return {"AttestationDocument": doc, "KeyEncryptionAlgorithm": KEY_ENCRYPTION_ALGORITHM}

    def open(self, ciphertext_for_recipient: bytes) -> bytes:
        """Decrypt a ``CiphertextForRecipient`` inside the enclave."""
        return self._key.decrypt(ciphertext_for_recipient, OAEP)
