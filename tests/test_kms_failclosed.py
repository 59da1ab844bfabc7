"""Fail closed (issue 14, security half; issue 13 point 6): every example from the issue's "Why"
that concerns security, the freshness window, the chain's pathLen and KeyUsage rules, the size caps,
and the signature-malleability decision. Each refusal must be one of KMSAccessDenied,
AttestationError, TypeError or ValueError, naming its check."""

import datetime as dt

import cbor2
import pytest
from cryptography import x509
from cryptography.exceptions import InvalidTag

import _nitro_forge as forge
from infralab import data_path
from infralab import enclave as en
from infralab.enclave import attestation as att
from infralab.enclave import kms as kms_module

UTC = dt.timezone.utc
DOC = en.load_document(data_path("nitro_attestation_2022-07-26.b64"))
ROOT = data_path("aws_nitro_enclaves_root_g1.pem").read_bytes()
AT = dt.datetime(2022, 7, 26, 18, 39, 12, 566000, tzinfo=UTC)    # the real document's own timestamp
NOW = dt.datetime(2030, 1, 1, tzinfo=UTC)
P384_N = att.P384_ORDER


@pytest.fixture(scope="module")
def world():
    # certificates valid from NOW - 1 day for 3 days, so that only the timestamp decides freshness
    pki = en.TestPKI(start=NOW - dt.timedelta(days=1), leaf_lifetime=dt.timedelta(days=3))
    enclave = en.ToyEnclave(b"kernel", b"init", b"model server v1", pki, clock=lambda: NOW)
    return pki, enclave


def _kms(pki, enclave, clock=lambda: NOW, **kw):
    kms = en.LocalKMS(pki.root_pem, clock=clock, **kw)
    return kms, kms.create_key(en.KeyPolicy(image_sha384=enclave.pcrs[0].hex()))


def _denied(check, call, *args, **kwargs):
    with pytest.raises(en.KMSAccessDenied) as err:
        call(*args, **kwargs)
    assert err.value.check == check, str(err.value)
    return err.value


# --- KeyPolicy: flags are real bools, conditions are 96-character hex --------------------------

@pytest.mark.parametrize("flag", [None, 0, 1, "", "yes", 0.0, [], b""])
def test_policy_flag_must_be_a_real_bool(flag):
    with pytest.raises(TypeError, match="require_attestation"):
        en.KeyPolicy(require_attestation=flag)


def test_policy_flags_true_and_false_still_work(world):
    pki, _ = world
    kms = en.LocalKMS(pki.root_pem, clock=lambda: NOW)
    assert len(kms.generate_data_key(kms.create_key(en.KeyPolicy(require_attestation=False)))["Plaintext"]) == 32
    _denied("recipient", kms.generate_data_key, kms.create_key(en.KeyPolicy(image_sha384="ab" * 48)))


@pytest.mark.parametrize("kwargs, error", [
    ({"image_sha384": bytes(48)}, TypeError),        # bytes, not the condition key's hex
    ({"image_sha384": 48}, TypeError),
    ({"image_sha384": "00" * 47}, ValueError),
    ({"image_sha384": "zz" * 48}, ValueError),
    ({"image_sha384": ""}, ValueError),
    ({"pcrs": {0: 48}}, TypeError),
    ({"pcrs": {32: "00" * 48}}, ValueError),
    ({"pcrs": {-1: "00" * 48}}, ValueError),
    ({"pcrs": {True: "00" * 48}}, ValueError),
    ({"pcrs": {2**70: "00" * 48}}, ValueError),
    ({"pcrs": [("0", "00" * 48)]}, TypeError),
])
def test_policy_conditions_are_checked_at_creation(kwargs, error):
    with pytest.raises(error):
        en.KeyPolicy(**kwargs)


