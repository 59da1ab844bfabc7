"""infralab.enclave: test vectors from the facts file, the real Nitro document, tampering, fuzzing,
the local KMS's denials, envelope encryption and the brute-force kernel."""

import contextlib
import datetime as dt
import hashlib
import os

import cbor2
import numpy as np
import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from infralab import data_path
from infralab import enclave as en

DOC = en.load_document(data_path("nitro_attestation_2022-07-26.b64"))
ROOT = data_path("aws_nitro_enclaves_root_g1.pem").read_bytes()
AT = dt.datetime(2022, 7, 26, 18, 39, 12, 566000, tzinfo=dt.timezone.utc)   # the document's own timestamp

# --- test vectors (facts.md section 3) ------------------------------------------------------


def test_sha384_abc():
    assert hashlib.sha384(b"abc").hexdigest() == (
        "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7")


def test_pcr_extend_check():
    assert en.pcr_extend(bytes(48), hashlib.sha384(b"abc").digest()).hex() == (
        "93732e3733514a841c982cfa75ea76ab55fe011acb9cd980ef4523913c65be1b0998e04d77f8c174f81a82151619ca40")
    assert en.measure(b"abc") == en.pcr_extend(bytes(48), hashlib.sha384(b"abc").digest())


@pytest.mark.parametrize("key_len, ct, tag", [
    (16, "0388dace60b6a392f328c2b971b2fe78", "ab6e47d42cec13bdf53a67b21257bddf"),   # GCM test case 2
    (32, "cea7403d4d606b6e074ec5d3baf39d18", "d0d1c8a799996bf0265b98b5d48ab919"),   # test case 14
])
def test_aes_gcm_vectors(key_len, ct, tag):
    out = AESGCM(bytes(key_len)).encrypt(bytes(12), bytes(16), None)
    assert out.hex() == ct + tag


def test_chacha20_rfc8439_block():
    block = en.chacha20_block(bytes(range(32)), 1, bytes.fromhex("000000090000004a00000000"))
    assert block.hex() == ("10f1e7e4d13b5915500fdd1fa32071c4c7d1f4c733c068030422aa9ac3d46c4e"
                           "d2826446079faa0914c2d705d98b02a2b5129cd1de164eb9cbd083e8a2503c4e")


def _keystream(key, counter, nonce, n=64):
    return Cipher(algorithms.ChaCha20(key, counter.to_bytes(4, "little") + nonce), None).encryptor().update(bytes(n))


@settings(max_examples=50, deadline=None)
@given(st.binary(min_size=32, max_size=32), st.integers(0, 2**32 - 1), st.binary(min_size=12, max_size=12))
def test_chacha20_block_equals_cryptography(key, counter, nonce):
    assert en.chacha20_block(key, counter, nonce) == _keystream(key, counter, nonce)


def test_chacha20_bad_input():
    with pytest.raises(TypeError, match="key"):
        en.chacha20_block(b"short", 0, bytes(12))
    with pytest.raises(ValueError, match="counter"):
        en.chacha20_block(bytes(32), -1, bytes(12))


# --- brute force ----------------------------------------------------------------------------


def _puzzle(bits, seed):
    rng = np.random.default_rng(seed)
    words = np.frombuffer(rng.bytes(32), "<u4").copy()
    words[0] &= np.uint32((0xFFFFFFFF << bits) & 0xFFFFFFFF)
    known = words.tobytes()
    secret = int(rng.integers(0, 1 << bits))
    nonce, plain = rng.bytes(12), rng.bytes(64)
    cipher = bytes(a ^ b for a, b in zip(plain, _keystream(en.key_with(known, secret), 0, nonce)))
    return known, secret, nonce, plain, cipher


@pytest.mark.parametrize("bits, seed", [(1, 0), (4, 1), (12, 2), (18, 3)])
def test_search_finds_the_key(bits, seed):
    known, secret, nonce, plain, cipher = _puzzle(bits, seed)
    assert en.search_key(known, bits, nonce, plain, cipher) == secret


def test_search_reports_none_when_the_key_is_elsewhere():
    known, _, nonce, plain, cipher = _puzzle(10, 5)
    flipped = bytes([cipher[0] ^ 1]) + cipher[1:]
    assert en.search_key(known, 10, nonce, plain, flipped) is None


