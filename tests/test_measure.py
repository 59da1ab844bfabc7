"""measure_image against the Nitro formula: PCR = SHA-384(0^48 || SHA-384(s_1 || s_2 || ...)).

The expected digests below were computed once with hashlib alone (no infralab code), by
``hashlib.sha384(bytes(48) + hashlib.sha384(sections).digest()).hexdigest()``.
"""

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from infralab import enclave as en

KERNEL, INIT, APP = b"linux 6.1 kernel", b"init", b"model-server v1.0"
EXPECTED = {
    0: "e4fefedafec7627e1569bb5c8fe4bfdfc8da0698371b8b1d3950af0765c8ae9f"
       "46d29f090cddfd82db885119061ab24d",   # kernel || init || application
    1: "8fb50a3d2f436ae2f69ebf77807ddae1e69ce9c3743582451df523c0567919f5"
       "ef3df2a9420212ee1f1f4016852e6223",   # kernel || init
    2: "ee780a80f79f3f004742e5f888dc93f75a942f5b3cc100d5b1ae270f13b5ec58"
       "5088f90b11e1389121866a479f7c0f49",   # application
}
# facts.md: extend(0^48, SHA-384("abc"))
FACTS_EXTEND_ABC = ("93732e3733514a841c982cfa75ea76ab55fe011acb9cd980ef4523913c65be1b"
                    "0998e04d77f8c174f81a82151619ca40")


def test_measure_image_matches_independent_hashlib_values():
    pcrs = en.measure_image(KERNEL, INIT, APP)
    assert {i: v.hex() for i, v in pcrs.items()} == EXPECTED


def test_single_section_is_the_facts_extend_vector():
    assert en.measure_image(b"", b"", b"abc")[2].hex() == FACTS_EXTEND_ABC
    assert en.measure(b"abc").hex() == FACTS_EXTEND_ABC


def test_not_one_extend_per_section():
    # the earlier (wrong) model extended once per section; Nitro hashes the concatenation once
    chained = bytes(48)
    for s in (KERNEL, INIT, APP):
        chained = en.pcr_extend(chained, hashlib.sha384(s).digest())
    assert en.measure_image(KERNEL, INIT, APP)[0] != chained


@settings(max_examples=50, deadline=None)
@given(st.binary(max_size=64), st.binary(max_size=64), st.binary(max_size=64), st.integers(0, 64))
def test_pcr0_depends_only_on_the_concatenation(k, i, a, cut):
    # one hash over the concatenated sections: where the section boundaries fall does not matter
    whole = k + i + a
    cut = min(cut, len(whole))
    assert en.measure_image(whole[:cut], whole[cut:], b"")[0] == en.measure_image(k, i, a)[0]
    assert en.measure_image(k, i, a)[1] == en.measure(k + i)


def test_application_change_moves_pcr0_and_pcr2_only():
    a = en.measure_image(KERNEL, INIT, APP)
    b = en.measure_image(KERNEL, INIT, b"model-server v1.1")
    assert a[0] != b[0] and a[2] != b[2] and a[1] == b[1]


@pytest.mark.parametrize("bad", ["text", 3, None])
def test_non_bytes_sections_are_refused(bad):
    with pytest.raises(TypeError, match="application"):
        en.measure_image(b"k", b"i", bad)
