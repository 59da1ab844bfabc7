"""AWS Nitro Enclaves attestation documents: verify a real one, and mint test ones in the same format.

An attestation document is a COSE_Sign1 structure (RFC 8152) in CBOR::

    [protected: bstr({1: -35}),   # ES384
     unprotected: {},
     payload: bstr(CBOR map: module_id, timestamp, digest, pcrs, certificate, cabundle,
                   public_key, user_data, nonce),
     signature: bstr(96)]         # r || s, ECDSA P-384 with SHA-384

The signature covers ``CBOR(["Signature1", protected, b"", payload])`` and is made with the key of
``certificate`` (the leaf), which chains through ``cabundle`` (root first) to the AWS Nitro Enclaves
Root-G1 certificate. :func:`verify_attestation` performs every check and raises
:class:`AttestationError` with the failed check's name for anything else, whatever the bytes.

:class:`TestPKI` and :func:`mint_attestation` build documents in the same format, signed by a local
test certificate chain generated at run time: the notebook uses them to show every way a document
can be refused. Nothing minted here is trusted by AWS; the test keys are labelled as such.

References
----------
aws-nitro-enclaves-nsm-api, docs/attestation_process.md. RFC 8152 (COSE), RFC 8949 (CBOR).
"""

from __future__ import annotations

import datetime as _dt
import hmac
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import cbor2
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from cryptography.x509.oid import NameOID

#: COSE algorithm identifier of ECDSA with SHA-384 (RFC 8152, table 5).
ES384 = -35
#: COSE_Sign1's CBOR tag (RFC 8152, table 1); documents may come tagged or untagged.
COSE_SIGN1_TAG = 18
PCR_LENGTHS = (32, 48, 64)
#: The order in which verify_attestation runs its checks; each AttestationError names one.
CHECKS = ("input", "structure", "protected_header", "payload", "certificates", "root", "validity",
          "chain", "signature", "pcrs", "nonce")


class AttestationError(Exception):
    """An attestation document was refused. ``check`` names the failed check (one of :data:`CHECKS`)."""

    def __init__(self, check: str, reason: str):
        super().__init__(f"{check}: {reason}")
        self.check = check
        self.reason = reason


def _fail(check: str, reason: str):
    raise AttestationError(check, reason)


def _cbor_exact(data: bytes, what: str, check: str) -> Any:
    """Decode exactly one CBOR item that spans all of ``data`` (trailing bytes are refused)."""
    stream = io.BytesIO(data)
    try:
        item = cbor2.CBORDecoder(stream).decode()
    except Exception as exc:  # cbor2 raises several types (and RecursionError on deep nesting)
        _fail(check, f"{what} is not valid CBOR ({type(exc).__name__})")
    if stream.tell() != len(data):
        _fail(check, f"{what} has {len(data) - stream.tell()} trailing bytes after the CBOR item")
    return item


def parse_cose_sign1(document: bytes) -> tuple[bytes, dict, bytes, bytes]:
    """Split a (tagged or untagged) COSE_Sign1 into protected, unprotected, payload, signature."""
    if not isinstance(document, (bytes, bytearray)):
        _fail("input", f"document must be bytes, got {type(document).__name__}")
    if len(document) == 0:
        _fail("input", "document is empty")
    obj = _cbor_exact(bytes(document), "document", "structure")
    if isinstance(obj, cbor2.CBORTag):
        if obj.tag != COSE_SIGN1_TAG:
            _fail("structure", f"CBOR tag {obj.tag} is not COSE_Sign1 ({COSE_SIGN1_TAG})")
        obj = obj.value
    if not isinstance(obj, (list, tuple)) or len(obj) != 4:   # cbor2 gives a tuple inside a tag
        _fail("structure", "COSE_Sign1 must be an array of 4 items")
    protected, unprotected, payload, signature = obj
    if not isinstance(protected, bytes) or not isinstance(payload, bytes) or not isinstance(signature, bytes):
        _fail("structure", "protected header, payload and signature must be byte strings")
    if not isinstance(unprotected, Mapping):
        _fail("structure", "unprotected header must be a map")
    if len(unprotected):
        # Nitro sends {}; nothing in the unprotected header is signed, so nothing there is accepted
        _fail("structure", "unprotected header must be empty (its contents would be unauthenticated)")
    if len(signature) != 96:
        _fail("structure", f"ES384 signature must be 96 bytes (r||s), got {len(signature)}")
    return protected, unprotected, payload, signature


