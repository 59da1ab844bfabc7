"""stream.fma_differences: the fused result is b + s*c rounded once, checked against exact rational
arithmetic (fractions.Fraction; ``float(Fraction)`` is correctly rounded in CPython), never against
the function's own output."""

from __future__ import annotations

import math
import struct
import sys
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from infralab import exercises, stream


def _exact_fma(b: float, c: float, s: float) -> float:
    """b + s*c computed exactly, then rounded once to the nearest double (ties to even)."""
    return float(Fraction(b) + Fraction(s) * Fraction(c))


def _bits(x: float) -> int:
    return struct.unpack("<q", struct.pack("<d", x))[0]


def _doubles_apart(x: float, y: float) -> int:
    """How many doubles apart x and y are: count the steps of math.nextafter (small gaps only)."""
    lo, hi = min(x, y), max(x, y)
    steps = 0
    while lo != hi:
        lo = math.nextafter(lo, hi)
        steps += 1
        assert steps < 10_000
    return steps


def _mixed_inputs(n: int, seed: int):
    """Signs and magnitudes that mix: same-sign sums, cancellation (b close to -s*c), zeros."""
    rng = np.random.default_rng(seed)
    c = rng.standard_normal(n) * 10.0 ** rng.integers(-30, 30, n)
    s = float(rng.standard_normal() * 7.3)
    b = rng.standard_normal(n) * 10.0 ** rng.integers(-30, 30, n)
    cancel = rng.random(n) < 0.3
    b[cancel] = -(s * c[cancel]) * (1.0 + rng.integers(-4, 5, cancel.sum()) * 2.0 ** -52)
    b[rng.random(n) < 0.02] = 0.0
    c[rng.random(n) < 0.02] = 0.0
    return b, c, s


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fused_is_the_exact_sum_rounded_once(seed):
    b, c, s = _mixed_inputs(3000, seed)
    r = stream.fma_differences(b, c, s)
    want = [_exact_fma(bi, ci, s) for bi, ci in zip(b.tolist(), c.tolist())]
    assert r["fused"].tolist() == want
    assert r["unfused"].tolist() == [bi + s * ci for bi, ci in zip(b.tolist(), c.tolist())]
    assert r["n"] == 3000
    assert r["differ"] == sum(f != u for f, u in zip(want, r["unfused"].tolist())) > 0
    assert r["fraction"] == r["differ"] / 3000
    # ulps: for doubles of one sign the bit patterns, read as integers, are in order (IEEE 754)
    for f, u, k in zip(want, r["unfused"].tolist(), r["ulps"].tolist()):
        if f == u:
            assert k == 0
        elif (f > 0) == (u > 0) and f != 0 and u != 0:
            assert k == abs(_bits(f) - _bits(u))
    assert r["max_ulps"] == int(r["ulps"].max()) > 1   # cancellation: far more than 1 ulp


def test_ulps_count_the_doubles_between():
    rng = np.random.default_rng(3)
    b, c = rng.random(2000) - 0.5, rng.random(2000)      # mixed signs, some near cancellation
    r = stream.fma_differences(b, c, 0.7)
    small = np.flatnonzero(r["ulps"] <= 50)
    for i in small[:500]:
        assert r["ulps"][i] == _doubles_apart(r["fused"][i], r["unfused"][i])


def test_a_known_case():
    # 0.1 + 3*0.3 in doubles: rounding 3*0.3 first loses the bit that makes the sum 1.0
    r = stream.fma_differences(np.array([0.1]), np.array([0.3]), 3.0)
    assert r["fused"][0] == _exact_fma(0.1, 0.3, 3.0)
    assert r["unfused"][0] == 0.1 + 3.0 * 0.3
    assert r["fused"][0] != r["unfused"][0] and r["ulps"][0] == 1


def test_cpu_kernel_rounds_twice():
    rng = np.random.default_rng(0)
    b, c = rng.random(10_000), rng.random(10_000)
    r = stream.fma_differences(b, c, 1.5)
    np.testing.assert_array_equal(stream.triad(b, c, 1.5, backend="cpu"), r["unfused"])
    assert r["differ"] > 0


same_sign = st.floats(min_value=2.0 ** -300, max_value=2.0 ** 300)


@settings(max_examples=300, deadline=None)
@given(arrays(np.float64, st.integers(1, 40), elements=same_sign),
       arrays(np.float64, 40, elements=same_sign), same_sign)
def test_same_sign_differs_by_at_most_one_ulp(b, c_all, s):
    c = c_all[: b.size].copy()
    r = stream.fma_differences(b, c, s)
    assert r["fused"].tolist() == [_exact_fma(bi, ci, s) for bi, ci in zip(b.tolist(), c.tolist())]
    assert r["max_ulps"] <= 1


