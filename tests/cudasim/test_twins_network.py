"""CUDA twins of infralab.network against the CPU kernels (simulator or real GPU).

Both twins draw from the same counter-based generator, so they agree exactly, trial by trial.
"""

import numpy as np

from infralab import network as nw


def test_bins_twin_equals_cpu_kernel():
    for n_bins, n_balls in [(8, 8), (8, 5), (64, 64), (3, 1)]:
        cpu = nw.balls_into_bins(n_bins, n_balls, 100, seed=7, backend="cpu")
        gpu = nw.balls_into_bins(n_bins, n_balls, 100, seed=7, backend="cuda")
        np.testing.assert_array_equal(cpu[0], gpu[0])
        np.testing.assert_array_equal(cpu[1], gpu[1])


def test_ecmp_statistics_agree():
    a = nw.simulate_ecmp(16, 16, 300, seed=1, backend="cpu")
    b = nw.simulate_ecmp(16, 16, 300, seed=1, backend="cuda")
    assert a == b


def test_latency_twin_equals_cpu_kernel():
    args = (60, 4, 5e-6, 2e-6, 0.05, 1e-3)
    cpu = nw.simulate_message_latency(*args, seed=3, backend="cpu")
    gpu = nw.simulate_message_latency(*args, seed=3, backend="cuda")
    np.testing.assert_allclose(gpu, cpu, rtol=1e-12)