def _check_protected(protected: bytes) -> None:
    header = _cbor_exact(protected, "protected header", "protected_header")
    if not isinstance(header, Mapping) or header.get(1) != ES384:
        _fail("protected_header", f"algorithm must be ES384 ({{1: {ES384}}}), got {header!r:.60}")


def _optional_bytes(payload: dict, key: str) -> bytes | None:
    value = payload.get(key)
    if value is not None and not isinstance(value, bytes):
        _fail("payload", f"{key} must be bytes or null")
    return value


def _check_payload(payload_bytes: bytes) -> dict:
    p = _cbor_exact(payload_bytes, "payload", "payload")
    if not isinstance(p, Mapping):
        _fail("payload", "payload must be a CBOR map")
    for key, kind, kind_name in (("module_id", str, "text"), ("timestamp", int, "integer"),
                                 ("digest", str, "text"), ("pcrs", Mapping, "map"),
                                 ("certificate", bytes, "byte string"), ("cabundle", (list, tuple), "array")):
        if not isinstance(p.get(key), kind) or isinstance(p.get(key), bool):
            _fail("payload", f"{key} is missing or not a {kind_name}")
    if not p["module_id"]:
        _fail("payload", "module_id is empty")
    if p["digest"] != "SHA384":
        _fail("payload", f"digest must be 'SHA384', got {p['digest']!r:.30}")
    if p["timestamp"] <= 0:
        _fail("payload", "timestamp must be positive (ms since the epoch)")
    pcrs = {}
    for idx, value in p["pcrs"].items():
        if not isinstance(idx, int) or isinstance(idx, bool) or not 0 <= idx < 32:
            _fail("payload", f"PCR index must be an integer 0..31, got {idx!r:.20}")
        if not isinstance(value, bytes) or len(value) not in PCR_LENGTHS:
            _fail("payload", f"PCR{idx} must be {PCR_LENGTHS} bytes long")
        pcrs[idx] = value
    if not p["cabundle"] or not all(isinstance(c, bytes) for c in p["cabundle"]):
        _fail("payload", "cabundle must be a non-empty list of DER certificates")
    return {"module_id": p["module_id"], "timestamp": p["timestamp"], "digest": p["digest"], "pcrs": pcrs,
            "certificate": p["certificate"], "cabundle": list(p["cabundle"]),
            "public_key": _optional_bytes(p, "public_key"), "user_data": _optional_bytes(p, "user_data"),
            "nonce": _optional_bytes(p, "nonce")}


def _load_der(der: bytes, what: str) -> x509.Certificate:
    """Parse a DER certificate, touching every field the checks use: the library parses lazily, so a
    corrupted subject would otherwise surface later as a ValueError from deep inside a check."""
    try:
        cert = x509.load_der_x509_certificate(der)
        cert.subject.rfc4514_string(), cert.issuer.rfc4514_string()
        cert.not_valid_before_utc, cert.not_valid_after_utc
        cert.public_key(), cert.signature_hash_algorithm
        list(cert.extensions)
        return cert
    except Exception as exc:
        _fail("certificates", f"{what} is not a well-formed DER X.509 certificate ({type(exc).__name__})")


def _load_root(root_certificate: bytes) -> x509.Certificate:
    if not isinstance(root_certificate, (bytes, bytearray)):
        _fail("input", f"root_certificate must be bytes (PEM or DER), got {type(root_certificate).__name__}")
    data = bytes(root_certificate)
    try:
        if data.lstrip().startswith(b"-----BEGIN"):
            return x509.load_pem_x509_certificate(data)
        return x509.load_der_x509_certificate(data)
    except Exception as exc:
        _fail("input", f"root_certificate is not a PEM or DER certificate ({type(exc).__name__})")


def sig_structure(protected: bytes, payload: bytes) -> bytes:
    """The bytes a COSE_Sign1 signature covers: ``CBOR(["Signature1", protected, b"", payload])``."""
    return cbor2.dumps(["Signature1", protected, b"", payload])


