"""Genuine Nitro attestation documents from public repositories (data/README.md, "The corpus"):
every one verifies at its own timestamp, is refused hours later, and is refused after one flipped bit.

They span 2022-2026 and both wire forms the hypervisor has written: definite-length payload maps
(2022-2025) and indefinite-length ones with null optional fields (2026). Each was checked
independently (signature with the leaf key, chain to Root-G1) before it was added."""

import datetime as dt

import cbor2
import pytest

from infralab import data_path
from infralab import enclave as en

ROOT = data_path("aws_nitro_enclaves_root_g1.pem").read_bytes()
PREFIX = "nitro_corpus_"
CORPUS = sorted(data_path("README.md").parent.glob(PREFIX + "*.b64"))
UTC = dt.timezone.utc
#: bits flipped per document, evenly spread (all ~36,000 would take minutes; see test_enclave.py
#: for a denser sample of the documents in data/)
SAMPLED_BITS = 200


def _load(path):
    doc = en.load_document(path)
    payload = cbor2.loads(cbor2.loads(doc)[2])
    return doc, payload, dt.datetime(1970, 1, 1, tzinfo=UTC) + dt.timedelta(milliseconds=payload["timestamp"])


def test_the_corpus_is_there_and_spans_both_wire_forms():
    assert len(CORPUS) == 6
    first_bytes = {cbor2.loads(en.load_document(p))[2][:1] for p in CORPUS}
    assert first_bytes == {b"\xa9", b"\xbf"}                    # definite (9 entries) and indefinite
    # what notebook 03, section 5, prints of this corpus (read from the documents' own payloads)
    payloads = [cbor2.loads(cbor2.loads(en.load_document(p))[2]) for p in CORPUS]
    assert sum(p.get("public_key", b"") is None for p in payloads) == 2
    assert max(len(p["user_data"] or b"") for p in payloads) == 746 > 512


@pytest.mark.parametrize("path", CORPUS, ids=[p.stem for p in CORPUS])
def test_a_genuine_document_verifies_at_its_own_time_only(path):
    doc, raw, at = _load(path)
    got = en.verify_attestation(doc, ROOT, at=at)
    name = path.stem.removeprefix(PREFIX)                         # <date>_<instance>
    assert got["module_id"] == raw["module_id"] and name.endswith(raw["module_id"].split("-enc")[0])
    assert got["timestamp"] == raw["timestamp"] and name.startswith(at.strftime("%Y-%m-%d"))
    for key in ("public_key", "user_data", "nonce"):            # null and absent both read as None
        assert got[key] == raw.get(key)
        assert got[key] is None or len(got[key]) <= 1024
    with pytest.raises(en.AttestationError) as err:
        en.verify_attestation(doc, ROOT, at=at + dt.timedelta(hours=4))
    assert err.value.check == "validity"


@pytest.mark.parametrize("path", CORPUS, ids=[p.stem for p in CORPUS])
def test_one_flipped_bit_is_refused(path):
    doc, _, at = _load(path)
    n_bits = 8 * len(doc)
    for pos in range(0, n_bits, n_bits // SAMPLED_BITS):
        bad = bytearray(doc)
        bad[pos // 8] ^= 1 << (pos % 8)
        with pytest.raises(en.AttestationError) as err:
            en.verify_attestation(bytes(bad), ROOT, at=at)
        assert err.value.check in en.CHECKS
