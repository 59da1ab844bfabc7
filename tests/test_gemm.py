"""The lesson's matrix-multiply steps and the packed kernel (infralab.gemm, re-exported by chips)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from infralab import chips, gemm


def _pair(m, k, n, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((m, k)).astype(np.float32), rng.standard_normal((k, n)).astype(np.float32)


def _close(got, a, b):
    ref = a.astype(np.float64) @ b.astype(np.float64)
    # float32 rounding of a k-term sum: a few ulps of the largest term, times sqrt(k)
    tol = 8 * np.finfo(np.float32).eps * np.sqrt(a.shape[1]) * (np.abs(a) @ np.abs(b)).max()
    assert got.dtype == np.float32 and got.shape == ref.shape
    assert np.abs(got - ref).max() <= tol


@pytest.mark.parametrize("shape", [(1, 1, 1), (7, 7, 7), (5, 7, 3), (4, 300, 9), (13, 600, 530),
                                   (1000, 64, 1000), (1025, 1025, 1025), (3, 1025, 1), (1, 2, 1000)])
def test_packed_kernel_matches_numpy_for_ragged_shapes(shape):
    # none of 1, 7, 1000, 1025 is a multiple of the 4 x 3 tile, of KC = 512 or of NC = 192
    a, b = _pair(*shape)
    _close(chips.matmul(a, b, backend="cpu"), a, b)


@pytest.mark.parametrize("step", gemm.STEPS)
@pytest.mark.parametrize("shape", [(1, 1, 1), (7, 7, 7), (33, 70, 17), (130, 257, 129)])
def test_every_step_matches_numpy(step, shape):
    a, b = _pair(*shape, seed=1)
    _close(gemm.matmul_step(a, b, step), a, b)


def test_non_contiguous_inputs():
    a, b = _pair(60, 40, 50)
    big = np.zeros((120, 80), np.float32)
    big[::2, ::2] = a
    _close(chips.matmul(big[::2, ::2], b.T.copy().T, backend="cpu"), a, b)
    _close(gemm.matmul_step(np.asfortranarray(a), b[:, ::-1], "ikj"), a, b[:, ::-1])


def test_identity_and_known_product():
    eye = np.eye(37, dtype=np.float32)
    a, _ = _pair(37, 37, 1)
    assert np.array_equal(chips.matmul(a, eye, backend="cpu"), a)
    ones = np.ones((5, 1025), np.float32)      # each entry is a sum of 1025 ones: exact in float32
    assert np.all(gemm.matmul_step(ones, ones.T, "packed") == 1025)


@settings(max_examples=25, deadline=None)
@given(m=st.integers(1, 40), k=st.integers(1, 40), n=st.integers(1, 40), seed=st.integers(0, 2**32 - 1))
def test_steps_agree_and_inputs_are_unchanged(m, k, n, seed):
    a, b = _pair(m, k, n, seed)
    a0, b0 = a.copy(), b.copy()
    for step in gemm.STEPS:
        _close(gemm.matmul_step(a, b, step), a, b)
    assert np.array_equal(a, a0) and np.array_equal(b, b0)


@pytest.mark.parametrize("fn", [chips.matmul, gemm.matmul_step])
def test_bad_input_names_the_parameter(fn):
    with pytest.raises(TypeError, match="a must be a 2-D float32"):
        fn(np.ones((2, 2)), np.ones((2, 2), np.float32))
    with pytest.raises(TypeError, match="b must be a 2-D float32"):
        fn(np.ones((2, 2), np.float32), np.ones((2, 2), np.int32))
    with pytest.raises(TypeError, match="a must be"):
        fn(np.ones(4, np.float32), np.ones((4, 1), np.float32))
    with pytest.raises(ValueError, match="a.shape"):
        fn(np.ones((2, 3), np.float32), np.ones((2, 2), np.float32))
    with pytest.raises(ValueError, match="a must not be empty"):
        fn(np.ones((2, 0), np.float32), np.ones((0, 2), np.float32))
    with pytest.raises(ValueError, match="b must not be empty"):
        fn(np.ones((2, 2), np.float32), np.ones((2, 0), np.float32))
    with pytest.raises(ValueError, match="finite"):
        fn(np.full((2, 2), np.nan, np.float32), np.ones((2, 2), np.float32))


def test_work_over_the_cap_is_refused_before_allocating():
    # a broadcast view costs no memory: the check must refuse it before the product is allocated
    a = np.broadcast_to(np.float32(1), (100_000, 100_000))
    with pytest.raises(ValueError, match="limit"):
        chips.matmul(a, a)
    b = np.broadcast_to(np.float32(1), (2560, 2560))
    with pytest.raises(ValueError, match="limit"):
        gemm.matmul_step(b, b, "naive")        # 3.4e10 FLOPs, over MAX_STEP_FLOPS["naive"]
    with pytest.raises(ValueError, match="step must be one of"):
        gemm.matmul_step(np.ones((2, 2), np.float32), np.ones((2, 2), np.float32), "fast")
    with pytest.raises(TypeError, match="step must be one of"):
        gemm.step_intensity(3)


def test_intensities_follow_their_formulas():
    s = 4.0
    assert gemm.step_intensity("naive") == pytest.approx(2 / (2 * s))
    assert gemm.step_intensity("ikj") == pytest.approx(2 / (3 * s))
    assert gemm.step_intensity("blocked") == pytest.approx(2 * 4 / s)
    mr, nr = gemm.MR, gemm.NR
    assert gemm.step_intensity("packed") == pytest.approx(2 * mr * nr / ((mr + nr) * s))
    assert gemm.step_intensity("packed", 2.0) == pytest.approx(2 * gemm.step_intensity("packed"))
    assert [gemm.step_level(x) for x in gemm.STEPS] == ["DRAM", "L2", "L2", "registers"]


def test_register_tile_fits_sixteen_ymm_registers():
    # MR x NR accumulators plus MR rows of a held across the NR columns: AVX2 has 16 registers
    assert gemm.MR * gemm.NR + gemm.MR <= 16
    assert gemm.MC % gemm.MR == 0
    # a panel of a and one of b within half of a 32 KiB L1, the block of b within a 512 KiB L2
    assert 4 * gemm.KC * (gemm.MR + gemm.NR) <= 16 * 1024
    assert 4 * gemm.KC * gemm.NC <= 512 * 1024


def test_fma_width_follows_the_register_except_on_zen4():
    # Zen 4 (AMD family 25 with AVX-512) double-pumps 512-bit FMAs on 256-bit units: 8 float32 per unit per cycle
    assert gemm.fma_lanes({"avx", "avx2", "avx512f"}, "AuthenticAMD", 25) == (16, 8)
    assert gemm.fma_lanes({"avx", "avx2"}, "AuthenticAMD", 25) == (8, 8)            # Zen 3: AVX2 only
    assert gemm.fma_lanes({"avx", "avx2", "avx512f"}, "AuthenticAMD", 26) == (16, 16)  # Zen 5: native 512-bit
    assert gemm.fma_lanes({"avx", "avx2", "avx512f"}, "GenuineIntel", 6) == (16, 16)
    assert gemm.fma_lanes({"sse2"}) == (4, 4)


def test_machine_peak_is_the_product_of_its_factors():
    p = gemm.machine_peak(cores=2, clock_GHz=3.0, fma_ports=2)
    assert p["peak_GFLOPs"] == pytest.approx(2 * p["fma_lanes"] * 2 * 2 * 3.0)
    assert p["simd_lanes"] in (4, 8, 16) and p["fma_lanes"] in (4, 8, 16) and "fma_ports" in p["assumed"]
    assert p["fma_lanes"] <= p["simd_lanes"]
    with pytest.raises(ValueError, match="clock_GHz"):
        gemm.machine_peak(clock_GHz=0.0)
    with pytest.raises(TypeError, match="cores"):
        gemm.machine_peak(cores=2.0)


def test_measure_steps_reports_every_field():
    rows = gemm.measure_steps(32, steps=("naive", "packed"), repeats=1)
    assert [r["step"] for r in rows] == ["naive", "packed"]
    for r in rows:       # no timing asserts: only that the fractions are what they say they are
        assert r["fraction_of_blas"] == pytest.approx(r["GFLOPs"] / r["blas_GFLOPs"])
        assert r["fraction_of_peak"] == pytest.approx(r["GFLOPs"] / r["peak_GFLOPs"])
        assert r["max_rel_error"] < 1e-5
    with pytest.raises(ValueError, match="steps"):
        gemm.measure_steps(32, steps=("packed", "packed"))
    with pytest.raises(TypeError, match="steps"):
        gemm.measure_steps(32, steps="packed")
