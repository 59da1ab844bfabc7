"""Claim verdicts (infralab.claims) against analytic values, facts.md figures and the real document."""

import datetime as dt
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from infralab import claims, data_path, network
from infralab import enclave as en
from infralab.enclave.chacha import measure_search_rate


def test_brute_force_128_bits_is_twenty_universe_ages_not_a_million():
    # issue 13, point 1: 2^128 / (4e7 keys/s x 1e12 machines) = 2.7e11 years ~ 20 x 13.787e9
    r = claims.brute_force_years(128, 4e7, 1e12)
    years = 2 ** 128 / 4e19 / (365.25 * 86400)
    assert r["years"] == pytest.approx(years) and years == pytest.approx(2.696e11, rel=1e-3)
    assert r["universe_ages"] == pytest.approx(19.6, abs=0.1)
    assert claims.brute_force_years(256, 4e7, 1e12)["universe_ages"] > 1e39   # 256 bits: dozens of orders


@settings(max_examples=50, deadline=None)
@given(st.floats(1, 200), st.floats(1, 1e12))
def test_each_bit_doubles_the_time(bits, rate):
    a, b = claims.brute_force_years(bits, rate), claims.brute_force_years(bits + 1, rate)
    assert b["years"] == pytest.approx(2 * a["years"])


@pytest.mark.parametrize("saving, claimed, verdict", [
    (0.5, 0.5, "holds"), (0.46, 0.5, "holds only if"),
    (0.0, 0.5, "does not hold"), (-0.02, 0.5, "does not hold"), (0.34, 0.4, "holds only if"),
])
def test_saving_verdict(saving, claimed, verdict):
    assert claims.saving_verdict(saving, claimed) == verdict


def test_saving_verdict_rejects_bad_claims():
    with pytest.raises(ValueError, match="claimed"):
        claims.saving_verdict(0.1, 0.0)


def test_ultracluster_ideal_time_is_the_article_style_figure():
    # 6ND / (100,000 x 667e12 x 0.4) = 3.14e23 / 2.668e19 s = 3.27 h; 3.2e6 tokens / 1e5 chips = 32 per chip
    r = claims.ultracluster_run(174.6e9, 300e9, 100_000, 667e12, 0.4, batch_tokens=3.2e6, model_parallel=64,
                                latency_s=6e-6, bandwidth_Bps=25e9)
    assert r["ideal_hours"] == pytest.approx(6 * 174.6e9 * 300e9 / (1e5 * 667e12 * 0.4) / 3600)
    assert r["tokens_per_chip_per_step"] == 32
    assert r["replicas"] == 100_000 // 64 and r["steps"] == math.ceil(300e9 / 3.2e6)
    # communication is notebook 01's model: the same training_step on the replicas' gradient shards
    step = network.training_step(174.6e9 / 64, r["replicas"], r["compute_s"], 6e-6, 25e9,
                                 algorithm="halving_doubling")
    assert r["step_s"] == pytest.approx(step["step_s"])
    assert r["hours"] == pytest.approx(r["steps"] * step["step_s"] / 3600)
    assert r["hours"] > r["ideal_hours"]


def test_ultracluster_without_communication_cost_is_the_ideal():
    # infinite-ish bandwidth, zero latency, one replica per chip -> step = compute; hours ~ ideal
    r = claims.ultracluster_run(1e9, 1e12, 1024, 1e15, 0.5, batch_tokens=1e6, model_parallel=1024,
                                latency_s=0.0, bandwidth_Bps=1e30)
    assert r["replicas"] == 1 and r["exposed_s"] == 0
    assert r["hours"] == pytest.approx(r["ideal_hours"], rel=1e-6)


def test_ultracluster_rejects_too_few_chips():
    with pytest.raises(ValueError, match="n_chips"):
        claims.ultracluster_run(1e9, 1e12, 8, 1e15, 0.5, batch_tokens=1e6, model_parallel=16,
                                latency_s=1e-6, bandwidth_Bps=1e9)