def test_policy_hex_is_normalized_and_private():
    pcrs = {4: "AB" * 48}
    policy = en.KeyPolicy(pcrs=pcrs, image_sha384="CD" * 48)
    pcrs[4] = "00" * 48                                   # the caller's dict is not the policy's
    assert policy.pcrs[4] == "ab" * 48 and policy.image_sha384 == "cd" * 48
    with pytest.raises(TypeError):
        policy.pcrs[5] = "00" * 48


@pytest.mark.parametrize("kwargs", [
    {"image_sha384": "00" * 48},
    {"pcrs": {0: "00" * 48}},
    {"pcrs": {2: "00" * 48}},
    {"pcrs": {8: "00" * 48}},
    {"image_sha384": "ab" * 48, "pcrs": {1: "00" * 48}},
])
def test_an_all_zero_condition_is_refused(kwargs):
    # Debug-mode enclaves report PCR0-2 as 48 zero bytes (the real document in data/ does): a zero
    # condition would pin no image at all, so the policy is refused when it is written.
    with pytest.raises(ValueError, match="all zeros"):
        en.KeyPolicy(**kwargs)


@pytest.mark.parametrize("kwargs", [
    {},                                                         # attestation required, nothing pinned
    {"require_attestation": True, "pcrs": {}},
    {"require_attestation": False, "image_sha384": "ab" * 48},  # conditions that plaintext would bypass
    {"require_attestation": False, "pcrs": {2: "ab" * 48}},
])
def test_a_policy_that_pins_nothing_or_protects_nothing_is_refused(kwargs):
    with pytest.raises(ValueError, match="condition"):
        en.KeyPolicy(**kwargs)


def test_policy_checks_image_sha384_and_pcr0_both(world):
    pki, enclave = world
    kms = en.LocalKMS(pki.root_pem, clock=lambda: NOW)
    # PCR0 condition says "another image"; ImageSha384 says this one: both must hold, so: denied
    key_id = kms.create_key(en.KeyPolicy(image_sha384=enclave.pcrs[0].hex(), pcrs={0: "11" * 48}))
    _denied("policy", kms.generate_data_key, key_id, recipient=enclave.recipient(timestamp=NOW))


# --- the clock ----------------------------------------------------------------------------------

def _raise():
    raise RuntimeError("clock broken")


@pytest.mark.parametrize("clock", [lambda: None, lambda: dt.datetime(2030, 1, 1), lambda: "2030-01-01",
                                   lambda: 1893456000, lambda: dt.date(2030, 1, 1), _raise])
def test_a_bad_clock_is_a_denial_and_uses_up_nothing(world, clock):
    pki, enclave = world
    kms, key_id = _kms(pki, enclave, clock=clock)
    recipient = enclave.recipient(nonce=b"c" * 20, timestamp=NOW)
    _denied("clock", kms.generate_data_key, key_id, recipient=recipient)
    good = kms.with_clock(lambda: NOW)                    # same keys, same nonce record
    assert "CiphertextForRecipient" in good.generate_data_key(key_id, recipient=recipient)


def test_a_clock_that_is_not_callable_is_refused_at_construction(world):
    pki, _ = world
    for clock in (NOW, 5, "now"):
        with pytest.raises(TypeError, match="clock"):
            en.LocalKMS(pki.root_pem, clock=clock)
        with pytest.raises(TypeError, match="clock"):
            en.ToyEnclave(b"k", b"i", b"a", pki, clock=clock)


def test_the_toy_nsm_stamps_documents_with_its_clock(world):
    pki, enclave = world
    doc = enclave.recipient()["AttestationDocument"]
    assert en.verify_attestation(doc, pki.root_pem, at=NOW, freshness=dt.timedelta(0))["timestamp"] == \
        int(NOW.timestamp() * 1000)