def test_search_bad_input():
    known, _, nonce, plain, cipher = _puzzle(8, 6)
    with pytest.raises(ValueError, match="unknown_bits"):
        en.search_key(known, 40, nonce, plain, cipher)
    with pytest.raises(ValueError, match="must be zero"):
        en.search_key(b"\xff" * 32, 8, nonce, plain, cipher)


# --- measurement ----------------------------------------------------------------------------


def test_changing_the_application_changes_pcr0_and_pcr2_only():
    a = en.measure_image(b"kernel", b"init", b"app v1")
    b = en.measure_image(b"kernel", b"init", b"app v2")
    assert a[0] != b[0] and a[2] != b[2] and a[1] == b[1]


# --- the real attestation document ----------------------------------------------------------


def test_real_document_verifies_as_of_its_timestamp():
    p = en.verify_attestation(DOC, ROOT, at=AT)
    assert p["module_id"] == "i-0936512d5ae6ee91a-enc01823bcde8eb8a8a"
    assert p["timestamp"] == 1658860752566
    assert len(p["pcrs"]) == 16 and all(len(v) == 48 for v in p["pcrs"].values())
    assert len(p["cabundle"]) == 4
    assert hashlib.sha256(p["cabundle"][0]).hexdigest() == (
        "641a0321a3e244efe456463195d606317ed7cdcc3c1756e09893f3c68f79bb5b")   # fixtures README
    assert p["pcrs"][4] != bytes(48) and all(p["pcrs"][i] == bytes(48) for i in p["pcrs"] if i != 4)


# the three genuine documents in data/, each with its own timestamp (ms) and what it shows
GENUINE = {
    "2022-07-26": (1658860752566, "i-0936512d5ae6ee91a-enc01823bcde8eb8a8a"),  # definite-length payload
    "2024-07-16": (1721159587239, "i-059e862454f4a8d8f-enc0190a2f1964172e6"),  # nonce is CBOR null
    "2026-02-02": (1770065027502, "i-0340e0cb833504eb6-enc019c12d31f78864d"),  # indefinite-length payload map
}


def _genuine(name):
    ms, module_id = GENUINE[name]
    at = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(milliseconds=ms)
    return en.load_document(data_path(f"nitro_attestation_{name}.b64")), at, module_id


@pytest.mark.parametrize("name", sorted(GENUINE))
def test_every_genuine_document_verifies_at_its_own_time(name):
    doc, at, module_id = _genuine(name)
    p = en.verify_attestation(doc, ROOT, at=at)
    assert p["module_id"] == module_id and p["timestamp"] == GENUINE[name][0]
    assert hashlib.sha256(p["cabundle"][0]).hexdigest() == (
        "641a0321a3e244efe456463195d606317ed7cdcc3c1756e09893f3c68f79bb5b")
    with pytest.raises(en.AttestationError) as err:               # and only at its own time
        en.verify_attestation(doc, ROOT, at=at + dt.timedelta(hours=4))
    assert err.value.check == "validity"


def test_the_genuine_documents_show_both_wire_forms():
    """What the fixtures README says of them: 2026 has an indefinite-length payload map, 2024 a null
    nonce, and each optional field comes back as None or bytes of at most the CDDL's 1,024."""
    (d22, a22, _), (d24, a24, _), (d26, a26, _) = (_genuine(n) for n in sorted(GENUINE))
    assert cbor2.loads(d26)[2][:1] == b"\xbf" and cbor2.loads(d26)[2][-1:] == b"\xff"
    assert cbor2.loads(d22)[2][:1] == b"\xa9" and cbor2.loads(d24)[2][:1] == b"\xa9"
    p24 = en.verify_attestation(d24, ROOT, at=a24)
    assert p24["nonce"] is None and len(p24["public_key"]) == 130 and len(p24["user_data"]) == 32
    p26 = en.verify_attestation(d26, ROOT, at=a26, nonce=en.verify_attestation(d26, ROOT, at=a26)["nonce"])
    assert (len(p26["user_data"]), len(p26["nonce"]), len(p26["public_key"])) == (68, 20, 5)
    with pytest.raises(en.AttestationError) as err:               # a null nonce is not the expected nonce
        en.verify_attestation(d24, ROOT, at=a24, nonce=b"n" * 20)
    assert err.value.check == "nonce"


