"""CUDA twins of infralab.network against the CPU kernels (simulator or real GPU).

Both twins draw from the same counter-based generator, so they agree exactly, trial by trial; the
statistics are computed from exact integer sums (reduced on the device on the GPU), so they are equal.
"""

import numpy as np
import pytest

from infralab import network as nw


@pytest.mark.parametrize("n_bins, n_balls", [(8, 8), (8, 5), (64, 64), (3, 1), (65, 40), (200, 7), (5, 0)])
def test_bins_twin_equals_cpu_kernel(n_bins, n_balls):
    # up to 64 bins the histograms live in shared memory; above, in a reused device scratch array
    cpu = nw.balls_into_bins(n_bins, n_balls, 100, seed=7, backend="cpu")
    gpu = nw.balls_into_bins(n_bins, n_balls, 100, seed=7, backend="cuda")
    np.testing.assert_array_equal(cpu[0], gpu[0])
    np.testing.assert_array_equal(cpu[1], gpu[1])


def test_scratch_buffer_is_reused_and_stays_correct():
    first = nw.balls_into_bins(100, 30, 50, seed=2, backend="cuda")
    again = nw.balls_into_bins(100, 30, 50, seed=2, backend="cuda")
    np.testing.assert_array_equal(first[1], again[1])    # stale counts from the first call would show


def test_ecmp_statistics_agree():
    a = nw.simulate_ecmp(16, 16, 300, seed=1, backend="cpu")
    b = nw.simulate_ecmp(16, 16, 300, seed=1, backend="cuda")
    assert a == b


def test_device_reduction_matches_the_per_trial_arrays():
    used, most = nw.balls_into_bins(8, 8, 500, seed=3, backend="cpu")
    r = nw.simulate_ecmp(8, 8, 500, seed=3, backend="cuda")
    assert r["mean_used_paths"] == pytest.approx(used.mean(), rel=1e-15)
    assert r["mean_max_load"] == pytest.approx(most.mean(), rel=1e-15)
    assert r["std_max_load"] == pytest.approx(most.std(), rel=1e-12)
    assert r["p_no_collision"] == pytest.approx(np.mean(most <= 1), rel=1e-15)


def test_spraying_statistics_agree():
    a = nw.simulate_spraying(8, 8, 4, 200, seed=5, backend="cpu")
    b = nw.simulate_spraying(8, 8, 4, 200, seed=5, backend="cuda")
    assert a == b


def test_latency_twin_equals_cpu_kernel():
    args = (60, 4, 5e-6, 2e-6, 0.05, 1e-3)
    cpu = nw.simulate_message_latency(*args, seed=3, backend="cpu")
    gpu = nw.simulate_message_latency(*args, seed=3, backend="cuda")
    np.testing.assert_allclose(gpu, cpu, rtol=1e-12)



def test_statistics_agree_where_the_device_sum_of_squares_could_overflow(monkeypatch):
    # past DEVICE_SUM_LIMIT (n_trials * n_balls**2 >= 2**62) the GPU hands its per-trial arrays to the
    # exact host sums; lowering the limit exercises that path on a small problem
    monkeypatch.setattr(nw.ecmp, "DEVICE_SUM_LIMIT", 0)
    a = nw.simulate_ecmp(16, 16, 300, seed=1, backend="cpu")
    b = nw.simulate_ecmp(16, 16, 300, seed=1, backend="cuda")
    assert a == b