def test_a_clock_past_expiry_is_not_replaced_by_wall_time(world):
    pki, enclave = world
    # a clock far past the leaf's expiry denies, whatever the wall clock says
    _, key_id = _kms(pki, enclave)
    late = en.LocalKMS(pki.root_pem, clock=lambda: NOW + dt.timedelta(days=5))
    key_id = late.create_key(en.KeyPolicy(image_sha384=enclave.pcrs[0].hex()))
    _denied("attestation.validity", late.generate_data_key, key_id, recipient=enclave.recipient(timestamp=NOW))


# --- freshness: the document's own timestamp against the clock --------------------------------

@pytest.mark.parametrize("stamp", [
    NOW - dt.timedelta(hours=3),                    # hours old, certificates still valid
    NOW - dt.timedelta(minutes=5, milliseconds=1),  # just outside the default window
    NOW + dt.timedelta(hours=3),                    # hours in the future
    NOW + dt.timedelta(minutes=5, milliseconds=1),
    dt.datetime(1970, 1, 1, 0, 0, 1, tzinfo=UTC),   # 1970
])
def test_stale_future_and_1970_documents_are_denied(world, stamp):
    pki, enclave = world
    kms, key_id = _kms(pki, enclave)
    _denied("attestation.freshness", kms.generate_data_key, key_id, recipient=enclave.recipient(timestamp=stamp))


@pytest.mark.parametrize("offset", [dt.timedelta(0), dt.timedelta(minutes=-5), dt.timedelta(minutes=5)])
def test_documents_inside_the_window_are_granted(world, offset):
    pki, enclave = world
    kms, key_id = _kms(pki, enclave)
    out = kms.generate_data_key(key_id, recipient=enclave.recipient(timestamp=NOW + offset))
    assert len(enclave.open(out["CiphertextForRecipient"])) == 32


def test_the_freshness_window_is_a_parameter(world):
    pki, enclave = world
    assert en.DEFAULT_FRESHNESS == dt.timedelta(minutes=5)
    strict, key_id = _kms(pki, enclave, freshness=dt.timedelta(seconds=10))
    recipient = enclave.recipient(timestamp=NOW - dt.timedelta(seconds=11))
    _denied("attestation.freshness", strict.generate_data_key, key_id, recipient=recipient)
    assert strict.with_clock(lambda: NOW - dt.timedelta(seconds=2)).generate_data_key(key_id, recipient=recipient)
    for bad, error in ((10, TypeError), (dt.timedelta(seconds=-1), ValueError)):
        with pytest.raises(error, match="freshness"):
            en.LocalKMS(pki.root_pem, freshness=bad)
        with pytest.raises(error, match="freshness"):
            en.verify_attestation(DOC, ROOT, at=AT, freshness=bad)


def test_real_document_freshness_at_its_own_timestamp():
    en.verify_attestation(DOC, ROOT, at=AT)                                  # 0 s: fresh
    en.verify_attestation(DOC, ROOT, at=AT + dt.timedelta(minutes=5))
    with pytest.raises(en.AttestationError) as err:
        en.verify_attestation(DOC, ROOT, at=AT + dt.timedelta(minutes=5, milliseconds=1))
    assert err.value.check == "freshness"
    with pytest.raises(en.AttestationError) as err:     # the leaf is valid from 18:39:09, 3.566 s earlier
        en.verify_attestation(DOC, ROOT, at=AT - dt.timedelta(seconds=3), freshness=dt.timedelta(seconds=2))
    assert err.value.check == "freshness" and "after the verifier's clock" in err.value.reason
    # an archive may widen the window explicitly, up to the leaf's expiry (3 hours)
    en.verify_attestation(DOC, ROOT, at=AT + dt.timedelta(hours=2), freshness=dt.timedelta(hours=3))


# --- the verifier's failures are denials --------------------------------------------------------

@pytest.mark.parametrize("exc", [ValueError("bignum"), RuntimeError("bug"), RecursionError(), MemoryError()])
def test_any_verifier_failure_is_a_denial(world, monkeypatch, exc):
    pki, enclave = world
    kms, key_id = _kms(pki, enclave)

    def broken(*args, **kwargs):
        raise exc
    monkeypatch.setattr(kms_module, "verify_attestation", broken)
    _denied("attestation.internal", kms.generate_data_key, key_id, recipient=enclave.recipient(timestamp=NOW))