def test_real_document_is_debug_mode_and_a_toy_enclave_is_not():
    doc = en.load_document(data_path("nitro_attestation_2022-07-26.b64"))
    root = data_path("aws_nitro_enclaves_root_g1.pem").read_bytes()
    at = dt.datetime(2022, 7, 26, 18, 39, 12, 566000, tzinfo=dt.timezone.utc)
    payload = en.verify_attestation(doc, root, at=at)
    assert claims.debug_mode_document(payload)
    assert not payload.get("public_key")
    assert not claims.debug_mode_document({"pcrs": en.measure_image(b"k", b"i", b"a")})
    with pytest.raises(ValueError, match="PCR"):
        claims.debug_mode_document({"pcrs": {0: bytes(48)}})


def test_isolation_principles_each_have_a_verdict_and_conditions():
    assert len(claims.ISOLATION_PRINCIPLES) == 3
    for p in claims.ISOLATION_PRINCIPLES:
        assert p["verdict"] in claims.VERDICTS and p["conditions"] and p["root_of_trust"]
    third = claims.ISOLATION_PRINCIPLES[2]
    assert third["verdict"] == "cannot be checked" and "EncryptionInTransitSupported" in third["conditions"]
    assert "announced" not in third["conditions"] + third["why"]            # the mechanism is documented
    second = claims.ISOLATION_PRINCIPLES[1]
    assert second["verdict"] == "holds only if" and second["conditions"] == claims.PRINCIPLE_2_CONDITION
    assert "ImageSha384" in second["conditions"] and "kms:PutKeyPolicy" in second["conditions"]
    assert "AWS" in claims.ISOLATION_PRINCIPLES[0]["root_of_trust"]


def test_search_rate_helper_finds_the_planted_key_and_validates():
    r = measure_search_rate(20, seed=1, backend="cpu")
    assert r["found_secret"] and r["keys"] == 2 ** 20 and r["keys_per_second"] == r["keys"] / r["seconds"]
    assert r["backend"] == "cpu" and r["cpu_threads"] >= 1                # the rate is for all those threads
    with pytest.raises(ValueError, match="bits"):
        measure_search_rate(16)


# --- GCM nonce reuse: forgery (issue 13, point 9) ---------------------------------------------

def test_nonce_reuse_lets_an_attacker_forge_a_tag_that_aes_gcm_accepts():
    import os
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from infralab.enclave.gcm_misuse import forge_after_nonce_reuse
    key, nonce = bytes(range(32)), bytes(12)
    p1, p2 = b"pay alice $100.0", b"pay bob   $200.0"
    s1, s2 = AESGCM(key).encrypt(nonce, p1, None), AESGCM(key).encrypt(nonce, p2, None)
    c, t = forge_after_nonce_reuse(s1[:16], s1[16:], s2[:16], s2[16:], p1, b"pay eve $9999999")
    assert AESGCM(key).decrypt(nonce, c + t, None) == b"pay eve $9999999"


def test_gf128_against_the_gcm_spec_test_case_2():
    # McGrew & Viega test case 2 (facts.md): key 0^16, IV 0^12, P 0^16 -> C 0388dace..., tag ab6e47d4...
    # with H = AES_K(0^128) = 66e94bd4ef8a2c3b884cfa59ca342b2e and E_K(J0) = 58e2fccefa7e3061367f1d57a4e7455a
    from infralab.enclave.gcm_misuse import gf128_mul
    H = int("66e94bd4ef8a2c3b884cfa59ca342b2e", 16)
    C = int("0388dace60b6a392f328c2b971b2fe78", 16)
    L = 128                                     # len(A) = 0 bits || len(C) = 128 bits
    ej0 = int("58e2fccefa7e3061367f1d57a4e7455a", 16)
    tag = gf128_mul(gf128_mul(C, H) ^ L, H) ^ ej0
    assert f"{tag:032x}" == "ab6e47d42cec13bdf53a67b21257bddf"


