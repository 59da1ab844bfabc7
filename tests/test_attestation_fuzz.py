"""CBOR mutation tests for the attestation verifier (issue 14, item 3): wrong types in every payload
field, duplicate keys, indefinite lengths, huge length heads, deep nesting, tags and cabundle
variants. Whatever the mutation, the verifier raises AttestationError (never another type, never its
"internal" guard) and never accepts a document whose signed content changed.

Two kinds of mutation: *re-signed* ones (the test holds the leaf key, so the signature is valid and
the payload checks alone must refuse), and *unsigned* ones (an attacker without the key: every
change to the signed bytes, and every non-canonical re-encoding of the unsigned framing, is refused).
The hypothesis profile is derandomized (tests/conftest.py); each test draws at most 120 examples.
"""

import datetime as dt

import cbor2
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import _nitro_forge as forge
from infralab import data_path
from infralab import enclave as en
from infralab.enclave.attestation import PROTECTED_ES384

UTC = dt.timezone.utc
NOW = dt.datetime(2030, 1, 1, tzinfo=UTC)
DOC = en.load_document(data_path("nitro_attestation_2022-07-26.b64"))
ROOT = data_path("aws_nitro_enclaves_root_g1.pem").read_bytes()
AT = dt.datetime(2022, 7, 26, 18, 39, 12, 566000, tzinfo=UTC)

# a chain shaped like the real one: root -> pathLen 2 -> pathLen 1 -> pathLen 0 -> leaf
_ROOT_CERT, BUNDLE, LEAF, KEY = forge.chain(NOW - dt.timedelta(days=1), [
    dict(ca=True, path_length=2), dict(ca=True, path_length=1), dict(ca=True, path_length=0), dict(ca=False)])
FORGE_ROOT = _ROOT_CERT.public_bytes(forge.serialization.Encoding.PEM)
_, OTHER_BUNDLE, OTHER_LEAF, _ = forge.chain(NOW - dt.timedelta(days=1), [dict(ca=True), dict(ca=False)])
BASE = forge.payload(LEAF, BUNDLE, NOW, user_data=b"u" * 32, public_key=b"k" * 16)

fuzz = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def refused(doc, root=FORGE_ROOT, at=NOW):
    """The verifier's verdict, asserting that a refusal is an AttestationError from a named check."""
    try:
        return en.verify_attestation(doc, root, at=at)
    except en.AttestationError as err:
        assert err.check in en.CHECKS, str(err)          # never the "internal" guard
        return err


def test_the_forged_baseline_verifies():
    assert isinstance(refused(forge.document(KEY, cbor2.dumps(BASE))), dict)


# --- encoding helpers: build CBOR by hand, so that non-canonical forms can be written -----------

def head(major, n, size=None):
    """A CBOR head; ``size`` (1, 2, 4, 8 bytes) forces a longer-than-needed form."""
    if size is None:
        if n < 24:
            return bytes([major << 5 | n])
        size = next(s for s in (1, 2, 4, 8) if n < 1 << (8 * s))
    return bytes([major << 5 | {1: 24, 2: 25, 4: 26, 8: 27}[size]]) + n.to_bytes(size, "big")


def bstr(b, size=None):
    return head(2, len(b), size) + b


def outer(items, array_head=b"\x84"):
    return array_head + b"".join(items)


def split_doc(doc):
    prot, unprot, payload, sig = cbor2.loads(doc)
    return prot, payload, sig


# --- 1. types of each payload field (re-signed: only the payload checks can refuse) -------------

cbor_scalars = (st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=False)
                | st.text(max_size=12) | st.binary(max_size=64))
cbor_values = st.recursive(cbor_scalars, lambda c: st.lists(c, max_size=4)
                           | st.dictionaries(st.integers(-3, 40) | st.text(max_size=8), c, max_size=4),
                           max_leaves=12)
tagged = st.builds(cbor2.CBORTag, st.sampled_from([0, 1, 2, 3, 18, 24, 32, 55799, 258]), cbor_scalars)