@pytest.mark.parametrize("recipient", [
    [], "recipient", 5, {"KeyEncryptionAlgorithm": 5, "AttestationDocument": b""},
    {"AttestationDocument": b""}, {"KeyEncryptionAlgorithm": "RSAES_OAEP_SHA_1"},
])
def test_malformed_recipients_are_denied(world, recipient):
    pki, enclave = world
    kms, key_id = _kms(pki, enclave)
    _denied("recipient", kms.generate_data_key, key_id, recipient=recipient)


@pytest.mark.parametrize("document", [None, 12, [1, 2], "text", b"", b"\xff" * 10, bytes(40_000)])
def test_malformed_attestation_documents_are_denied(world, document):
    pki, enclave = world
    kms, key_id = _kms(pki, enclave)
    with pytest.raises(en.KMSAccessDenied) as err:
        kms.generate_data_key(key_id, recipient={"AttestationDocument": document,
                                                 "KeyEncryptionAlgorithm": "RSAES_OAEP_SHA_256"})
    assert err.value.check in ("attestation.input", "attestation.structure")


def test_kms_argument_types(world):
    pki, enclave = world
    kms, key_id = _kms(pki, enclave)
    blob = kms.generate_data_key(key_id, recipient=enclave.recipient(timestamp=NOW))["CiphertextBlob"]
    for bad_id in (5, None, b"key", ["key"]):
        with pytest.raises(TypeError, match="key_id"):
            kms.decrypt(bad_id, blob, recipient=enclave.recipient(timestamp=NOW))
        with pytest.raises(TypeError, match="key_id"):
            kms.generate_data_key(bad_id)
    for bad_blob in (5, [1, 2], None, "blob"):
        with pytest.raises(TypeError, match="ciphertext_blob"):
            kms.decrypt(key_id, bad_blob, recipient=enclave.recipient(timestamp=NOW))
    _denied("key", kms.decrypt, "key-unknown", blob)
    with pytest.raises(TypeError):
        en.LocalKMS("not bytes")
    with pytest.raises(ValueError, match="trusted_root_pem"):
        en.LocalKMS(b"not a certificate")
    with pytest.raises(TypeError):
        kms.create_key({"require_attestation": False})


def test_a_refused_blob_uses_up_no_nonce(world):
    pki, enclave = world
    kms, key_id = _kms(pki, enclave)
    blob = kms.generate_data_key(key_id, recipient=enclave.recipient(timestamp=NOW))["CiphertextBlob"]
    recipient = enclave.recipient(nonce=b"b" * 20, timestamp=NOW)
    for bad in (blob[:-1], blob[:12] + bytes(48), b""):
        _denied("ciphertext", kms.decrypt, key_id, bad, recipient=recipient)
    assert "CiphertextForRecipient" in kms.decrypt(key_id, blob, recipient=recipient)
    _denied("nonce", kms.decrypt, key_id, blob, recipient=recipient)


# --- signature malleability: accepted, and never an identifier ---------------------------------

def _high_low_twin(doc):
    prot, unprot, payload, sig = cbor2.loads(doc)
    s = int.from_bytes(sig[48:], "big")
    return cbor2.dumps([prot, unprot, payload, sig[:48] + (P384_N - s).to_bytes(48, "big")])


def test_high_s_and_low_s_twins_both_verify_the_real_document():
    twin = _high_low_twin(DOC)
    assert twin != DOC
    s_real = int.from_bytes(cbor2.loads(DOC)[3][48:], "big")
    assert s_real > P384_N // 2                      # the real NSM signature is "high-S": so we accept it
    assert en.verify_attestation(twin, ROOT, at=AT) == en.verify_attestation(DOC, ROOT, at=AT)