def verify_attestation(document: bytes, root_certificate: bytes, *, at: _dt.datetime | None = None,
                       expected_pcrs: dict[int, bytes] | None = None, nonce: bytes | None = None) -> dict:
    """Verify a Nitro Enclaves attestation document and return its payload.

    Parameters
    ----------
    document : bytes
        The raw CBOR bytes of the COSE_Sign1 (tagged or untagged).
    root_certificate : bytes
        The trusted root, PEM or DER (the AWS Nitro Enclaves Root-G1 certificate for real documents).
    at : datetime, optional
        The time at which certificates must be valid, timezone-aware; default now. Real documents'
        leaf certificates live for hours, so verify an old document as of its own timestamp.
    expected_pcrs : dict of int to bytes, optional
        PCR values that must match exactly (compared in constant time).
    nonce : bytes, optional
        The nonce the document must carry (freshness).

    Returns
    -------
    dict
        ``module_id``, ``timestamp`` (ms), ``digest``, ``pcrs`` ({int: bytes}), ``certificate``,
        ``cabundle``, ``public_key``, ``user_data``, ``nonce``.

    Raises
    ------
    AttestationError
        For every failure, whatever the input: its ``check`` is one of :data:`CHECKS` (in order:
        input, structure, protected_header, payload, certificates, root, validity, chain, signature,
        pcrs, nonce).
    TypeError
        Only for a naive ``at`` (a programming error, not a property of the document).

    Examples
    --------
    >>> import datetime as dt
    >>> from infralab import data_path
    >>> doc = load_document(data_path("nitro_attestation_2022-07-26.b64"))
    >>> root = data_path("aws_nitro_enclaves_root_g1.pem").read_bytes()
    >>> at = dt.datetime(2022, 7, 26, 18, 40, tzinfo=dt.timezone.utc)
    >>> verify_attestation(doc, root, at=at)["module_id"]
    'i-0936512d5ae6ee91a-enc01823bcde8eb8a8a'
    """
    if at is None:
        at = _dt.datetime.now(_dt.timezone.utc)
    if not isinstance(at, _dt.datetime) or at.tzinfo is None or at.utcoffset() is None:
        raise TypeError("at must be a timezone-aware datetime")
    root = _load_root(root_certificate)
    protected, _, payload_bytes, signature = parse_cose_sign1(document)
    _check_protected(protected)
    payload = _check_payload(payload_bytes)

    leaf = _load_der(payload["certificate"], "certificate")
    bundle = [_load_der(der, f"cabundle[{i}]") for i, der in enumerate(payload["cabundle"])]
    if not hmac.compare_digest(payload["cabundle"][0], root.public_bytes(serialization.Encoding.DER)):
        _fail("root", "cabundle[0] is not the trusted root certificate")
    chain = bundle + [leaf]
    for cert in chain:
        if not cert.not_valid_before_utc <= at <= cert.not_valid_after_utc:
            _fail("validity", f"certificate {cert.subject.rfc4514_string()[:60]!r} is not valid at "
                              f"{at.isoformat()} (valid {cert.not_valid_before_utc.isoformat()} to "
                              f"{cert.not_valid_after_utc.isoformat()})")
    for issuer, cert in zip(chain, chain[1:]):
        try:
            is_ca = issuer.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
        except x509.ExtensionNotFound:
            is_ca = False
        except Exception as exc:
            _fail("chain", f"unreadable BasicConstraints ({type(exc).__name__})")
        if not is_ca:
            _fail("chain", f"{issuer.subject.rfc4514_string()[:60]!r} is not a CA but issued a certificate")
        try:
            cert.verify_directly_issued_by(issuer)
        except Exception as exc:  # InvalidSignature, ValueError (name mismatch), TypeError (key type)
            _fail("chain", f"{cert.subject.rfc4514_string()[:60]!r} is not signed by "
                           f"{issuer.subject.rfc4514_string()[:60]!r} ({type(exc).__name__})")

    key = leaf.public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp384r1":
        _fail("signature", "the leaf certificate's key is not ECDSA P-384")
    der_sig = encode_dss_signature(int.from_bytes(signature[:48], "big"), int.from_bytes(signature[48:], "big"))
    try:
        key.verify(der_sig, sig_structure(protected, payload_bytes), ec.ECDSA(hashes.SHA384()))
    except InvalidSignature:
        _fail("signature", "the COSE signature does not verify with the leaf certificate's key")

    for idx, want in (expected_pcrs or {}).items():
        got = payload["pcrs"].get(idx)
        if got is None or not hmac.compare_digest(got, bytes(want)):
            _fail("pcrs", f"PCR{idx} does not match the expected value")
    if nonce is not None and (payload["nonce"] is None or not hmac.compare_digest(payload["nonce"], bytes(nonce))):
        _fail("nonce", "the document does not carry the expected nonce")
    return payload