def spec_valid(field, value):
    """Would this value be acceptable for the field under the format's own rules?"""
    if field in ("public_key", "user_data", "nonce"):
        # the user guide's CDDL: bytes .size (0..1024); the hypervisor writes an unset field as null
        return value is None or (isinstance(value, bytes) and len(value) <= 1024)
    return False        # the other fields are pinned by the chain, the freshness window or the format


@fuzz
@given(st.sampled_from(sorted(BASE)), cbor_values | tagged)
def test_any_other_value_in_any_field_is_refused(field, value):
    p = dict(BASE)
    p[field] = value
    assume(p[field] != BASE[field] or type(p[field]) is not type(BASE[field]))
    try:
        payload = cbor2.dumps(p)
    except Exception:
        assume(False)
    result = refused(forge.document(KEY, payload))
    if spec_valid(field, value):
        assert isinstance(result, dict) and result[field] == value
    else:
        assert isinstance(result, en.AttestationError), (field, value)


@fuzz
@given(st.sets(st.sampled_from(sorted(BASE)), min_size=1), st.dictionaries(st.text(max_size=10), cbor_scalars, max_size=2))
def test_missing_or_unknown_fields_are_refused(dropped, extra):
    p = {k: v for k, v in BASE.items() if k not in dropped}
    p.update({k: v for k, v in extra.items() if k not in BASE})
    only_optional_dropped = set(BASE) - set(p) <= {"public_key", "user_data", "nonce"} and set(p) <= set(BASE)
    result = refused(forge.document(KEY, cbor2.dumps(p)))
    if only_optional_dropped:                              # absent optional fields come back as None
        assert isinstance(result, dict) and all(result[k] is None for k in dropped)
    else:
        assert isinstance(result, en.AttestationError) and result.check == "payload"


# --- 2. changed signed content, no key: never accepted ------------------------------------------

@fuzz
@given(st.sampled_from(sorted(BASE)), cbor_values, st.booleans())
def test_signed_content_changed_without_the_key_is_never_accepted(field, value, real):
    base_doc = DOC if real else forge.document(KEY, cbor2.dumps(BASE))
    prot, payload, sig = split_doc(base_doc)
    p = cbor2.loads(payload)
    p[field] = value
    new_payload = cbor2.dumps(p)
    assume(new_payload != payload)
    doc = cbor2.dumps([prot, {}, new_payload, sig])
    result = refused(doc, *((ROOT, AT) if real else (FORGE_ROOT, NOW)))
    assert isinstance(result, en.AttestationError)


@fuzz
@given(st.integers(0, 95), st.integers(1, 255))
def test_changed_signature_bytes_are_refused(pos, xor):
    prot, payload, sig = split_doc(DOC)
    bad = bytearray(sig)
    bad[pos] ^= xor
    assert isinstance(refused(cbor2.dumps([prot, {}, payload, bytes(bad)]), ROOT, AT), en.AttestationError)


# --- 3. the same signed content in non-canonical framing: refused -------------------------------

def framings(prot, payload, sig):
    """Every variant decodes (with cbor2) to the same four items; only the framing differs."""
    items = [bstr(prot), b"\xa0", bstr(payload), bstr(sig)]
    out = []
    for i in (0, 2, 3):                                   # longer-than-needed length heads
        for size in (1, 2, 4, 8):
            raw = [prot, None, payload, sig][i]
            if len(raw) < (1 << (8 * size)) and head(2, len(raw), size) != head(2, len(raw)):
                out.append(("long head", outer(items[:i] + [bstr(raw, size)] + items[i + 1:])))
    for i in (0, 2, 3):                                   # indefinite-length byte strings in chunks
        raw = [prot, None, payload, sig][i]
        cut = len(raw) // 2
        chunked = b"\x5f" + bstr(raw[:cut]) + bstr(raw[cut:]) + b"\xff"
        out.append(("indefinite bstr", outer(items[:i] + [chunked] + items[i + 1:])))
    out += [("indefinite array", b"\x9f" + b"".join(items) + b"\xff"),
            ("long array head", outer(items, b"\x98\x04")),
            ("long map head", outer([items[0], b"\xb8\x00"] + items[2:])),
            ("indefinite map", outer([items[0], b"\xbf\xff"] + items[2:])),
            ("tag 18 twice", head(6, 18) + head(6, 18) + outer(items)),
            ("tag 55799 (self-describe)", head(6, 55799) + outer(items)),
            ("tag 24 around the payload", outer(items[:2] + [head(6, 24) + items[2]] + items[3:])),
            ("long tag head", bytes([0xd8, 18]) + outer(items)),
            ("trailing break", outer(items) + b"\xff")]
    return out