def test_forgery_input_validation():
    from infralab.enclave.gcm_misuse import forge_after_nonce_reuse, gf128_inv
    with pytest.raises(ValueError, match="c1"):
        forge_after_nonce_reuse(b"short", bytes(16), bytes(16), bytes(16), bytes(16), bytes(16))
    with pytest.raises(ValueError, match="differ"):
        forge_after_nonce_reuse(bytes(16), bytes(16), bytes(16), bytes(16), bytes(16), bytes(16))
    with pytest.raises(ValueError, match="non-zero"):
        gf128_inv(0)


@pytest.mark.parametrize("kw", [dict(keys_per_second=5e-324), dict(machines=5e-324), dict(bits=2048),
                                dict(bits=0, keys_per_second=1e308, machines=1e308)])
def test_brute_force_years_overflow_and_underflow_are_value_errors(kw):
    from infralab.claims import brute_force_years
    args = {"bits": 128, "keys_per_second": 4e7, "machines": 1.0, **kw}
    with pytest.raises(ValueError, match="overflows|underflows"):
        brute_force_years(**args)


@pytest.mark.parametrize("kw, name", [(dict(n_chips=10**400), "n_chips"), (dict(batch_tokens=5e-324), "steps")])
def test_ultracluster_run_bounds_its_counts(kw, name):
    from infralab.claims import ultracluster_run
    args = dict(n_params=174.6e9, n_tokens=300e9, n_chips=100_000, peak_flops=667e12, mfu=0.4,
                batch_tokens=3.2e6, model_parallel=64, latency_s=6e-6, bandwidth_Bps=25e9)
    with pytest.raises(ValueError, match=name):
        ultracluster_run(**{**args, **kw})


def test_principle_2_check_reads_both_halves_of_the_condition():
    from infralab import claims
    pinned = {"Sid": "release", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::1:role/parent"},
              "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": "*",
              "Condition": {"StringEqualsIgnoreCase": {"kms:RecipientAttestation:ImageSha384": "ab" * 48}}}
    ok = claims.principle_2_check({"Statement": [pinned]})
    assert ok["release_pinned"] and ok["admin_limited"] and ok["holds"]
    zero = {**pinned, "Condition": {"StringEqualsIgnoreCase": {"kms:RecipientAttestation:ImageSha384": "0" * 96}}}
    assert not claims.principle_2_check({"Statement": [zero]})["release_pinned"]
    admin = {"Sid": "admin", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::1:root"},
             "Action": "kms:*", "Resource": "*"}
    bad = claims.principle_2_check({"Statement": [pinned, admin]})
    assert not bad["release_pinned"] and not bad["admin_limited"] and not bad["holds"]
    glass = {**admin, "Action": ["kms:PutKeyPolicy"], "Principal": {"AWS": "arn:aws:iam::1:role/break-glass"}}
    assert claims.principle_2_check({"Statement": [pinned, glass]},
                                    break_glass="arn:aws:iam::1:role/break-glass")["holds"]


def test_principle_2_check_fails_closed_on_odd_statements():
    from infralab import claims
    pinned = {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::1:role/parent"}, "Action": "kms:Decrypt",
              "Condition": {"StringEqualsIgnoreCase": {"kms:RecipientAttestation:ImageSha384": "ab" * 48}}}
    # NotAction allows every action it does not list, Decrypt and PutKeyPolicy included
    sneaky = {"Effect": "Allow", "Principal": "*", "NotAction": "kms:ScheduleKeyDeletion"}
    got = claims.principle_2_check({"Statement": [pinned, sneaky]})
    assert not got["release_pinned"] and not got["admin_limited"] and not got["holds"]
    # a condition block that is not a map pins nothing
    assert not claims.principle_2_check({"Statement": [{**pinned, "Condition": "x"}]})["holds"]
    with pytest.raises(TypeError, match="statement 0"):
        claims.principle_2_check({"Statement": ["kms:Decrypt"]})
