import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from infralab import stream

finite = st.floats(-1e6, 1e6, allow_nan=False)


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, st.integers(1, 300), elements=finite), finite)
def test_triad_equals_definition(b, s):
    c = b[::-1].copy()
    np.testing.assert_allclose(stream.triad(b, c, s, backend="cpu"), b + s * c, rtol=1e-12, atol=1e-9)


def test_reference_versions_agree():
    rng = np.random.default_rng(0)
    b, c = rng.random(100), rng.random(100)
    want = b + 2.5 * c
    np.testing.assert_allclose(stream.triad_numpy(b, c, 2.5), want)
    np.testing.assert_allclose(stream.triad_python(list(b), list(c), 2.5), want)


def test_out_argument_is_used():
    b, c, out = np.ones(5), np.ones(5), np.zeros(5)
    assert stream.triad(b, c, 1.0, out=out, backend="cpu") is out
    assert np.all(out == 2.0)


@pytest.mark.parametrize("b, c, err", [
    (np.ones(3, np.float32), np.ones(3), TypeError),
    ([1.0, 2.0], np.ones(2), TypeError),
    (np.ones((2, 2)), np.ones((2, 2)), TypeError),
    (np.ones(3), np.ones(4), ValueError),
])
def test_bad_vectors(b, c, err):
    with pytest.raises(err, match="b|c"):
        stream.triad(b, c, 1.0)


def test_bad_scalar_and_sizes():
    with pytest.raises(ValueError, match="s must be finite"):
        stream.triad(np.ones(2), np.ones(2), float("nan"))
    with pytest.raises(ValueError, match="n must be >= 1000"):
        stream.measure_triad_bandwidth(n=-5)


def test_bandwidth_measurement_is_plausible():
    r = stream.measure_triad_bandwidth(n=2_000_000, repeats=2)
    # between a floppy disk and an HBM3 stack: any real machine lands in here
    assert 0.1 < r["GBps"] < 10_000
