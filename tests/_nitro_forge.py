"""Helpers for the attestation tests: build certificate chains with chosen extensions and sign
payloads with a chosen key, so that a test can present a document whose signature is valid and see
the verifier refuse it for the property under test. TEST keys only."""

import datetime as dt

import cbor2
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID

from infralab.enclave.attestation import PROTECTED_ES384, sig_structure

UTC = dt.timezone.utc
DER = serialization.Encoding.DER


def name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def usage(sign, cert_sign):
    return x509.KeyUsage(digital_signature=sign, content_commitment=False, key_encipherment=False,
                         data_encipherment=False, key_agreement=False, key_cert_sign=cert_sign,
                         crl_sign=cert_sign, encipher_only=False, decipher_only=False)


def cert(subject, key, issuer, issuer_key, start, *, ca, path_length=None, sign=None, cert_sign=None,
         bc_critical=True, with_bc=True, with_ku=True, extra_critical=False, days=30):
    b = (x509.CertificateBuilder().subject_name(name(subject)).issuer_name(issuer)
         .public_key(key.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(start).not_valid_after(start + dt.timedelta(days=days)))
    if with_bc:
        b = b.add_extension(x509.BasicConstraints(ca=ca, path_length=path_length if ca else None), critical=bc_critical)
    if with_ku:
        b = b.add_extension(usage(not ca if sign is None else sign, ca if cert_sign is None else cert_sign),
                            critical=True)
    if extra_critical:
        b = b.add_extension(x509.OCSPNoCheck(), critical=True)
    return b.sign(issuer_key, hashes.SHA384())


def chain(start, specs):
    """Root, then one certificate per spec (dicts of ``cert`` keyword arguments), the last being the
    signing (leaf) certificate. Returns (root certificate, [DER of root..last CA], leaf DER, leaf key)."""
    keys = [ec.generate_private_key(ec.SECP384R1()) for _ in range(len(specs) + 1)]
    root = cert("forge root", keys[0], name("forge root"), keys[0], start, ca=True, days=3650)
    certs = [root]
    for i, spec in enumerate(specs, 1):
        certs.append(cert(f"forge {i}", keys[i], certs[-1].subject, keys[i - 1], start, **spec))
    ders = [c.public_bytes(DER) for c in certs]
    return root, ders[:-1], ders[-1], keys[-1]


def payload(leaf_der, cabundle, when, *, pcrs=None, nonce=b"n" * 20, **extra):
    p = {"module_id": "i-forge-enc0", "digest": "SHA384", "timestamp": int(when.timestamp() * 1000),
         "pcrs": pcrs if pcrs is not None else {0: bytes(48), 1: bytes(48)},
         "certificate": leaf_der, "cabundle": list(cabundle), "nonce": nonce}
    p.update(extra)
    return p


def sign(key, payload_bytes, protected=PROTECTED_ES384):
    r, s = decode_dss_signature(key.sign(sig_structure(protected, payload_bytes), ec.ECDSA(hashes.SHA384())))
    return r.to_bytes(48, "big") + s.to_bytes(48, "big")


def document(key, payload_bytes, protected=PROTECTED_ES384):
    """An untagged COSE_Sign1 over ``payload_bytes`` (already CBOR), validly signed by ``key``."""
    return cbor2.dumps([protected, {}, payload_bytes, sign(key, payload_bytes, protected)])
