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

The verifier fails closed, and does the cheap checks first: sizes and CBOR shape, then the fixed
protected header, the payload's fields, the root (a byte comparison), the certificates' sizes,
algorithms and dates, the document's freshness, and only then the signatures (at most
:data:`MAX_CABUNDLE` + 1 ECDSA verifications). Its limits:

==========================  ===========  ==============================================================
cap                         value        real document (data/) and why
==========================  ===========  ==============================================================
:data:`MAX_DOCUMENT_BYTES`  32,768 B     4,447 B. The format caps the payload at 16,384 B (nsm-api
                                         ``bstr .size (1..16384)``); twice that leaves room for framing.
:data:`MAX_CABUNDLE`        8 entries    4. The real chain's path-length constraints allow at most 4;
                                         each entry costs one signature check (about 1 ms).
:data:`MAX_CERT_BYTES`      2,048 B      largest 793 B. The format says 1..1,024 B; 2,048 keeps the
                                         real certificates far below the cap while bounding parsing.
:data:`MAX_USER_BYTES`      1,024 B      nonce null..20 B, user_data 32..68 B. The user guide's CDDL:
                                         ``user_data = bytes .size (0..1024)``, with ``nonce`` typed
                                         alike (the nsm-api README's 512 is an older figure).
:data:`MAX_PUBLIC_KEY`      1,024 B      0..130 B (the same CDDL type).
:data:`MAX_CBOR_DEPTH`      8 levels     3 (outer array, payload map, pcrs map / cabundle array).
==========================  ===========  ==============================================================

Two decisions about encodings, both deliberate:

* **Non-canonical CBOR is refused, with one exception that genuine documents need.** The outer
  array is not signed, so a verifier that accepted longer-than-needed length heads, indefinite
  lengths, tags (other than COSE_Sign1's tag 18), floats, duplicate map keys or trailing bytes would
  accept many byte strings for one signed content, and parsers that disagree on such inputs are a
  classic way past a verifier. The exception: since about 2025 the Nitro hypervisor writes the
  *payload map itself* with an indefinite length (``0xbf ... 0xff``). The payload's exact bytes are
  what the signature covers, so that form proves and hides nothing; it is accepted for the payload
  map only. Everything nested in it (the ``pcrs`` map, the ``cabundle`` array, every string) and
  all of the COSE framing must still be definite-length and shortest-form, because every genuine
  document seen (2022-2026, ``data/``) is. Duplicate keys, a break between a key and its value,
  trailing bytes, tags, depth and size are refused inside an indefinite map as in a definite one.
  Map keys need not be sorted (the real payloads are not).
* **Null optional fields are read as absent.** The user guide's prose says that no field content
  can be null; the hypervisor nevertheless writes an unset ``nonce``, ``user_data`` or
  ``public_key`` as CBOR null (``data/nitro_attestation_2024-07-16.b64``). They come back as None,
  exactly as an absent field does. Null anywhere else is refused.
* **ECDSA high-S signatures are accepted.** For every valid signature (r, s), (r, n - s) is valid
  too. Some systems accept only the "low-S" half; the Nitro Secure Module does not normalize, and the
  real document's own s is in the high half, so refusing high-S would refuse genuine documents. The
  consequence: anyone can turn a valid document into a second valid document with different bytes.
  **A verifier must never use signature bytes (or a hash of the whole document) as an identifier**
  (for replay detection, caching or logging "already seen"); key on signed content such as the
  nonce instead. r and s must still lie in 1..n-1.

:class:`TestPKI` and :func:`mint_attestation` build documents in the same format, signed by a local
test certificate chain generated at run time: the notebook uses them to show every way a document
can be refused. Nothing minted here is trusted by AWS; the test keys are labelled as such.

References
----------
aws-nitro-enclaves-nsm-api, docs/attestation_process.md (format, limits, chain rules).
AWS Nitro Enclaves User Guide, "Verifying the root of trust", attestation document specification
(CDDL ``bytes .size (0..1024)`` for ``public_key``, ``user_data``, ``nonce``):
https://docs.aws.amazon.com/enclaves/latest/user/verify-root.html
RFC 8152 (COSE), RFC 8949 (CBOR), RFC 5280 section 4.2.1.3 and 4.2.1.9 (KeyUsage, BasicConstraints),
SEC 1 v2 section 4.1.4 (ECDSA verification).
"""

from __future__ import annotations

import base64
import binascii
import datetime as _dt
import hmac
import os
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cbor2
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from cryptography.x509.oid import NameOID, SignatureAlgorithmOID

#: COSE algorithm identifier of ECDSA with SHA-384 (RFC 8152, table 5).
ES384 = -35
#: COSE_Sign1's CBOR tag (RFC 8152, table 1); documents may come tagged or untagged.
COSE_SIGN1_TAG = 18
#: The only protected header accepted: the CBOR encoding of ``{1: -35}``, exactly what Nitro sends.
PROTECTED_ES384 = b"\xa1\x01\x38\x22"
PCR_LENGTHS = (32, 48, 64)
#: Length of a SHA-384 PCR; expected values must have it.
PCR_BYTES = 48
#: Order of the P-384 group (SEC 2, section 2.5.1): r and s must lie in 1..n-1.
P384_ORDER = int("ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973", 16)
MAX_DOCUMENT_BYTES = 32_768
MAX_CABUNDLE = 8
MAX_CERT_BYTES = 2_048
#: Bound on ``user_data`` and ``nonce``: the user guide's CDDL, ``bytes .size (0..1024)``.
MAX_USER_BYTES = 1_024
#: Bound on ``public_key``: the same CDDL type as ``user_data`` and ``nonce``.
MAX_PUBLIC_KEY = 1_024
MAX_MODULE_ID = 256
MAX_CBOR_DEPTH = 8
#: Default freshness window: the document's own timestamp must lie within this of the verifier's
#: clock. The Nitro Secure Module signs a document in milliseconds, and an enclave sends it at once;
#: five minutes covers clock skew and retries, while cutting the window in which a captured document
#: can be replayed from the leaf certificate's lifetime (about 3 hours) to minutes.
DEFAULT_FRESHNESS = _dt.timedelta(minutes=5)
#: The order in which verify_attestation runs its checks; each AttestationError names one.
#: ("internal" is a last guard: any unexpected failure is still a refusal.)
CHECKS = ("input", "structure", "protected_header", "payload", "root", "certificates", "validity",
          "freshness", "chain", "signature", "pcrs", "nonce")
_PAYLOAD_KEYS = {"module_id", "digest", "timestamp", "pcrs", "certificate", "cabundle",
                 "public_key", "user_data", "nonce"}
_HEX = frozenset("0123456789abcdefABCDEF")


class AttestationError(Exception):
    """An attestation document was refused. ``check`` names the failed check (one of :data:`CHECKS`)."""

    def __init__(self, check: str, reason: str):
        super().__init__(f"{check}: {reason}")
        self.check = check
        self.reason = reason


def _fail(check: str, reason: str):
    raise AttestationError(check, reason)


# --------------------------------------------------------------------------------------------
# A strict CBOR scanner: well-formed, preferred serialization, bounded, before any decoding
# --------------------------------------------------------------------------------------------

def _scan_cbor(data: bytes, what: str, check: str, *, allow_cose_tag: bool = False,
               allow_indefinite_map: bool = False) -> None:
    """Refuse anything but one well-formed, shortest-form CBOR item spanning all of ``data``.

    Refused (each with ``check``): truncation, trailing bytes, indefinite lengths (except, where
    ``allow_indefinite_map``, for the outermost item being a map, as the Nitro hypervisor writes the
    payload), reserved or non-minimal length heads, lengths beyond the data, a break where no
    indefinite map is open or between a map key and its value, tags (except tag 18 first, where
    allowed), floats and simple values other than false/true/null, map keys that are not integers
    or text, duplicate map keys, nesting deeper than :data:`MAX_CBOR_DEPTH`. Work is linear in
    ``len(data)``.
    """
    n, pos = len(data), 0
    # frames: [items left (-1: indefinite, ends at a break), is_map, keys seen, next item is a key]
    stack: list[list] = []
    first = True
    while True:
        if stack and stack[-1][0] == 0:
            stack.pop()
            if not stack:
                break
            continue
        if pos >= n:
            _fail(check, f"{what} is truncated")
        frame = stack[-1] if stack else None
        if frame is not None and frame[0] < 0 and data[pos] == 0xFF:
            if frame[1] and not frame[3]:
                _fail(check, f"{what} ends an indefinite-length map between a key and its value")
            pos += 1
            stack.pop()
            if not stack:
                break
            continue
        is_key = frame is not None and frame[1] and frame[3]
        start = pos
        ib = data[pos]
        major, ai = ib >> 5, ib & 31
        pos += 1
        indefinite = False
        if ai < 24:
            arg = ai
        elif ai < 28:
            size = 1 << (ai - 24)
            if pos + size > n:
                _fail(check, f"{what} is truncated")
            arg = int.from_bytes(data[pos:pos + size], "big")
            pos += size
            if arg < (24 if size == 1 else 1 << (4 * size)) and major != 7:
                _fail(check, f"{what} uses a longer length head than needed (non-canonical)")
        elif ai == 31:
            # genuine documents since about 2025 carry the payload map as 0xbf ... 0xff; nothing
            # nested in it, and nothing in the COSE framing, is ever indefinite, so nothing else is
            if not (allow_indefinite_map and major == 5 and frame is None and first):
                _fail(check, f"{what} uses an indefinite length where only the payload map may")
            indefinite, arg = True, 0
        else:
            _fail(check, f"{what} has a reserved additional-information value {ai}")
        if is_key and major not in (0, 1, 3):
            _fail(check, f"{what} has a map key that is neither an integer nor text")
        if major == 6:
            if not (allow_cose_tag and first and arg == COSE_SIGN1_TAG):
                _fail(check, f"{what} carries a CBOR tag (only COSE_Sign1's tag {COSE_SIGN1_TAG} "
                             "around the whole document is accepted)")
            first = False
            continue                               # the tagged item follows; not counted as an item
        first = False
        if major == 7 and not (ai in (20, 21, 22)):
            _fail(check, f"{what} contains a float or simple value (only false, true, null allowed)")
        if major in (2, 3):
            if arg > n - pos:
                _fail(check, f"{what} declares a {arg}-byte string with {n - pos} bytes left")
            pos += arg
        if frame is not None:
            if frame[0] > 0:
                frame[0] -= 1
            if frame[1]:
                if frame[3]:
                    key = data[start:pos]
                    if key in frame[2]:
                        _fail(check, f"{what} has a duplicate map key")
                    frame[2].add(key)
                frame[3] = not frame[3]
        elif major not in (4, 5):
            if pos != n:
                _fail(check, f"{what} has {n - pos} trailing bytes after the CBOR item")
            return
        if major in (4, 5):
            count = -1 if indefinite else arg * (2 if major == 5 else 1)
            if count > n - pos:                    # every item takes at least one byte
                _fail(check, f"{what} declares {count} items with {n - pos} bytes left")
            if len(stack) >= MAX_CBOR_DEPTH:
                _fail(check, f"{what} nests deeper than {MAX_CBOR_DEPTH} levels")
            stack.append([count, major == 5, set(), True])
            if count == 0 and len(stack) == 1:
                stack.pop()
                break
    if pos != n:
        _fail(check, f"{what} has {n - pos} trailing bytes after the CBOR item")


def _cbor_strict(data: bytes, what: str, check: str, *, allow_cose_tag: bool = False,
                 allow_indefinite_map: bool = False) -> Any:
    _scan_cbor(data, what, check, allow_cose_tag=allow_cose_tag, allow_indefinite_map=allow_indefinite_map)
    try:
        return cbor2.loads(data)
    except Exception as exc:  # e.g. text that is not UTF-8
        _fail(check, f"{what} is not valid CBOR ({type(exc).__name__})")


def _type(value) -> str:
    """A description of an untrusted value that never formats the value itself (a huge int's repr
    raises ValueError)."""
    return type(value).__name__


def _is_bytes(value) -> bool:
    return isinstance(value, (bytes, bytearray, memoryview))


def _is_pcr_index(idx) -> bool:
    """A PCR index: a real int (bool refused) in 0..31."""
    return isinstance(idx, int) and not isinstance(idx, bool) and 0 <= idx < 32


def parse_cose_sign1(document: bytes) -> tuple[bytes, dict, bytes, bytes]:
    """Split a (tagged or untagged) COSE_Sign1 into protected, unprotected, payload, signature.

    Parameters
    ----------
    document : bytes
        At most :data:`MAX_DOCUMENT_BYTES`, in preferred CBOR serialization (see the module notes).

    Raises
    ------
    AttestationError
        ``input`` for a non-bytes, empty or oversized document, ``structure`` for anything else
        that is not a COSE_Sign1 with an empty unprotected header and a 96-byte signature.

    Examples
    --------
    >>> parse_cose_sign1(b"\\x84")
    Traceback (most recent call last):
    ...
    infralab.enclave.attestation.AttestationError: structure: document declares 4 items with 0 bytes left
    """
    if not _is_bytes(document):
        _fail("input", f"document must be bytes, got {_type(document)}")
    if len(document) == 0:
        _fail("input", "document is empty")
    if len(document) > MAX_DOCUMENT_BYTES:
        _fail("input", f"document is {len(document)} bytes, more than the cap of {MAX_DOCUMENT_BYTES}")
    document = bytes(document)
    obj = _cbor_strict(document, "document", "structure", allow_cose_tag=True)
    if isinstance(obj, cbor2.CBORTag):
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
    if not hmac.compare_digest(protected, PROTECTED_ES384):
        _fail("protected_header", f"must be exactly {{1: {ES384}}} (ES384), encoded as "
                                  f"{PROTECTED_ES384.hex()}; got {len(protected)} other bytes")


def _check_payload(payload_bytes: bytes) -> dict:
    p = _cbor_strict(payload_bytes, "payload", "payload", allow_indefinite_map=True)
    if not isinstance(p, Mapping):
        _fail("payload", "payload must be a CBOR map")
    unknown = [k for k in p if k not in _PAYLOAD_KEYS]
    if unknown:
        _fail("payload", f"{len(unknown)} unknown field(s); only {sorted(_PAYLOAD_KEYS)} are allowed")
    for key, kind, kind_name in (("module_id", str, "text"), ("timestamp", int, "integer"),
                                 ("digest", str, "text"), ("pcrs", Mapping, "map"),
                                 ("certificate", bytes, "byte string"), ("cabundle", (list, tuple), "array")):
        if not isinstance(p.get(key), kind) or isinstance(p.get(key), bool):
            _fail("payload", f"{key} is missing or not a {kind_name}")
    if not 0 < len(p["module_id"]) <= MAX_MODULE_ID:
        _fail("payload", f"module_id must have 1..{MAX_MODULE_ID} characters")
    if p["digest"] != "SHA384":
        _fail("payload", "digest must be 'SHA384'")
    if not 0 < p["timestamp"] < 2**64:
        _fail("payload", "timestamp must be a positive 64-bit integer (ms since the epoch)")
    if not 1 <= len(p["pcrs"]) <= 32:
        _fail("payload", "pcrs must hold 1..32 entries")
    pcrs = {}
    for idx, value in p["pcrs"].items():
        if not _is_pcr_index(idx):
            _fail("payload", f"a PCR index is not an integer 0..31 ({_type(idx)})")
        if not isinstance(value, bytes) or len(value) not in PCR_LENGTHS:
            _fail("payload", f"PCR{idx} must be {PCR_LENGTHS} bytes long")
        pcrs[idx] = value
    if not 1 <= len(p["cabundle"]) <= MAX_CABUNDLE:
        _fail("payload", f"cabundle must hold 1..{MAX_CABUNDLE} certificates, got {len(p['cabundle'])}")
    for i, der in enumerate([p["certificate"], *p["cabundle"]]):
        name = "certificate" if i == 0 else f"cabundle[{i - 1}]"
        if not isinstance(der, bytes) or not 1 <= len(der) <= MAX_CERT_BYTES:
            _fail("payload", f"{name} must be a DER certificate of 1..{MAX_CERT_BYTES} bytes")
    out = {}
    for key, cap in (("public_key", MAX_PUBLIC_KEY), ("user_data", MAX_USER_BYTES), ("nonce", MAX_USER_BYTES)):
        value = p.get(key)
        # the user guide's prose says no field content can be null, but the hypervisor writes an
        # unset optional field as null: absent, null and bytes are accepted, nothing else
        if value is not None and (not isinstance(value, bytes) or len(value) > cap):
            _fail("payload", f"{key} must be absent, null or a byte string of at most {cap} bytes")
        out[key] = value
    return {"module_id": p["module_id"], "timestamp": p["timestamp"], "digest": p["digest"], "pcrs": pcrs,
            "certificate": p["certificate"], "cabundle": list(p["cabundle"]), **out}


def _load_der(der: bytes, what: str) -> x509.Certificate:
    """Parse a DER certificate and touch every field the checks use (the library parses lazily);
    only ECDSA P-384 keys signed with ECDSA-SHA384 are accepted, as in the real chain. A certificate
    that the library parses only with a warning (a non-positive serial number, say: RFC 5280 forbids
    it and no genuine one has it) is refused too."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            cert = x509.load_der_x509_certificate(der)
            cert.serial_number
            cert.subject.rfc4514_string(), cert.issuer.rfc4514_string()
            cert.not_valid_before_utc, cert.not_valid_after_utc
            key, sig_oid = cert.public_key(), cert.signature_algorithm_oid
            exts = list(cert.extensions)
    except Exception as exc:
        _fail("certificates", f"{what} is not a well-formed DER X.509 certificate ({type(exc).__name__})")
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp384r1":
        _fail("certificates", f"{what} does not hold an ECDSA P-384 key")
    if sig_oid != SignatureAlgorithmOID.ECDSA_WITH_SHA384:
        _fail("certificates", f"{what} is not signed with ECDSA-SHA384")
    known = (x509.BasicConstraints, x509.KeyUsage)
    if any(e.critical and not isinstance(e.value, known) for e in exts):
        _fail("certificates", f"{what} has a critical extension this verifier does not process (RFC 5280 4.2)")
    return cert


def _load_root(root_certificate: bytes) -> x509.Certificate:
    if not _is_bytes(root_certificate):
        _fail("input", f"root_certificate must be bytes (PEM or DER), got {_type(root_certificate)}")
    data = bytes(root_certificate)
    if not 0 < len(data) <= 4 * MAX_CERT_BYTES:
        _fail("input", f"root_certificate must be 1..{4 * MAX_CERT_BYTES} bytes")
    try:
        if data.lstrip().startswith(b"-----BEGIN"):
            return x509.load_pem_x509_certificate(data)
        return x509.load_der_x509_certificate(data)
    except Exception as exc:
        _fail("input", f"root_certificate is not a PEM or DER certificate ({type(exc).__name__})")


def _extension(cert: x509.Certificate, kind):
    try:
        return cert.extensions.get_extension_for_class(kind)
    except x509.ExtensionNotFound:
        return None


def _check_chain(chain: list[x509.Certificate]) -> None:
    """Root first, leaf last. CAs: critical BasicConstraints with ca=True, KeyUsage with keyCertSign,
    and no more CA certificates below them than their pathLen allows; the leaf: not a CA, KeyUsage
    with digitalSignature; no certificate twice; each certificate signed by the one before it
    (nsm-api 3.2.3.2-3.2.3.3)."""
    n_ca = len(chain) - 1
    ders = {c.public_bytes(serialization.Encoding.DER) for c in chain}
    if len(ders) != len(chain):
        # a repeated certificate (a self-signed root twice, the leaf in the bundle) can still form a
        # path whose signatures verify; a real chain never repeats one
        _fail("chain", "a certificate appears twice in cabundle + certificate")
    for i, cert in enumerate(chain):
        name = cert.subject.rfc4514_string()[:60]
        bc, ku = _extension(cert, x509.BasicConstraints), _extension(cert, x509.KeyUsage)
        if i < n_ca:
            if bc is None or not bc.critical or not bc.value.ca:
                _fail("chain", f"{name!r} issued a certificate but is not marked a CA (critical BasicConstraints)")
            cas_below = n_ca - 1 - i
            if bc.value.path_length is not None and cas_below > bc.value.path_length:
                _fail("chain", f"{name!r} allows {bc.value.path_length} CA certificate(s) below it "
                               f"(pathLenConstraint), the chain has {cas_below}")
            if ku is None or not ku.value.key_cert_sign:
                _fail("chain", f"{name!r} lacks the keyCertSign key usage")
        else:
            if bc is not None and bc.value.ca:
                _fail("chain", f"the signing certificate {name!r} is a CA; it must be an end entity")
            if ku is None or not ku.value.digital_signature:
                _fail("chain", f"the signing certificate {name!r} lacks the digitalSignature key usage")
    for issuer, cert in zip(chain, chain[1:]):
        try:
            cert.verify_directly_issued_by(issuer)
        except Exception as exc:  # InvalidSignature, ValueError (name mismatch), TypeError (key type)
            _fail("chain", f"{cert.subject.rfc4514_string()[:60]!r} is not signed by "
                           f"{issuer.subject.rfc4514_string()[:60]!r} ({type(exc).__name__})")


def sig_structure(protected: bytes, payload: bytes) -> bytes:
    """The bytes a COSE_Sign1 signature covers: ``CBOR(["Signature1", protected, b"", payload])``.

    Examples
    --------
    >>> sig_structure(PROTECTED_ES384, b"").hex()   # array(4), "Signature1", h'a1013822', h'', h''
    '846a5369676e61747572653144a10138224040'
    """
    if not _is_bytes(protected) or not _is_bytes(payload):
        raise TypeError("protected and payload must be bytes")
    return cbor2.dumps(["Signature1", bytes(protected), b"", bytes(payload)])


def _expected_pcrs(expected_pcrs) -> dict[int, bytes]:
    if expected_pcrs is None:
        return {}
    if not isinstance(expected_pcrs, Mapping):
        raise TypeError(f"expected_pcrs must be a dict of PCR index to value, got {_type(expected_pcrs)}")
    out = {}
    for idx, want in expected_pcrs.items():
        if not _is_pcr_index(idx):
            raise ValueError("expected_pcrs: PCR indices must be integers 0..31")
        out[idx] = pcr_value(f"expected_pcrs[{idx}]", want)
    return out


def pcr_value(name: str, value) -> bytes:
    """A PCR value given as 48 bytes or as 96 hexadecimal characters; anything else is refused.

    Raises TypeError for other types (an int such as 48 is not "48 zero bytes") and ValueError for
    other lengths or non-hex text; the message names ``name``.

    Examples
    --------
    >>> pcr_value("pcr", "00" * 48) == bytes(48)
    True
    >>> pcr_value("pcr", 48)
    Traceback (most recent call last):
    ...
    TypeError: pcr must be 48 bytes or a 96-character hex string, got int
    """
    if isinstance(value, str):
        if len(value) != 2 * PCR_BYTES or not set(value) <= _HEX:
            raise ValueError(f"{name} must be {2 * PCR_BYTES} hexadecimal characters")
        return bytes.fromhex(value)
    if _is_bytes(value):
        if len(value) != PCR_BYTES:
            raise ValueError(f"{name} must be {PCR_BYTES} bytes, got {len(value)}")
        return bytes(value)
    raise TypeError(f"{name} must be {PCR_BYTES} bytes or a {2 * PCR_BYTES}-character hex string, "
                    f"got {_type(value)}")


def _aware(name: str, value) -> _dt.datetime:
    if not isinstance(value, _dt.datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise TypeError(f"{name} must be a timezone-aware datetime, got {_type(value)}")
    return value


def _window(name: str, value) -> _dt.timedelta:
    if not isinstance(value, _dt.timedelta):
        raise TypeError(f"{name} must be a datetime.timedelta, got {_type(value)}")
    if value < _dt.timedelta(0):
        raise ValueError(f"{name} must be >= 0")
    return value


def _epoch_ms(at: _dt.datetime) -> int:
    delta = at - _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def _utc_now() -> _dt.datetime:
    """The system clock as a timezone-aware UTC datetime (the default clock of the verifier and KMS)."""
    return _dt.datetime.now(_dt.timezone.utc)


def verify_attestation(document: bytes, root_certificate: bytes, *, at: _dt.datetime | None = None,
                       expected_pcrs: dict[int, bytes | str] | None = None, nonce: bytes | None = None,
                       freshness: _dt.timedelta = DEFAULT_FRESHNESS) -> dict:
    """Verify a Nitro Enclaves attestation document and return its payload.

    Parameters
    ----------
    document : bytes
        The raw CBOR bytes of the COSE_Sign1 (tagged or untagged), at most
        :data:`MAX_DOCUMENT_BYTES` (32,768) bytes; the real one is 4,447.
    root_certificate : bytes
        The trusted root, PEM or DER (the AWS Nitro Enclaves Root-G1 certificate for real documents).
    at : datetime, optional
        The verifier's clock, timezone-aware; default now. Certificates must be valid then, and
        the document's own timestamp must lie within ``freshness`` of it. Real documents' leaf
        certificates live for hours, so verify an old document as of its own timestamp.
    expected_pcrs : dict of int to bytes or str, optional
        PCR index (0..31) to value, each 48 bytes or 96 hex characters (nothing else: ``{0: 48}``
        is a TypeError, not 48 zero bytes); compared in constant time.
    nonce : bytes, optional
        The nonce the document must carry (1..1,024 bytes, :data:`MAX_USER_BYTES`).
    freshness : timedelta
        Largest allowed distance between the document's timestamp and ``at``, either way
        (default :data:`DEFAULT_FRESHNESS`, 5 minutes: a genuine document is used seconds after
        the Nitro Secure Module signs it, while its leaf certificate lives for hours).

    Returns
    -------
    dict
        ``module_id``, ``timestamp`` (ms), ``digest``, ``pcrs`` ({int: bytes}), ``certificate``,
        ``cabundle``, ``public_key``, ``user_data``, ``nonce`` (the last three None when absent
        or CBOR null).

    Raises
    ------
    AttestationError
        For every property of the document and the root, whatever the bytes: its ``check`` is one
        of :data:`CHECKS`, in the order they run (cheap checks first, signatures last).
    TypeError, ValueError
        Only for the caller's own parameters (``at``, ``expected_pcrs``, ``nonce``,
        ``freshness``), before the document is read.

    Examples
    --------
    >>> import datetime as dt
    >>> from infralab import data_path
    >>> doc = load_document(data_path("nitro_attestation_2022-07-26.b64"))
    >>> root = data_path("aws_nitro_enclaves_root_g1.pem").read_bytes()
    >>> at = dt.datetime(2022, 7, 26, 18, 40, tzinfo=dt.timezone.utc)
    >>> verify_attestation(doc, root, at=at)["module_id"]
    'i-0936512d5ae6ee91a-enc01823bcde8eb8a8a'
    >>> verify_attestation(doc, root, at=at + dt.timedelta(hours=1))["module_id"]
    Traceback (most recent call last):
    ...
    infralab.enclave.attestation.AttestationError: freshness: the document is dated 3647.434 s before the verifier's clock, outside the freshness window of 300 s
    """
    at = _utc_now() if at is None else _aware("at", at)
    want_pcrs = _expected_pcrs(expected_pcrs)
    if nonce is not None:
        if not _is_bytes(nonce):
            raise TypeError(f"nonce must be bytes, got {_type(nonce)}")
        if not 1 <= len(nonce) <= MAX_USER_BYTES:
            raise ValueError(f"nonce must be 1..{MAX_USER_BYTES} bytes, got {len(nonce)}")
        nonce = bytes(nonce)
    freshness = _window("freshness", freshness)
    try:
        return _verify(document, root_certificate, at, want_pcrs, nonce, freshness)
    except AttestationError:
        raise
    except Exception as exc:   # a last guard: an unforeseen failure is still a refusal, never a grant
        raise AttestationError("internal", f"unexpected {type(exc).__name__}") from None


def _verify(document, root_certificate, at, want_pcrs, nonce, freshness) -> dict:
    root = _load_root(root_certificate)
    protected, _, payload_bytes, signature = parse_cose_sign1(document)
    _check_protected(protected)
    payload = _check_payload(payload_bytes)

    root_der = root.public_bytes(serialization.Encoding.DER)
    if not hmac.compare_digest(payload["cabundle"][0], root_der):
        _fail("root", "cabundle[0] is not the trusted root certificate")
    bundle = [_load_der(der, f"cabundle[{i}]") for i, der in enumerate(payload["cabundle"])]
    chain = bundle + [_load_der(payload["certificate"], "certificate")]
    for cert in chain:
        if not cert.not_valid_before_utc <= at <= cert.not_valid_after_utc:
            _fail("validity", f"certificate {cert.subject.rfc4514_string()[:60]!r} is not valid at "
                              f"{at.isoformat()} (valid {cert.not_valid_before_utc.isoformat()} to "
                              f"{cert.not_valid_after_utc.isoformat()})")
    skew_ms = _epoch_ms(at) - payload["timestamp"]
    limit_ms = freshness // _dt.timedelta(milliseconds=1)
    if abs(skew_ms) > limit_ms:
        side = "before" if skew_ms > 0 else "after"
        _fail("freshness", f"the document is dated {abs(skew_ms) / 1000:.3f} s {side} the verifier's "
                           f"clock, outside the freshness window of {limit_ms / 1000:g} s")
    _check_chain(chain)

    key = chain[-1].public_key()
    r, s = int.from_bytes(signature[:48], "big"), int.from_bytes(signature[48:], "big")
    if not (0 < r < P384_ORDER and 0 < s < P384_ORDER):
        _fail("signature", "r and s must lie in 1..n-1")
    try:
        key.verify(encode_dss_signature(r, s), sig_structure(protected, payload_bytes), ec.ECDSA(hashes.SHA384()))
    except InvalidSignature:
        _fail("signature", "the COSE signature does not verify with the leaf certificate's key")

    for idx, want in want_pcrs.items():
        got = payload["pcrs"].get(idx)
        if got is None or not hmac.compare_digest(got, want):
            _fail("pcrs", f"PCR{idx} does not match the expected value")
    if nonce is not None and (payload["nonce"] is None or not hmac.compare_digest(payload["nonce"], nonce)):
        _fail("nonce", "the document does not carry the expected nonce")
    return payload


def load_document(path) -> bytes:
    """Read a base64 file (as shipped in ``data/``) and return the raw CBOR bytes.

    Raises TypeError for a ``path`` that is not a str or path, ValueError for a file that cannot be
    read, is larger than the base64 of :data:`MAX_DOCUMENT_BYTES`, or is not base64. The bytes are
    not verified here: pass them to :func:`verify_attestation`.

    Examples
    --------
    >>> from infralab import data_path
    >>> len(load_document(data_path("nitro_attestation_2022-07-26.b64")))
    4447
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or path, got {_type(path)}")
    cap = 4 * (MAX_DOCUMENT_BYTES // 3 + 1) + 1024          # base64 plus line breaks
    try:
        with open(path, "rb") as fh:
            text = fh.read(cap + 1)
    except (OSError, ValueError) as exc:
        raise ValueError(f"path: cannot read {str(path)[:200]!r} ({type(exc).__name__})") from None
    if len(text) > cap:
        raise ValueError(f"path: the file is larger than {cap} bytes of base64")
    try:
        return base64.b64decode(b"".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("path: the file is not base64") from None


# --------------------------------------------------------------------------------------------
# Minting documents in the real format, signed by a local TEST chain
# --------------------------------------------------------------------------------------------

def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "infralab TEST ONLY")])


def _usage(*, sign: bool, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=sign, content_commitment=False, key_encipherment=False,
                         data_encipherment=False, key_agreement=False, key_cert_sign=cert_sign,
                         crl_sign=cert_sign, encipher_only=False, decipher_only=False)


def _cert(subject: str, key, issuer_name: x509.Name, issuer_key, start: _dt.datetime,
          lifetime: _dt.timedelta, ca: bool, path_length: int | None = None) -> x509.Certificate:
    """A certificate with the extensions the real chain carries: critical BasicConstraints (with
    pathLen on intermediates) and KeyUsage (keyCertSign on CAs, digitalSignature on the leaf)."""
    return (x509.CertificateBuilder().subject_name(_name(subject)).issuer_name(issuer_name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(start + lifetime)
            .add_extension(x509.BasicConstraints(ca=ca, path_length=path_length if ca else None), critical=True)
            .add_extension(_usage(sign=not ca, cert_sign=ca), critical=True)
            .sign(issuer_key, hashes.SHA384()))


@dataclass
class TestPKI:
    """A root -> intermediate -> leaf chain of P-384 TEST keys, generated at run time.

    Documents signed with it verify against :attr:`root_pem` exactly as real ones verify against the
    AWS root; they are worthless anywhere else. ``start`` (timezone-aware, years 1970..9000) and
    ``leaf_lifetime`` (1 s .. 10 years) let the notebook make expired or not-yet-valid certificates.
    The intermediate has pathLen 0 and the leaf is an end entity, like the real chain's last two.
    """

    __test__ = False   # not a pytest test class, despite the name

    start: _dt.datetime
    leaf_lifetime: _dt.timedelta = _dt.timedelta(hours=3)
    root_key: Any = field(init=False, repr=False)
    root: x509.Certificate = field(init=False, repr=False)
    intermediate: x509.Certificate = field(init=False, repr=False)
    leaf_key: Any = field(init=False, repr=False)
    leaf: x509.Certificate = field(init=False, repr=False)

    def __post_init__(self):
        _aware("start", self.start)
        if not 1970 <= self.start.year <= 9000:
            raise ValueError("start must lie in the years 1970..9000")
        if not _dt.timedelta(seconds=1) <= _window("leaf_lifetime", self.leaf_lifetime) <= _dt.timedelta(days=3653):
            raise ValueError("leaf_lifetime must be between 1 second and 10 years")
        curve = ec.SECP384R1()
        self.root_key = ec.generate_private_key(curve)
        inter_key = ec.generate_private_key(curve)
        self.leaf_key = ec.generate_private_key(curve)
        root_name = _name("infralab TEST root")
        self.root = _cert("infralab TEST root", self.root_key, root_name, self.root_key, self.start,
                          _dt.timedelta(days=3650), ca=True)
        self.intermediate = _cert("infralab TEST intermediate", inter_key, root_name, self.root_key,
                                  self.start, _dt.timedelta(days=30), ca=True, path_length=0)
        self.leaf = _cert("infralab TEST enclave", self.leaf_key, self.intermediate.subject, inter_key,
                          self.start, self.leaf_lifetime, ca=False)

    @property
    def root_pem(self) -> bytes:
        return self.root.public_bytes(serialization.Encoding.PEM)

    @property
    def cabundle(self) -> list[bytes]:
        return [c.public_bytes(serialization.Encoding.DER) for c in (self.root, self.intermediate)]


def _optional_field(name: str, value, cap: int) -> bytes | None:
    if value is None:
        return None
    if not _is_bytes(value):
        raise TypeError(f"{name} must be bytes or None, got {_type(value)}")
    if len(value) > cap:
        raise ValueError(f"{name} must be at most {cap} bytes, got {len(value)}")
    return bytes(value)


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
        1..32 PCR values, index 0..31, each 32, 48 or 64 bytes (48 for SHA-384).
    public_key : bytes, optional
        DER SubjectPublicKeyInfo of the enclave's key (what KMS encrypts to), at most 1,024 bytes.
    nonce, user_data : bytes, optional
        At most 1,024 bytes each (:data:`MAX_USER_BYTES`). Fields left at None are omitted.
    timestamp : datetime, optional
        Timezone-aware, after 1970. Default: ``pki.start`` plus one minute.
    module_id : str
        1..256 characters.
    tagged : bool
        Wrap in CBOR tag 18.

    Examples
    --------
    >>> import datetime as dt
    >>> pki = TestPKI(start=dt.datetime(2030, 1, 1, tzinfo=dt.timezone.utc))
    >>> doc = mint_attestation(pki, {0: bytes(48)}, nonce=b"n" * 16)
    >>> verify_attestation(doc, pki.root_pem, at=pki.start + dt.timedelta(minutes=2))["nonce"]
    b'nnnnnnnnnnnnnnnn'
    """
    if not isinstance(pki, TestPKI):
        raise TypeError(f"pki must be a TestPKI, got {_type(pki)}")
    if not isinstance(pcrs, Mapping) or not 1 <= len(pcrs) <= 32:
        raise TypeError("pcrs must be a dict of 1..32 PCR index -> bytes")
    clean = {}
    for idx, value in pcrs.items():
        if not _is_pcr_index(idx):
            raise ValueError("pcrs: indices must be integers 0..31")
        if not _is_bytes(value) or len(value) not in PCR_LENGTHS:
            raise ValueError(f"pcrs[{idx}] must be bytes of length {PCR_LENGTHS}")
        clean[idx] = bytes(value)
    fields = {"public_key": _optional_field("public_key", public_key, MAX_PUBLIC_KEY),
              "user_data": _optional_field("user_data", user_data, MAX_USER_BYTES),
              "nonce": _optional_field("nonce", nonce, MAX_USER_BYTES)}
    ts = pki.start + _dt.timedelta(minutes=1) if timestamp is None else _aware("timestamp", timestamp)
    ms = _epoch_ms(ts)
    if ms <= 0:
        raise ValueError("timestamp must be after 1970-01-01")
    if not isinstance(module_id, str) or not 0 < len(module_id) <= MAX_MODULE_ID:
        raise ValueError(f"module_id must be a str of 1..{MAX_MODULE_ID} characters")
    if not isinstance(tagged, bool):
        raise TypeError("tagged must be a bool")
    payload = cbor2.dumps({
        "module_id": module_id, "digest": "SHA384", "timestamp": ms, "pcrs": clean,
        "certificate": pki.leaf.public_bytes(serialization.Encoding.DER), "cabundle": pki.cabundle,
        **{k: v for k, v in fields.items() if v is not None},
    })
    der = pki.leaf_key.sign(sig_structure(PROTECTED_ES384, payload), ec.ECDSA(hashes.SHA384()))
    r, s = decode_dss_signature(der)
    doc = [PROTECTED_ES384, {}, payload, r.to_bytes(48, "big") + s.to_bytes(48, "big")]
    return cbor2.dumps(cbor2.CBORTag(COSE_SIGN1_TAG, doc) if tagged else doc)