def load_document(path) -> bytes:
    """Read a base64 file (as shipped in ``data/``) and return the raw CBOR bytes."""
    import base64
    from pathlib import Path

    return base64.b64decode(Path(path).read_text())


# --------------------------------------------------------------------------------------------
# Minting documents in the real format, signed by a local TEST chain
# --------------------------------------------------------------------------------------------

def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "infralab TEST ONLY")])


def _cert(subject: str, key, issuer_name: x509.Name, issuer_key, start: _dt.datetime,
          lifetime: _dt.timedelta, ca: bool) -> x509.Certificate:
    return (x509.CertificateBuilder().subject_name(_name(subject)).issuer_name(issuer_name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(start + lifetime)
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .sign(issuer_key, hashes.SHA384()))


@dataclass
class TestPKI:
    """A root -> intermediate -> leaf chain of P-384 TEST keys, generated at run time.

    Documents signed with it verify against :attr:`root_pem` exactly as real ones verify against the
    AWS root; they are worthless anywhere else. ``start`` and the lifetimes let the notebook make
    expired or not-yet-valid certificates.
    """

    start: _dt.datetime
    leaf_lifetime: _dt.timedelta = _dt.timedelta(hours=3)
    root_key: Any = field(init=False, repr=False)
    root: x509.Certificate = field(init=False, repr=False)
    intermediate: x509.Certificate = field(init=False, repr=False)
    leaf_key: Any = field(init=False, repr=False)
    leaf: x509.Certificate = field(init=False, repr=False)

    def __post_init__(self):
        curve = ec.SECP384R1()
        self.root_key = ec.generate_private_key(curve)
        inter_key = ec.generate_private_key(curve)
        self.leaf_key = ec.generate_private_key(curve)
        root_name = _name("infralab TEST root")
        self.root = _cert("infralab TEST root", self.root_key, root_name, self.root_key, self.start,
                          _dt.timedelta(days=3650), ca=True)
        self.intermediate = _cert("infralab TEST intermediate", inter_key, root_name, self.root_key,
                                  self.start, _dt.timedelta(days=30), ca=True)
        self.leaf = _cert("infralab TEST enclave", self.leaf_key, self.intermediate.subject, inter_key,
                          self.start, self.leaf_lifetime, ca=False)

    @property
    def root_pem(self) -> bytes:
        return self.root.public_bytes(serialization.Encoding.PEM)

    @property
    def cabundle(self) -> list[bytes]:
        return [c.public_bytes(serialization.Encoding.DER) for c in (self.root, self.intermediate)]


def mint_attestation(pki: TestPKI, pcrs: dict[int, bytes], *, public_key: bytes | None = None,
                     nonce: bytes | None = None, user_data: bytes | None = None,
                     timestamp: _dt.datetime | None = None, module_id: str = "i-TEST-enc0000000000000000",
                     tagged: bool = False) -> bytes:
    """Build and sign an attestation document in the Nitro format with the TEST chain ``pki``.

    Parameters
    ----------
    pki : TestPKI
        The test chain whose leaf key signs.
    pcrs : dict of int to bytes
        PCR values (48 bytes each for SHA-384).
    public_key : bytes, optional
        DER SubjectPublicKeyInfo of the enclave's key (what KMS encrypts to).
    nonce, user_data : bytes, optional
    timestamp : datetime, optional
        Default: ``pki.start`` plus one minute.
    tagged : bool
        Wrap in CBOR tag 18.
    """
    ts = timestamp or (pki.start + _dt.timedelta(minutes=1))
    payload = cbor2.dumps({
        "module_id": module_id, "digest": "SHA384", "timestamp": int(ts.timestamp() * 1000),
        "pcrs": {int(i): bytes(v) for i, v in pcrs.items()},
        "certificate": pki.leaf.public_bytes(serialization.Encoding.DER), "cabundle": pki.cabundle,
        "public_key": public_key, "user_data": user_data, "nonce": nonce,
    })
    protected = cbor2.dumps({1: ES384})
    der = pki.leaf_key.sign(sig_structure(protected, payload), ec.ECDSA(hashes.SHA384()))
    r, s = decode_dss_signature(der)
    doc = [protected, {}, payload, r.to_bytes(48, "big") + s.to_bytes(48, "big")]
    return cbor2.dumps(cbor2.CBORTag(COSE_SIGN1_TAG, doc) if tagged else doc)