def test_replay_is_keyed_on_the_nonce_not_on_signature_bytes(world):
    pki, enclave = world
    kms, key_id = _kms(pki, enclave)
    recipient = enclave.recipient(nonce=b"m" * 20, timestamp=NOW)
    kms.generate_data_key(key_id, recipient=recipient)
    twin = dict(recipient, AttestationDocument=_high_low_twin(recipient["AttestationDocument"]))
    assert twin["AttestationDocument"] != recipient["AttestationDocument"]
    _denied("nonce", kms.generate_data_key, key_id, recipient=twin)


@pytest.mark.parametrize("r, s", [(0, 1), (1, 0), (P384_N, 1), (1, P384_N), (2**384 - 1, 1)])
def test_signature_scalars_out_of_range_are_refused(r, s):
    prot, unprot, payload, _ = cbor2.loads(DOC)
    doc = cbor2.dumps([prot, unprot, payload, r.to_bytes(48, "big") + s.to_bytes(48, "big")])
    with pytest.raises(en.AttestationError) as err:
        en.verify_attestation(doc, ROOT, at=AT)
    assert err.value.check == "signature"


# --- expected_pcrs ------------------------------------------------------------------------------

@pytest.mark.parametrize("expected, error", [
    ({0: 48}, TypeError),            # would have been bytes(48): the real document's all-zero PCR0
    ({0: [0] * 48}, TypeError),
    ({0: None}, TypeError),
    ({0: bytes(47)}, ValueError),
    ({0: "00" * 47}, ValueError),
    ({0: "0x" + "00" * 47}, ValueError),
    ({32: bytes(48)}, ValueError),
    ({True: bytes(48)}, ValueError),
    ({"0": bytes(48)}, ValueError),
    ([(0, bytes(48))], TypeError),
])
def test_expected_pcrs_accepts_only_48_bytes_or_96_hex(expected, error):
    with pytest.raises(error):
        en.verify_attestation(DOC, ROOT, at=AT, expected_pcrs=expected)


def test_expected_pcrs_hex_and_bytes_agree():
    pcr4 = en.verify_attestation(DOC, ROOT, at=AT)["pcrs"][4]
    en.verify_attestation(DOC, ROOT, at=AT, expected_pcrs={4: pcr4, 0: "00" * 48})
    en.verify_attestation(DOC, ROOT, at=AT, expected_pcrs={4: pcr4.hex().upper()})
    with pytest.raises(en.AttestationError) as err:
        en.verify_attestation(DOC, ROOT, at=AT, expected_pcrs={4: "00" * 48})
    assert err.value.check == "pcrs"


@pytest.mark.parametrize("nonce, error", [(5, TypeError), ("abc", TypeError), (b"", ValueError),
                                          (b"x" * 1025, ValueError)])
def test_expected_nonce_is_checked(nonce, error):
    with pytest.raises(error, match="nonce"):
        en.verify_attestation(DOC, ROOT, at=AT, nonce=nonce)


# --- bignums and other values whose repr would raise --------------------------------------------

def _resigned(p, key, protected=att.PROTECTED_ES384):
    return forge.document(key, cbor2.dumps(p), protected)


@pytest.fixture(scope="module")
def signer():
    start = NOW - dt.timedelta(days=1)
    root, bundle, leaf, key = forge.chain(start, [dict(ca=True, path_length=0), dict(ca=False)])
    return root.public_bytes(forge.serialization.Encoding.PEM), bundle, leaf, key   # PEM: not a DER parse


def test_valid_forged_chain_verifies(signer):
    root, bundle, leaf, key = signer
    doc = _resigned(forge.payload(leaf, bundle, NOW), key)
    assert en.verify_attestation(doc, root, at=NOW)["module_id"] == "i-forge-enc0"