REAL_FRAMINGS = framings(*split_doc(DOC))


@pytest.mark.parametrize("label, doc", REAL_FRAMINGS, ids=[f[0] for f in REAL_FRAMINGS])
def test_non_canonical_framing_of_the_real_document_is_refused(label, doc):
    try:
        decoded = cbor2.loads(doc)                        # a lenient decoder sees the same content ...
        decoded = decoded.value if isinstance(decoded, cbor2.CBORTag) else decoded
    except Exception:
        decoded = None
    if label not in ("tag 18 twice", "tag 55799 (self-describe)", "tag 24 around the payload", "trailing break"):
        assert list(decoded) == [split_doc(DOC)[0], {}, split_doc(DOC)[1], split_doc(DOC)[2]]
    result = refused(doc, ROOT, AT)                       # ... the verifier refuses the framing
    assert isinstance(result, en.AttestationError) and result.check == "structure", (label, str(result))


def test_the_real_document_is_in_preferred_serialization():
    prot, payload, sig = split_doc(DOC)
    assert outer([bstr(prot), b"\xa0", bstr(payload), bstr(sig)]) == DOC
    assert cbor2.dumps(cbor2.loads(payload)) == payload


# --- 4. the payload's own encoding: refused even when validly signed ---------------------------

def enc(value):
    return cbor2.dumps(value)


def payload_bytes(entries, map_head=None):
    """A payload map from (key bytes, value bytes) pairs, optionally with a custom map head."""
    return (map_head if map_head is not None else head(5, len(entries))) + b"".join(k + v for k, v in entries)


def base_entries():
    return [(enc(k), enc(v)) for k, v in BASE.items()]


def _variant(kind, index, size):
    entries = base_entries()
    i = index % len(entries)
    key, value = entries[i]
    if kind == "duplicate key":
        return payload_bytes(entries + [(key, value)])
    if kind == "duplicate key, other value":
        return payload_bytes(entries + [(enc("nonce"), enc(b"other nonce"))])
    if kind == "indefinite map, duplicate key":
        return payload_bytes(entries + [(key, value)], b"\xbf") + b"\xff"
    if kind == "indefinite map, break after a key":
        return payload_bytes(entries, b"\xbf") + key + b"\xff"
    if kind == "indefinite map, no break":
        return payload_bytes(entries, b"\xbf")
    if kind == "indefinite map, trailing item":
        return payload_bytes(entries, b"\xbf") + b"\xff\x00"
    if kind == "indefinite map, two breaks":
        return payload_bytes(entries, b"\xbf") + b"\xff\xff"
    if kind in ("indefinite pcrs map", "indefinite cabundle array"):
        name, opener = ("pcrs", b"\xbf") if kind == "indefinite pcrs map" else ("cabundle", b"\x9f")
        inner = BASE[name]
        body = (b"".join(enc(k) + enc(v) for k, v in inner.items()) if name == "pcrs"
                else b"".join(enc(v) for v in inner))
        entries = [(k, opener + body + b"\xff" if cbor2.loads(k) == name else v) for k, v in entries]
        return payload_bytes(entries, [None, b"\xbf"][size % 2]) + (b"\xff" if size % 2 else b"")
    if kind == "long map head":
        return payload_bytes(entries, head(5, len(entries), size))
    if kind == "long key head":
        text = cbor2.loads(key).encode() if isinstance(cbor2.loads(key), str) else None
        assume(text is not None)
        entries[i] = (head(3, len(text), size) + text, value)
        return payload_bytes(entries)
    if kind == "tag around a value":
        entries[i] = (key, head(6, [0, 1, 2, 24, 32, 55799][size % 6]) + value)
        return payload_bytes(entries)
    if kind == "timestamp as float":
        entries = [(k, cbor2.dumps(float(BASE["timestamp"])) if cbor2.loads(k) == "timestamp" else v)
                   for k, v in entries]
        return payload_bytes(entries)
    if kind == "timestamp as bignum":
        entries = [(k, head(6, 2) + bstr(BASE["timestamp"].to_bytes(8, "big")) if cbor2.loads(k) == "timestamp" else v)
                   for k, v in entries]
        return payload_bytes(entries)
    if kind == "indefinite text key":
        text = cbor2.loads(key)
        assume(isinstance(text, str) and len(text) > 1)
        entries[i] = (b"\x7f" + enc(text[:1]) + enc(text[1:]) + b"\xff", value)
        return payload_bytes(entries)
    if kind == "undefined / simple value":
        entries[i] = (key, [b"\xf7", b"\xf8\x20", b"\xf9\x00\x00", b"\xe0"][size % 4])
        return payload_bytes(entries)
    if kind == "trailing item":
        return payload_bytes(entries) + b"\x00"
    raise AssertionError(kind)