#: bits flipped per genuine document: every framing bit, plus an even stride through the rest
#: (all ~36,000 bits of each document would take minutes: each refusal can cost 5 ECDSA checks)
SAMPLED_BITS = 700


@pytest.mark.parametrize("name", sorted(GENUINE))
def test_one_flipped_bit_anywhere_in_a_genuine_document_is_refused(name):
    doc, at, _ = _genuine(name)
    n_bits = len(doc) * 8
    covered = _covered_ranges(doc)
    framing = [8 * i + b for i in range(len(doc)) if not any(i in r for r in covered) for b in range(8)]
    stride = n_bits // SAMPLED_BITS
    for pos in sorted(set(framing) | set(range(stride // 2, n_bits, stride))):
        bad = bytearray(doc)
        bad[pos // 8] ^= 1 << (pos % 8)
        with refuses():
            en.verify_attestation(bytes(bad), ROOT, at=at)


def test_root_as_der_and_tagged_document():
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    der = x509.load_pem_x509_certificate(ROOT).public_bytes(serialization.Encoding.DER)
    tagged = cbor2.dumps(cbor2.CBORTag(18, cbor2.loads(DOC)))
    assert en.verify_attestation(tagged, der, at=AT)["timestamp"] == 1658860752566


def test_expected_pcrs_and_nonce():
    p = en.verify_attestation(DOC, ROOT, at=AT)
    en.verify_attestation(DOC, ROOT, at=AT, expected_pcrs={4: p["pcrs"][4]}, nonce=p["nonce"])
    with pytest.raises(en.AttestationError) as err:
        en.verify_attestation(DOC, ROOT, at=AT, expected_pcrs={0: b"\x01" * 48})
    assert err.value.check == "pcrs"
    with pytest.raises(en.AttestationError) as err:
        en.verify_attestation(DOC, ROOT, at=AT, nonce=b"another nonce")
    assert err.value.check == "nonce"


def _reencode(doc, payload_edit=None, signature=None, protected=None):
    prot, unprot, payload, sig = cbor2.loads(doc)
    if payload_edit:
        p = cbor2.loads(payload)
        payload_edit(p)
        payload = cbor2.dumps(p)
    return cbor2.dumps([protected or prot, unprot, payload, signature or sig])


def _other_root_pem():
    return en.TestPKI(start=AT - dt.timedelta(days=1)).root_pem


@pytest.mark.parametrize("name, make, check", [
    ("later clock", lambda: (DOC, ROOT, AT + dt.timedelta(hours=4)), "validity"),
    ("another root", lambda: (DOC, _other_root_pem(), AT), "root"),
    ("signature byte", lambda: (_reencode(DOC, signature=bytes([cbor2.loads(DOC)[3][0] ^ 1]) + cbor2.loads(DOC)[3][1:]), ROOT, AT), "signature"),
    ("payload field", lambda: (_reencode(DOC, lambda p: p.update(module_id="i-attacker")), ROOT, AT), "signature"),
    ("swapped certificate", lambda: (_reencode(DOC, lambda p: p.update(certificate=p["cabundle"][3])), ROOT, AT), "chain"),
    ("dropped intermediate", lambda: (_reencode(DOC, lambda p: p["cabundle"].pop(2)), ROOT, AT), "chain"),
    ("algorithm", lambda: (_reencode(DOC, protected=cbor2.dumps({1: -7})), ROOT, AT), "protected_header"),
    ("truncated", lambda: (DOC[:-10], ROOT, AT), "structure"),
    ("trailing byte", lambda: (DOC + b"\x00", ROOT, AT), "structure"),
    ("empty", lambda: (b"", ROOT, AT), "input"),
])
def test_each_tampering_breaks_its_check(name, make, check):
    doc, root, at = make()
    with pytest.raises(en.AttestationError) as err:
        en.verify_attestation(doc, root, at=at)
    assert err.value.check == check, (name, str(err.value))


def _covered_ranges(doc):
    """Byte ranges of the document that sit inside the signed/compared byte strings."""
    prot, _, payload, sig = cbor2.loads(doc)
    out = []
    for piece in (prot, payload, sig):
        start = doc.index(piece)
        out.append(range(start, start + len(piece)))
    return out


def test_every_framing_bit_flip_is_refused():
    covered = _covered_ranges(DOC)
    framing = [i for i in range(len(DOC)) if not any(i in r for r in covered)]
    assert 0 < len(framing) < 20
    for i in framing:
        for bit in range(8):
            bad = bytearray(DOC)
            bad[i] ^= 1 << bit
            with refuses():
                en.verify_attestation(bytes(bad), ROOT, at=AT)


@contextlib.contextmanager
def refuses():
    """An AttestationError from one of the named checks (never the verifier's "internal" guard)."""
    with pytest.raises(en.AttestationError) as err:
        yield
    assert err.value.check in en.CHECKS, str(err.value)


fuzz = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@fuzz
@given(st.integers(0, len(DOC) * 8 - 1))
def test_fuzz_bit_flips_are_refused(pos):
    bad = bytearray(DOC)
    bad[pos // 8] ^= 1 << (pos % 8)
    with refuses():
        en.verify_attestation(bytes(bad), ROOT, at=AT)


@fuzz
@given(st.integers(0, len(DOC) - 1))
def test_fuzz_truncations_are_refused(n):
    with refuses():
        en.verify_attestation(DOC[:n], ROOT, at=AT)


@fuzz
@given(st.binary(max_size=600))
def test_fuzz_random_bytes_are_refused(data):
    with refuses():
        en.verify_attestation(data, ROOT, at=AT)


cbor_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**64, 2**64) | st.binary(max_size=100) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.integers(-5, 40) | st.text(max_size=12),
                                                                      children, max_size=6),
    max_leaves=30)


@fuzz
@given(cbor_values, st.sampled_from([0, 1, 2, 3]))
def test_fuzz_malformed_cbor_structures_are_refused(value, slot):
    prot, unprot, payload, sig = cbor2.loads(DOC)
    parts = [prot, unprot, payload, sig]
    encoded = cbor2.dumps(value)
    parts[slot] = encoded if slot in (0, 2) else value        # inside a bstr, or in place of the item
    doc = cbor2.dumps(parts)
    assume(doc != DOC)                                        # e.g. {} in place of the empty header
    with refuses():
        en.verify_attestation(doc, ROOT, at=AT)


@fuzz
@given(cbor_values)
def test_fuzz_payload_maps_are_refused(extra):
    def edit(p):
        p["user_data"] = extra if not isinstance(extra, bytes) else extra + b"!"
    with refuses():
        en.verify_attestation(_reencode(DOC, edit), ROOT, at=AT)


def test_bad_root_and_naive_time():
    with pytest.raises(en.AttestationError) as err:
        en.verify_attestation(DOC, b"not a certificate", at=AT)
    assert err.value.check == "input"
    with pytest.raises(TypeError, match="timezone-aware"):
        en.verify_attestation(DOC, ROOT, at=dt.datetime(2022, 7, 26, 18, 40))


# --- minted documents and the local KMS -----------------------------------------------------

NOW = dt.datetime(2030, 1, 1, tzinfo=dt.timezone.utc)


@pytest.fixture(scope="module")
def world():
    pki = en.TestPKI(start=NOW - dt.timedelta(minutes=2))        # documents dated NOW - 1 min: fresh
    enclave = en.ToyEnclave(b"kernel", b"init", b"model server v1", pki, clock=lambda: NOW)
    return pki, enclave


def test_minted_document_verifies(world):
    pki, enclave = world
    for tagged in (False, True):
        doc = en.mint_attestation(pki, enclave.pcrs, nonce=b"n" * 20, tagged=tagged)
        p = en.verify_attestation(doc, pki.root_pem, at=NOW, expected_pcrs={0: enclave.pcrs[0]}, nonce=b"n" * 20)
        assert p["pcrs"][2] == enclave.pcrs[2]


def _kms(pki, enclave, clock=NOW):
    kms = en.LocalKMS(pki.root_pem, clock=lambda: clock)
    return kms, kms.create_key(en.KeyPolicy(image_sha384=enclave.pcrs[0].hex()))


def test_kms_releases_the_key_only_to_the_enclave(world):
    pki, enclave = world
    kms, key_id = _kms(pki, enclave)
    out = kms.generate_data_key(key_id, recipient=enclave.recipient())
    assert "Plaintext" not in out
    data_key = enclave.open(out["CiphertextForRecipient"])
    again = kms.decrypt(key_id, out["CiphertextBlob"], recipient=enclave.recipient())
    assert enclave.open(again["CiphertextForRecipient"]) == data_key and len(data_key) == 32


def test_kms_denials(world):
    pki, enclave = world
    kms, key_id = _kms(pki, enclave)
    blob = kms.generate_data_key(key_id, recipient=enclave.recipient())["CiphertextBlob"]
    other_image = en.ToyEnclave(b"kernel", b"init", b"model server v2 (patched)", pki, clock=lambda: NOW)
    forged = enclave.recipient()
    forged["AttestationDocument"] = _reencode(forged["AttestationDocument"],
                                              lambda p: p["pcrs"].update({3: b"\x07" * 48}))
    stranger_pki = en.TestPKI(start=NOW - dt.timedelta(minutes=2))
    stranger = en.ToyEnclave(b"kernel", b"init", b"model server v1", stranger_pki, clock=lambda: NOW)
    replay = enclave.recipient(nonce=b"r" * 20)
    kms.decrypt(key_id, blob, recipient=replay)
    cases = {
        "policy": other_image.recipient(),
        "attestation.signature": forged,
        "attestation.root": stranger.recipient(),
        "nonce": replay,
        "recipient": None,
    }
    for check, recipient in cases.items():
        with pytest.raises(en.KMSAccessDenied) as err:
            kms.decrypt(key_id, blob, recipient=recipient)
        assert err.value.check == check, str(err.value)
    late_kms = kms.with_clock(lambda: NOW + dt.timedelta(hours=5))
    with pytest.raises(en.KMSAccessDenied) as err:
        late_kms.decrypt(key_id, blob, recipient=enclave.recipient())
    assert err.value.check == "attestation.validity"


def test_kms_plaintext_only_when_policy_allows(world):
    pki, _ = world
    kms = en.LocalKMS(pki.root_pem, clock=lambda: NOW)
    open_key = kms.create_key(en.KeyPolicy(require_attestation=False))
    assert len(kms.generate_data_key(open_key)["Plaintext"]) == 32
    with pytest.raises(en.KMSAccessDenied):
        kms.decrypt("key-unknown", b"x" * 40)


# --- envelope encryption --------------------------------------------------------------------


def test_envelope_round_trip_and_tamper_detection():
    kek = en.new_key()
    env = en.envelope_encrypt(b"model weights", kek, aad=b"bucket/model.safetensors")
    assert en.envelope_decrypt(env, kek, aad=b"bucket/model.safetensors") == b"model weights"
    flipped = en.Envelope(env.wrapped_key, env.key_nonce, env.nonce,
                          bytes([env.ciphertext[0] ^ 1]) + env.ciphertext[1:], env.kek_id)
    with pytest.raises(InvalidTag):
        en.envelope_decrypt(flipped, kek, aad=b"bucket/model.safetensors")
    with pytest.raises(InvalidTag):
        en.envelope_decrypt(env, kek, aad=b"bucket/other")
    with pytest.raises(InvalidTag):
        en.envelope_decrypt(env, en.new_key(), aad=b"bucket/model.safetensors")


def test_rewrap_rotates_the_kek_without_touching_the_data():
    old, new = en.new_key(), en.new_key()
    env = en.envelope_encrypt(os.urandom(1000), old)
    rotated = en.rewrap(env, old, new, "kek-2")
    assert rotated.ciphertext == env.ciphertext
    assert en.envelope_decrypt(rotated, new) == en.envelope_decrypt(env, old)
    with pytest.raises(InvalidTag):
        en.envelope_decrypt(rotated, old)


def test_nonce_reuse_leaks_the_xor_of_plaintexts():
    key, nonce = en.new_key(), os.urandom(12)
    p1, p2 = b"attack at dawn!!", b"retreat at noon!"
    c1, c2 = AESGCM(key).encrypt(nonce, p1, None), AESGCM(key).encrypt(nonce, p2, None)
    assert en.xor_bytes(c1, c2)[:len(p1)] == en.xor_bytes(p1, p2)   # the tags differ, the bodies leak