@pytest.mark.parametrize("index", [2**64, 2**70, -(2**70), 10**5000], ids=["2^64", "2^70", "-2^70", "10^5000"])
def test_bignum_pcr_index_is_an_attestation_error(signer, index):
    root, bundle, leaf, key = signer
    doc = _resigned(forge.payload(leaf, bundle, NOW, pcrs={index: bytes(48)}), key)   # validly signed
    with pytest.raises(en.AttestationError) as err:
        en.verify_attestation(doc, root, at=NOW)
    assert err.value.check == "payload"


@pytest.mark.parametrize("header", [{1: 2**64}, {1: 10**5000}, {2**70: -35}, {1: -35, 4: b"kid"}, {1: -7},
                                    {1: -35.0}, [1, -35]], ids=lambda h: type(h).__name__ + str(len(h)))
def test_protected_header_other_than_es384_is_an_attestation_error(signer, header):
    root, bundle, leaf, key = signer
    doc = _resigned(forge.payload(leaf, bundle, NOW), key, protected=cbor2.dumps(header))
    with pytest.raises(en.AttestationError) as err:
        en.verify_attestation(doc, root, at=NOW)
    assert err.value.check == "protected_header"


def test_bignum_pcr_index_through_the_kms_is_a_denial(world):
    pki, enclave = world
    kms, key_id = _kms(pki, enclave)
    doc = en.mint_attestation(pki, {0: enclave.pcrs[0]}, public_key=enclave.public_key_der(), nonce=b"q" * 20,
                              timestamp=NOW)
    prot, unprot, payload, sig = cbor2.loads(doc)
    p = cbor2.loads(payload)
    p["pcrs"] = {10**5000: bytes(48)}
    payload = cbor2.dumps(p)
    doc = cbor2.dumps([prot, unprot, payload, forge.sign(pki.leaf_key, payload)])
    _denied("attestation.payload", kms.generate_data_key, key_id,
            recipient={"AttestationDocument": doc, "KeyEncryptionAlgorithm": "RSAES_OAEP_SHA_256"})


# --- caps: refused before any certificate is parsed ---------------------------------------------

@pytest.fixture
def no_parsing(monkeypatch):
    calls = []
    real = x509.load_der_x509_certificate

    def counting(data, *a, **k):
        calls.append(len(data))
        return real(data, *a, **k)
    monkeypatch.setattr(att.x509, "load_der_x509_certificate", counting)
    return calls


def test_a_1mb_forged_cabundle_is_refused_before_any_parsing(signer, no_parsing):
    root, bundle, leaf, key = signer
    junk = [bundle[0]] + [b"\x30\x82" + bytes(1 << 17)] * 8            # about 1 MB of "certificates"
    doc = _resigned(forge.payload(leaf, junk, NOW), key)
    assert len(doc) > 1_000_000
    with pytest.raises(en.AttestationError) as err:
        en.verify_attestation(doc, root, at=NOW)
    assert err.value.check == "input" and "cap" in err.value.reason
    assert no_parsing == []                                             # nothing was parsed


@pytest.mark.parametrize("make", [
    lambda b, leaf: [b[0]] * (en.MAX_CABUNDLE + 1),                      # too many entries
    lambda b, leaf: [b[0], bytes(en.MAX_CERT_BYTES + 1)],                # one entry too large
    lambda b, leaf: [],
    lambda b, leaf: [b[0], "text"],
])
def test_cabundle_caps_are_checked_before_parsing(signer, no_parsing, make):
    root, bundle, leaf, key = signer
    doc = _resigned(forge.payload(leaf, make(bundle, leaf), NOW), key)
    with pytest.raises(en.AttestationError) as err:
        en.verify_attestation(doc, root, at=NOW)
    assert err.value.check == "payload" and no_parsing == []