PAYLOAD_KINDS = ["duplicate key", "duplicate key, other value", "long map head", "long key head",
                 "indefinite map, duplicate key", "indefinite map, break after a key", "indefinite map, no break",
                 "indefinite map, trailing item", "indefinite map, two breaks", "indefinite pcrs map",
                 "indefinite cabundle array",
                 "tag around a value", "timestamp as float", "timestamp as bignum", "indefinite text key",
                 "undefined / simple value", "trailing item"]


@fuzz
@given(st.sampled_from(PAYLOAD_KINDS), st.integers(0, 20), st.sampled_from([1, 2, 4, 8]))
def test_payload_encoding_variants_are_refused_even_when_signed(kind, index, size):
    payload = _variant(kind, index, size)
    result = refused(forge.document(KEY, payload))
    assert isinstance(result, en.AttestationError) and result.check == "payload", (kind, str(result))


def test_an_indefinite_length_payload_map_verifies_when_signed():
    """The form genuine documents have carried since about 2025 (data/nitro_attestation_2026-02-02.b64)."""
    payload = payload_bytes(base_entries(), b"\xbf") + b"\xff"
    result = refused(forge.document(KEY, payload))
    assert isinstance(result, dict) and result["nonce"] == BASE["nonce"]


@pytest.mark.parametrize("field", ["public_key", "user_data", "nonce"])
def test_a_null_optional_field_reads_as_absent(field):
    assert refused(forge.document(KEY, cbor2.dumps({**BASE, field: None})))[field] is None


@pytest.mark.parametrize("field", ["public_key", "user_data", "nonce"])
@pytest.mark.parametrize("size, ok", [(0, True), (1024, True), (1025, False), (2048, False)])
def test_optional_fields_are_bounded_at_1024_bytes(field, size, ok):
    result = refused(forge.document(KEY, cbor2.dumps({**BASE, field: b"x" * size})))
    assert isinstance(result, dict) if ok else result.check == "payload"


@pytest.mark.parametrize("field", sorted(set(BASE) - {"public_key", "user_data", "nonce"}))
def test_null_in_a_required_field_is_refused(field):
    result = refused(forge.document(KEY, cbor2.dumps({**BASE, field: None})))
    assert isinstance(result, en.AttestationError) and result.check == "payload"


# --- 5. huge length heads and 6. deep nesting ----------------------------------------------------

@fuzz
@given(st.sampled_from([2, 3, 4, 5]), st.integers(2**15, 2**64 - 1), st.sampled_from(["outer", "item", "payload"]))
def test_huge_length_heads_are_refused(major, length, where):
    prot, payload, sig = split_doc(forge.document(KEY, cbor2.dumps(BASE)))
    bomb = head(major, length) + b"\x00" * 16
    if where == "outer":
        doc = bomb
    elif where == "item":
        doc = outer([bstr(prot), b"\xa0", bomb, bstr(sig)])
    else:
        doc = forge.document(KEY, payload_bytes(base_entries()[:-1] + [(enc("nonce"), bomb)]))
    result = refused(doc)
    assert isinstance(result, en.AttestationError) and result.check in ("structure", "payload")


