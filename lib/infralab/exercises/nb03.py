"""Exercises of notebook 03 (enclave cryptography): the relay, AAD, PCRs, attestation, the wire
forms of genuine documents, key policy, brute force and line-rate encryption.

Each answer is computed by the function beside it, from the exercise's parameters and
:mod:`infralab.enclave`; :meth:`~infralab.exercises.Exercise.solution` prints that function's
source. The exercises that run the key service use a fixed clock (1 January 2030) and TEST keys
generated at run time, so their answers do not depend on the day they are computed.

Examples
--------
>>> import math
>>> from infralab import exercises
>>> ex = exercises.load("03")
>>> sorted(ex)
[1, 2, 3, 4, 5, 6, 7, 8]

The answers agree with the analysis (not with numbers copied from the code's output):

>>> ex[3].answer()                  # a kernel edit moves PCR0 and PCR1, never PCR2
(True, True, False, 'PCR2')
>>> ex[7].answer() == math.floor(math.log2(4e7 * 3600))
True
>>> ex[8].answer() == (math.ceil(50e9 / 2e9), math.ceil(50e9 / 8.5e9))   # 400 Gb/s = 50 GB/s
True
"""

from __future__ import annotations

import datetime as dt

import cbor2
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from .. import _checks, claims, data_path
from .. import enclave as en
from ..enclave.kms import OAEP
from ._core import Boolean, Choice, Exercise, Number, Parts

__all__ = ["NOTEBOOK", "EXERCISES"]   # the answer functions are reached through Exercise, not API

NOTEBOOK = "03_enclave_cryptography"

#: The toy enclave image of the notebook (sections 3 and 5).
_KERNEL, _INIT, _APP = b"linux 6.1 kernel", b"init", b"model-server v1.0"
#: A fixed clock for the key-service exercises: their answers must not depend on today's date.
_START = dt.datetime(2030, 1, 1, tzinfo=dt.timezone.utc)


def _clock() -> dt.datetime:
    return _START + dt.timedelta(minutes=1)


# --- Exercise 1: what the parent instance can do with what it relays ---------------------------