@settings(max_examples=200, deadline=None)
@given(st.floats(min_value=-(2.0 ** 300), max_value=2.0 ** 300),
       st.floats(min_value=-(2.0 ** 300), max_value=2.0 ** 300),
       st.floats(min_value=-(2.0 ** 300), max_value=2.0 ** 300))
def test_any_signs_match_exact_arithmetic(b, c, s):
    if any(x != 0 and abs(x) < 2.0 ** -300 for x in (b, c, s)):
        return
    r = stream.fma_differences(np.array([b]), np.array([c]), s)
    assert r["fused"][0] == _exact_fma(b, c, s)


def test_extreme_magnitudes_stay_exact():
    big, tiny = 2.0 ** 300, 2.0 ** -300
    b = np.array([big, -big, tiny, 1.0, 3.0 * tiny])
    c = np.array([big * 0.75, big, tiny, tiny, tiny * 1.5])
    for s in (big, -tiny, 1.0 + 2.0 ** -52):
        r = stream.fma_differences(b, c, s)
        assert r["fused"].tolist() == [_exact_fma(x, y, s) for x, y in zip(b.tolist(), c.tolist())]


@pytest.mark.skipif(sys.version_info < (3, 13), reason="math.fma is new in Python 3.13")
def test_agrees_with_math_fma():
    b, c, s = _mixed_inputs(2000, 4)
    r = stream.fma_differences(b, c, s)
    assert r["fused"].tolist() == [math.fma(s, ci, bi) for bi, ci in zip(b.tolist(), c.tolist())]


@pytest.mark.parametrize("b, c, s, error, words", [
    ([1.0], np.ones(1), 1.0, TypeError, "b must be a NumPy array"),
    (np.ones(2, dtype=np.float32), np.ones(2), 1.0, TypeError, "1-D float64"),
    (np.ones((2, 2)), np.ones((2, 2)), 1.0, TypeError, "1-D float64"),
    (np.ones(2), np.ones(3), 1.0, ValueError, "same length"),
    (np.ones(0), np.ones(0), 1.0, ValueError, "1 to 2,000,000"),
    (np.ones(2_000_001), np.ones(2_000_001), 1.0, ValueError, "1 to 2,000,000"),
    (np.array([np.nan]), np.ones(1), 1.0, ValueError, "b must be 0 or have magnitude"),
    (np.ones(1), np.array([np.inf]), 1.0, ValueError, "c must be 0 or have magnitude"),
    (np.ones(1), np.array([1e100]), 1.0, ValueError, r"2\*\*300"),
    (np.array([1e-300]), np.ones(1), 1.0, ValueError, r"2\*\*-300"),
    (np.ones(1), np.ones(1), 1e-200, ValueError, "s must be 0 or have magnitude"),
    (np.ones(1), np.ones(1), float("nan"), ValueError, "s must be finite"),
    (np.ones(1), np.ones(1), True, TypeError, "s must be a real number"),
    (np.ones(1), np.ones(1), "3", TypeError, "s must be a real number"),
])
def test_bad_input_is_refused_by_name(b, c, s, error, words):
    with pytest.raises(error, match=words):
        stream.fma_differences(b, c, s)


def test_inputs_are_not_modified():
    b, c = np.array([0.1, 2.0]), np.array([0.3, -1.0])
    before = (b.copy(), c.copy())
    stream.fma_differences(b, c, 3.0)
    np.testing.assert_array_equal(b, before[0])
    np.testing.assert_array_equal(c, before[1])


# --- notebook 00, exercise 5: the twin test's inputs on a real GPU ------------------------------

def test_nb00_exercise_5_matches_exact_arithmetic():
    rng = np.random.default_rng(0)                        # as tests/cudasim/test_twins_stream.py
    b, c = rng.random(1000), rng.random(1000)
    def compare(s):
        fused = [_exact_fma(bi, ci, s) for bi, ci in zip(b.tolist(), c.tolist())]
        unfused = [bi + s * ci for bi, ci in zip(b.tolist(), c.tolist())]
        return (sum(f != u for f, u in zip(fused, unfused)),
                max(_doubles_apart(f, u) for f, u in zip(fused, unfused)))
    differ_same_sign, _ = compare(1.5)            # (a) b and s*c of one sign: the two results at most 1 ulp apart
    differ_opposite, apart_opposite = compare(-1.5)   # (b), (c): opposite signs, cancellation widens the gap
    assert compare(1.5)[1] == 1
    assert exercises.load("00")[5].answer() == (differ_same_sign, differ_opposite, apart_opposite)