@fuzz
@given(st.integers(9, 20_000), st.sampled_from([b"\x81", b"\xa1\x00", b"\x9f"]), st.booleans())
def test_deep_nesting_is_refused(depth, opener, in_payload):
    nested = opener * depth + b"\x00"
    if in_payload:
        doc = forge.document(KEY, payload_bytes(base_entries() + [(enc("deep"), nested)]))
    else:
        doc = outer([bstr(PROTECTED_ES384), b"\xa0", nested, bstr(bytes(96))])
    result = refused(doc)
    assert isinstance(result, en.AttestationError) and result.check in ("input", "structure", "payload")


# --- 7. cabundle variants (re-signed) --------------------------------------------------------------

def _cabundle(op, i, j):
    b = list(BUNDLE)
    i, j = i % len(b), j % len(b)
    if op == "swap":
        assume(i != j)
        b[i], b[j] = b[j], b[i]
    elif op == "reverse":
        b.reverse()
    elif op == "drop":
        del b[i]
    elif op == "duplicate":
        b.insert(i, b[j])
    elif op == "leaf in the bundle":
        b.insert(i, LEAF)
    elif op == "foreign root":
        b[0] = OTHER_BUNDLE[0]
    elif op == "foreign intermediate":
        b.insert(max(i, 1), OTHER_BUNDLE[-1])
    elif op == "junk entry":
        b.insert(max(i, 1), b"\x30\x03\x02\x01\x00")
    elif op == "truncated entry":
        b[i] = b[i][:-(j + 1)]
    elif op == "too many":
        b = b + [b[-1]] * (en.MAX_CABUNDLE + 1 - len(b))
    elif op == "empty":
        b = []
    elif op == "not a list":
        return {0: b[0]}
    return b


CABUNDLE_OPS = ["swap", "reverse", "drop", "duplicate", "leaf in the bundle", "foreign root",
                "foreign intermediate", "junk entry", "truncated entry", "too many", "empty", "not a list"]


@fuzz
@given(st.sampled_from(CABUNDLE_OPS), st.integers(0, 7), st.integers(0, 7))
def test_cabundle_variants_are_refused(op, i, j):
    bundle = _cabundle(op, i, j)
    assume(bundle != BUNDLE)
    p = dict(BASE, cabundle=bundle)
    result = refused(forge.document(KEY, cbor2.dumps(p)))
    assert isinstance(result, en.AttestationError), op
    assert result.check in ("payload", "root", "certificates", "chain"), (op, str(result))


@fuzz
@given(st.sampled_from([OTHER_LEAF, BUNDLE[-1], BUNDLE[0]]))
def test_swapped_signing_certificate_is_refused(cert):
    p = dict(BASE, certificate=cert)
    assert isinstance(refused(forge.document(KEY, cbor2.dumps(p))), en.AttestationError)


# --- 7. the 1,024-byte bound (the user guide's CDDL) in mint_attestation and the nonce argument --

@pytest.mark.parametrize("field", ["public_key", "user_data", "nonce"])
def test_mint_accepts_1024_bytes_and_refuses_1025(field):
    pki = en.TestPKI(start=NOW)
    doc = en.mint_attestation(pki, {0: bytes(48)}, **{field: b"x" * 1024})
    assert en.verify_attestation(doc, pki.root_pem, at=NOW + dt.timedelta(minutes=1))[field] == b"x" * 1024
    with pytest.raises(ValueError, match=field):
        en.mint_attestation(pki, {0: bytes(48)}, **{field: b"x" * 1025})


def test_the_expected_nonce_may_have_1024_bytes_and_no_more():
    pki = en.TestPKI(start=NOW)
    nonce = b"n" * 1024
    doc = en.mint_attestation(pki, {0: bytes(48)}, nonce=nonce)
    at = NOW + dt.timedelta(minutes=1)
    assert en.verify_attestation(doc, pki.root_pem, at=at, nonce=nonce)["nonce"] == nonce
    with pytest.raises(ValueError, match="nonce"):
        en.verify_attestation(doc, pki.root_pem, at=at, nonce=nonce + b"n")