def parent_in_the_middle(kernel: bytes = _KERNEL, init: bytes = _INIT,
                         application: bytes = _APP) -> tuple[bool, str]:
    """(can the parent open CiphertextForRecipient with a key pair of its own?,
    what the key service says when the parent swaps its own public key into the document)."""
    pki = en.TestPKI(start=_START)                               # stands in for AWS's signing chain
    kms = en.LocalKMS(pki.root_pem, clock=_clock)
    enclave = en.ToyEnclave(kernel, init, application, pki, clock=_clock)
    key_id = kms.create_key(en.KeyPolicy(image_sha384=enclave.pcrs[0].hex()))
    grant = kms.generate_data_key(key_id, recipient=enclave.recipient())

    parent = rsa.generate_private_key(public_exponent=65537, key_size=2048)   # the parent's own key
    try:
        parent.decrypt(grant["CiphertextForRecipient"], OAEP)
        parent_reads = True
    except ValueError:                                            # encrypted to the enclave's key
        parent_reads = False

    recipient = enclave.recipient()                               # the parent relays this request...
    prot, unprot, body, sig = cbor2.loads(recipient["AttestationDocument"])
    payload = cbor2.loads(body)
    payload["public_key"] = parent.public_key().public_bytes(    # ...after swapping in its own key
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    recipient["AttestationDocument"] = cbor2.dumps([prot, unprot, cbor2.dumps(payload), sig])
    try:
        kms.generate_data_key(key_id, recipient=recipient)
        swapped = "released"
    except en.KMSAccessDenied as err:
        swapped = err.check
    return parent_reads, swapped


# --- Exercise 2: the object's name as associated data ------------------------------------------

def name_as_aad(plaintext: bytes = b"model weights: 0.0173, -0.2231, ...",
                name: bytes = b"s3://models/llm-70b/shard-0001",
                other_name: bytes = b"s3://other") -> tuple[bool, bool]:
    """(does the envelope decrypt under another object's name?, does binding the name add bytes?)."""
    kek = en.new_key()
    bound = en.envelope_encrypt(plaintext, kek, aad=name)
    try:
        en.envelope_decrypt(bound, kek, aad=other_name)
        decrypts_elsewhere = True
    except en.EnvelopeTampered:                                   # the tag covers the name
        decrypts_elsewhere = False
    unbound = en.envelope_encrypt(plaintext, kek)                 # the same object, no name bound
    stored = lambda e: len(e.wrapped_key) + len(e.key_nonce) + len(e.nonce) + len(e.ciphertext)
    return decrypts_elsewhere, stored(bound) > stored(unbound)


# --- Exercise 3: edit the kernel, not the application ------------------------------------------

def kernel_edit(kernel: bytes = _KERNEL, init: bytes = _INIT, application: bytes = _APP,
                patched_kernel: bytes = b"linux 6.1.1 kernel") -> tuple[bool, bool, bool, str]:
    """(PCR0 changed?, PCR1 changed?, PCR2 changed?, the condition that pins the application on
    any kernel)."""
    before = en.measure_image(kernel, init, application)
    patched = en.measure_image(patched_kernel, init, application)
    new_app = en.measure_image(kernel, init, application + b" (modified)")
    changed = [before[i] != patched[i] for i in (0, 1, 2)]
    # the condition to use: it must ignore the kernel patch and still catch a changed application
    conditions = {"ImageSha384": 0, "PCR2": 2}
    fits = [name for name, i in conditions.items() if before[i] == patched[i] and before[i] != new_app[i]]
    return changed[0], changed[1], changed[2], fits[0]


# --- Exercise 4: one flipped bit in a PCR of the real document ---------------------------------

def flipped_pcr_refused_by(pcr: int = 4, byte_index: int = 0) -> str:
    """The check of ``verify_attestation`` that refuses the real document with one bit of a PCR flipped."""
    pcr = _checks.integer("pcr", pcr, low=0, high=15)
    byte_index = _checks.integer("byte_index", byte_index, low=0, high=47)
    doc = en.load_document(data_path("nitro_attestation_2022-07-26.b64"))
    root = data_path("aws_nitro_enclaves_root_g1.pem").read_bytes()
    prot, unprot, body, sig = cbor2.loads(doc)
    payload = cbor2.loads(body)
    value = bytearray(payload["pcrs"][pcr])
    value[byte_index] ^= 1
    payload["pcrs"][pcr] = bytes(value)
    tampered = cbor2.dumps([prot, unprot, cbor2.dumps(payload), sig])
    when = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(milliseconds=payload["timestamp"])
    try:
        en.verify_attestation(tampered, root, at=when)            # as of the document's own time
    except en.AttestationError as err:
        return err.check
    return "accepted"


# --- Exercise 5: the spec and the wire ----------------------------------------------------------

def _genuine(name: str) -> tuple[bytes, dt.datetime]:
    doc = en.load_document(data_path(f"nitro_attestation_{name}.b64"))
    ms = cbor2.loads(cbor2.loads(doc)[2])["timestamp"]
    return doc, dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(milliseconds=ms)


def wire_forms(expected_nonce: bytes = bytes(20)) -> tuple[str, str]:
    """(the check that refuses the 2026 document once its indefinite-length payload is re-encoded
    as a definite-length map with the same content, the check that refuses the 2024 document (null
    nonce) when the verifier is told to expect ``expected_nonce``, or 'accepted')."""
    root = data_path("aws_nitro_enclaves_root_g1.pem").read_bytes()
    doc, when = _genuine("2026-02-02")
    prot, unprot, body, sig = cbor2.loads(doc)
    definite = cbor2.dumps([prot, unprot, cbor2.dumps(cbor2.loads(body)), sig])   # same content
    try:
        en.verify_attestation(definite, root, at=when)
        refused_by = "accepted"
    except en.AttestationError as err:
        refused_by = err.check
    doc24, when24 = _genuine("2024-07-16")
    try:
        en.verify_attestation(doc24, root, at=when24, nonce=expected_nonce)
        refused24 = "accepted"
    except en.AttestationError as err:
        refused24 = err.check
    return refused_by, refused24


# --- Exercise 6: a policy on PCR1 alone, and on PCR2 alone -------------------------------------

def single_pcr_policies(kernel: bytes = _KERNEL, init: bytes = _INIT, application: bytes = _APP,
                        impostor_application: bytes = b"model-server v1.0 + exfiltration",
                        patched_kernel: bytes = b"linux 6.1.1 kernel") -> tuple[str, bool, bool]:
    """(what the impostor gets under a policy on PCR1 alone, is it denied under PCR2 alone?,
    does the application on a patched kernel get a key under PCR2 alone?)."""
    pki = en.TestPKI(start=_START)
    kms = en.LocalKMS(pki.root_pem, clock=_clock)
    enclave = en.ToyEnclave(kernel, init, application, pki, clock=_clock)
    impostor = en.ToyEnclave(kernel, init, impostor_application, pki, clock=_clock)
    patched = en.ToyEnclave(patched_kernel, init, application, pki, clock=_clock)

    def outcome(policy: en.KeyPolicy, who: en.ToyEnclave) -> str:
        key_id = kms.create_key(policy)                           # a policy is fixed with its key
        try:
            kms.generate_data_key(key_id, recipient=who.recipient())
            return "released"
        except en.KMSAccessDenied as err:
            return err.check

    pcr1_only = en.KeyPolicy(pcrs={1: enclave.pcrs[1].hex()})
    pcr2_only = en.KeyPolicy(pcrs={2: enclave.pcrs[2].hex()})
    return (outcome(pcr1_only, impostor), outcome(pcr2_only, impostor) != "released",
            outcome(pcr2_only, patched) == "released")


# --- Exercise 7: how many bits in one hour -----------------------------------------------------

def bits_in_an_hour(keys_per_second: float = 4e7, hours: float = 1.0) -> int:
    """The largest whole number of unknown key bits whose every key this machine tries in ``hours``."""
    keys_per_second = _checks.positive("keys_per_second", keys_per_second)
    budget_years = _checks.positive("hours", hours) / (365.25 * 24)
    bits = 0
    while bits < 4096 and claims.brute_force_years(bits + 1, keys_per_second)["years"] <= budget_years:
        bits += 1                                                  # one more bit doubles the keys
    return bits


# --- Exercise 8: line rate with packet-sized messages ------------------------------------------

def cores_for_packets(rate_1500: float = 2e9, rate_9000: float = 8.5e9,
                      link_gbps: float = 400.0) -> tuple[int, int]:
    """Cores to encrypt one direction of a ``link_gbps`` link at the per-core rates (bytes/s)
    measured with 1,500-byte and 9,000-byte messages."""
    return en.cores_for_line_rate(link_gbps, rate_1500), en.cores_for_line_rate(link_gbps, rate_9000)


_RELAY_OPTIONS = ("released", "policy", "attestation.signature", "attestation.root", "nonce")

EXERCISES = [
    Exercise(
        number=1,
        title="the parent instance relays everything but learns no data key",
        kind=Parts((Boolean(), Choice(_RELAY_OPTIONS))),
        compute=parent_in_the_middle,
        params={"kernel": _KERNEL, "init": _INIT, "application": _APP},
        hint_text=(
            "Answer with a tuple of two parts. (a) To whose public key is `CiphertextForRecipient` "
            "encrypted, and where does the matching private key live? (b) The public key sits in the "
            "document's payload. Which of the checks, in the order they run, would notice a payload byte "
            "that changed after the document was made? The option names are the `check` values that "
            "`KMSAccessDenied` carries."),
        explanation=(
            "(a) No. `CiphertextForRecipient` is encrypted to an RSA public key that the enclave "
            "generated and put inside its attestation document; the matching private key never "
            "leaves the enclave's memory, which the parent cannot read. A key pair of the parent's own "
            "fails to decrypt it. (b) The parent could substitute its own public key before relaying "
            "the request, but the public key is part of the signed payload: the document's ES384 "
            "signature no longer verifies, and the key service refuses with "
            "`attestation.signature`. (Signing a fresh document itself would need the hypervisor's key; "
            "a document of another enclave would carry other PCRs and fail the key policy.)"),
    ),
    Exercise(
        number=2,
        title="the object's name as associated data",
        kind=Parts((Boolean(), Boolean())),
        compute=name_as_aad,
        params={"plaintext": b"model weights: 0.0173, -0.2231, ...",
                "name": b"s3://models/llm-70b/shard-0001", "other_name": b"s3://other"},
        hint_text=(
            "Answer with a tuple of two booleans. (a) What does GCM's tag cover besides the "
            "ciphertext, and what happens when the name given at decryption differs? (b) What is "
            "stored in an envelope, and is the associated data among it?"),
        explanation=(
            "(a) No: the tag covers the associated data, so an envelope copied under another name "
            "fails authentication (`InvalidTag`, here `EnvelopeTampered`), as your call under "
            "`b\"s3://other\"` shows. (b) No: associated data is authenticated, not stored, so binding the "
            "name costs no bytes; the storage system keeps the name where it always does, readable, "
            "to find the object. Encrypting the name inside the ciphertext would hide it from the "
            "storage system without binding the ciphertext to the place it is stored."),
    ),
    Exercise(
        number=3,
        title="edit the kernel instead of the application",
        kind=Parts((Boolean(), Boolean(), Boolean(), Choice(("ImageSha384", "PCR2"))),
                   labels=("PCR0 changed", "PCR1 changed", "PCR2 changed", "condition")),
        compute=kernel_edit,
        params={"kernel": _KERNEL, "init": _INIT, "application": _APP,
                "patched_kernel": b"linux 6.1.1 kernel"},
        hint_text=(
            "Answer with a tuple of four parts: did PCR0, PCR1 and the application's PCR change "
            "(three booleans), and which condition key? Which sections does each PCR hash (section 3)? "
            "For the condition: set your three booleans beside what the policy must tolerate and what "
            "it must catch."),
        explanation=(
            "PCR0 (kernel, init and application) and PCR1 (kernel and init) change; PCR2 "
            "(application only) does not. So `kms:RecipientAttestation:PCR2` pins \"this exact "
            "application on any kernel\", while `ImageSha384` (PCR0) accepts exactly one image. PCR2 "
            "alone is a risk: the kernel and bootstrap are part of the trusted base, and a hostile "
            "kernel could read the application's memory. Pinning PCR0 accepts one image. PCR8 (the "
            "image's signing certificate) pinned *instead* accepts every image signed with your "
            "certificate, which allows updates without a policy change; pinned together with PCR0 it "
            "still accepts only that one image, now also required to carry your signature."),
    ),
    Exercise(
        number=4,
        title="one flipped bit in PCR4 of the real document",
        kind=Choice((*en.CHECKS, "accepted")),
        compute=flipped_pcr_refused_by,
        params={"pcr": 4, "byte_index": 0},
        hint_text=(
            "Use `with_payload` to make the tampered document and verify it `at=when`; the refusal "
            "names its check in `err.check`. Before you run it, predict: with no `expected_pcrs` "
            "given, which of the checks in `en.CHECKS` ever looks at the PCR bytes, directly or "
            "indirectly? Of the checks that do, which runs first?"),
        explanation=(
            "The document is refused by the `signature` check. The tampered payload is still "
            "well-formed CBOR with a 48-byte PCR4, the certificates and their chain are untouched and "
            "the timestamp is unchanged, so every earlier check passes; and the verifier was given no "
            "expected PCR4, so the `pcrs` check has nothing to compare. Only the signature binds the "
            "PCR values to the Nitro hypervisor's key, which is why it must cover every payload byte."),
    ),
    Exercise(
        number=5,
        title="the wire forms of genuine documents",
        kind=Parts((Choice((*en.CHECKS, "accepted")), Choice((*en.CHECKS, "accepted"))),
                   labels=("re-encoded 2026 payload", "2024 document with an expected nonce")),
        compute=wire_forms,
        params={"expected_nonce": bytes(20)},
        hint_text=(
            "A tuple of two parts. (a) Re-encoding the payload map with a definite length keeps every "
            "field and value: does it keep every byte? Which bytes does the COSE "
            "`Sig_structure` contain? (b) How does the verifier read an optional field that is CBOR "
            "null, and which of its checks compare a value the caller asked for with the document's?"),
        explanation=(
            "(a) The `signature` check refuses it. The content is the same, but the signature covers "
            "the payload's exact bytes (`Sig_structure` embeds them), and `0xbf ... 0xff` is not "
            "`0xa9 ...`: a verifier must never re-encode before checking, and accepting the "
            "indefinite form costs nothing, because a forger cannot re-sign any other form either. "
            "(b) The `nonce` check: the 2024 document's nonce is CBOR null, which the verifier reads as "
            "absent (the `payload` check accepts it, as genuine documents carry it), so a request for a "
            "nonce fails the `nonce` check. Reading null as absent is lax only in what it accepts "
            "as *no value*; it never turns a missing value into a matching one."),
    ),
    Exercise(
        number=6,
        title="a key policy on PCR1 alone, and on PCR2 alone",
        kind=Parts((Choice(("released", "policy", "attestation.signature", "nonce")), Boolean(), Boolean())),
        compute=single_pcr_policies,
        params={"kernel": _KERNEL, "init": _INIT, "application": _APP,
                "impostor_application": b"model-server v1.0 + exfiltration",
                "patched_kernel": b"linux 6.1.1 kernel"},
        hint_text=(
            "A tuple of three parts. Start from exercise 3: which sections does each PCR hash? "
            "(a) The impostor changed only its application: which PCRs does that move, and what does "
            "a policy compare when it names only PCR1? The option names are the `check` values that "
            "`KMSAccessDenied` carries, and the one word for a key handed over. (b) Does the application's PCR see the "
            "impostor's change? (c) Does a kernel patch move the application's PCR?"),
        explanation=(
            "(a) The key is `released` to the impostor. PCR1 covers only the kernel and the bootstrap "
            "ramdisk, which the impostor kept unchanged, so a policy on PCR1 alone hands the data key "
            "to an image with any application, exfiltration included: it pins the platform, not the "
            "code that handles the data. (b) PCR2 alone denies the impostor (`policy`), because its "
            "application differs. (c) Under PCR2 alone the approved application on a patched kernel "
            "receives a key: that is the case for PCR2 alone, when you trust any kernel the platform "
            "provides and care only about the application, for example to survive kernel security "
            "updates without a new key policy; the price is that the kernel is no longer pinned. "
            "ImageSha384 (PCR0) pins both, and admits neither the impostor nor the patched kernel."),
    ),
    Exercise(
        number=7,
        title="how many unknown key bits this machine searches in one hour",
        kind=Number(unit="bits", rtol=0.02),
        compute=bits_in_an_hour,
        params={"keys_per_second": 4e7, "hours": 1.0},
        hint_text=(
            "How many keys does the machine try in one hour, and how many keys do b unknown bits "
            "make? Which b is the largest whose keys all fit in that hour (a search that is not "
            "finished has not found the key)? The check cell already passes it the rate you measured."),
        explanation=(
            "`bits = floor(log2(rate x 3600))`: the largest b with 2^b keys tried within the hour. "
            "Each doubling of the hardware buys one more bit, which is why 128-bit keys stay out of "
            "reach: against 128 bits, an hour of this machine falls short by 128 minus your answer "
            "(about 90) doublings."),
    ),
    Exercise(
        number=8,
        title="cores for 400 Gb/s with packet-sized messages",
        kind=Parts((Number(unit="cores", rtol=0.001, atol=1.0), Number(unit="cores", rtol=0.001, atol=1.0)),
                   labels=("1,500-byte packets", "9,000-byte packets")),
        compute=cores_for_packets,
        params={"rate_1500": 2e9, "rate_9000": 8.5e9, "link_gbps": 400.0},
        hint_text=(
            "A tuple of two whole numbers. Is 400 Gb/s counted in bits or in bytes, and in which unit "
            "are `r1500` and `r9000`? How many bytes per second must one direction carry, and how many "
            "times one core's rate is that? The check cell passes your measured rates to the exercise "
            "with `given`."),
        explanation=(
            "cores = ceil(400e9 / 8 / rate). At MTU-sized packets the per-call overhead of the Python "
            "binding dominates, so the per-core rate falls and the core count rises well above the "
            "1 MiB figure; jumbo frames (9,000 bytes) recover much of it. Even in C, per-packet costs "
            "push the count up. NICs process packets in hardware pipelines instead, which is the case "
            "for encrypting in the Nitro card. (The parameters' default rates, 2e9 and 8.5e9 bytes/s, "
            "are an example from one run on the course machine; the notebook checks your own.)"),
    ),
]