def test_a_repeated_certificate_is_refused(signer):
    root, bundle, leaf, key = signer
    for cabundle in ([bundle[0], bundle[0], *bundle[1:]], [*bundle, leaf]):   # both still form a valid path
        with pytest.raises(en.AttestationError) as err:
            en.verify_attestation(_resigned(forge.payload(leaf, cabundle, NOW), key), root, at=NOW)
        assert err.value.check == "chain" and "twice" in err.value.reason


def test_the_real_document_is_far_below_the_caps():
    p = en.verify_attestation(DOC, ROOT, at=AT)
    assert len(DOC) * 4 < en.MAX_DOCUMENT_BYTES
    assert len(p["cabundle"]) * 2 <= en.MAX_CABUNDLE
    assert max(map(len, p["cabundle"] + [p["certificate"]])) * 2 < en.MAX_CERT_BYTES


# --- the chain: pathLen and KeyUsage (issue 13, point 6) ----------------------------------------

CA0, LEAF = dict(ca=True, path_length=0), dict(ca=False)


@pytest.mark.parametrize("label, specs, check", [
    ("pathLen 0 followed by a CA", [CA0, dict(ca=True), LEAF], "chain"),
    ("pathLen 1 followed by two CAs", [dict(ca=True, path_length=1), dict(ca=True), dict(ca=True), LEAF], "chain"),
    ("CA without keyCertSign", [dict(ca=True, cert_sign=False, sign=True), LEAF], "chain"),
    ("CA without KeyUsage", [dict(ca=True, with_ku=False), LEAF], "chain"),
    ("CA whose BasicConstraints is not critical", [dict(ca=True, bc_critical=False), LEAF], "chain"),
    ("CA without BasicConstraints", [dict(ca=True, with_bc=False), LEAF], "chain"),
    ("leaf without digitalSignature", [CA0, dict(ca=False, sign=False)], "chain"),
    ("leaf without KeyUsage", [CA0, dict(ca=False, with_ku=False)], "chain"),
    ("leaf that is a CA", [dict(ca=True), dict(ca=True, sign=True)], "chain"),
    ("unknown critical extension", [dict(ca=True, extra_critical=True), LEAF], "certificates"),
])
def test_chain_rules(label, specs, check):
    root, bundle, leaf, key = forge.chain(NOW - dt.timedelta(days=1), specs)
    doc = _resigned(forge.payload(leaf, bundle, NOW), key)
    with pytest.raises(en.AttestationError) as err:
        en.verify_attestation(doc, root.public_bytes(forge.DER), at=NOW)
    assert err.value.check == check, (label, str(err.value))


@pytest.mark.parametrize("specs", [
    [LEAF],                                                              # root signs the leaf directly
    [CA0, LEAF],
    [dict(ca=True, path_length=2), dict(ca=True, path_length=1), CA0, LEAF],   # the real chain's shape
    [dict(ca=True), dict(ca=True), dict(ca=True), LEAF],                  # no pathLen: no limit
])
def test_chains_within_the_rules_verify(specs):
    root, bundle, leaf, key = forge.chain(NOW - dt.timedelta(days=1), specs)
    doc = _resigned(forge.payload(leaf, bundle, NOW), key)
    assert en.verify_attestation(doc, root.public_bytes(forge.DER), at=NOW)["digest"] == "SHA384"


def test_the_real_chain_carries_the_constraints_that_are_checked():
    p = en.verify_attestation(DOC, ROOT, at=AT)
    certs = [x509.load_der_x509_certificate(d) for d in p["cabundle"] + [p["certificate"]]]
    bcs = [c.extensions.get_extension_for_class(x509.BasicConstraints).value for c in certs]
    kus = [c.extensions.get_extension_for_class(x509.KeyUsage).value for c in certs]
    assert [b.path_length for b in bcs[1:4]] == [2, 1, 0] and [b.ca for b in bcs] == [True] * 4 + [False]
    assert all(k.key_cert_sign for k in kus[:4]) and kus[4].digital_signature


# --- envelopes: keys are 32 bytes, never ints ---------------------------------------------------

def test_rewrap_with_an_int_kek_is_refused():
    kek = en.new_key()
    env = en.envelope_encrypt(b"secret weights", kek)
    for bad in (32, 0, [0] * 32, "k" * 32, None, 32.0):
        with pytest.raises(TypeError, match="new_kek"):
            en.rewrap(env, kek, bad, "kek-2")
    with pytest.raises(ValueError, match="new_kek"):
        en.rewrap(env, kek, bytes(31), "kek-2")
    with pytest.raises(TypeError, match="new_kek_id"):
        en.rewrap(env, kek, en.new_key(), 2)
    assert en.envelope_decrypt(env, kek) == b"secret weights"           # nothing changed


@pytest.mark.parametrize("bad, error", [(32, TypeError), (0, TypeError), ([0] * 32, TypeError),
                                        (list(range(32)), TypeError), ("k" * 32, TypeError),
                                        (bytes(16), ValueError), (bytes(33), ValueError)])
def test_unwrap_and_decrypt_refuse_ints_and_lists(bad, error):
    env = en.envelope_encrypt(b"x", en.new_key())
    with pytest.raises(error, match="kek"):
        en.unwrap_key(env, bad)
    with pytest.raises(error, match="kek"):
        en.envelope_decrypt(env, bad)
    with pytest.raises(error, match="kek"):
        en.envelope_encrypt(b"x", bad)


def test_envelope_argument_types():
    kek = en.new_key()
    env = en.envelope_encrypt(b"x", kek, aad=b"a")
    for call in (lambda: en.envelope_encrypt("text", kek), lambda: en.envelope_encrypt(b"x", kek, aad="a"),
                 lambda: en.envelope_encrypt(b"x", kek, kek_id=1), lambda: en.unwrap_key("env", kek),
                 lambda: en.envelope_decrypt(env, kek, aad=5), lambda: en.xor_bytes(5, b"x")):
        with pytest.raises(TypeError):
            call()
    with pytest.raises(ValueError, match="kek_id"):
        en.envelope_encrypt(b"x", kek, kek_id="")
    with pytest.raises(ValueError, match="kek_id"):
        en.envelope_encrypt(b"x", kek, kek_id="\udc80")
    for field, value, error in (("wrapped_key", b"x", ValueError), ("nonce", 12, TypeError),
                                ("ciphertext", b"", ValueError), ("kek_id", None, TypeError)):
        parts = {"wrapped_key": env.wrapped_key, "key_nonce": env.key_nonce, "nonce": env.nonce,
                 "ciphertext": env.ciphertext, "kek_id": env.kek_id, field: value}
        with pytest.raises(error, match=field):
            en.Envelope(**parts)


def test_tampering_is_both_invalidtag_and_valueerror():
    kek = en.new_key()
    env = en.envelope_encrypt(b"x", kek, aad=b"a")
    with pytest.raises(en.EnvelopeTampered) as err:
        en.envelope_decrypt(env, kek, aad=b"b")
    assert isinstance(err.value, InvalidTag) and isinstance(err.value, ValueError)


def test_kek_id_and_aad_cannot_be_traded():
    # with a plain separator, wrap AAD "a|b" + "|" + "c" equals "a" + "|" + "b|c"
    kek = en.new_key()
    env = en.envelope_encrypt(b"x", kek, aad=b"c", kek_id="a|b")
    moved = en.Envelope(env.wrapped_key, env.key_nonce, env.nonce, env.ciphertext, "a")
    with pytest.raises(en.EnvelopeTampered):
        en.unwrap_key(moved, kek, aad=b"b|c")
    assert len(en.unwrap_key(env, kek, aad=b"c")) == 32


def test_xor_bytes_edges():
    assert en.xor_bytes(b"", b"abc") == b""
    assert en.xor_bytes(bytearray(b"\x01\x02"), memoryview(b"\x03\x03")) == b"\x02\x01"
