"""The triad's CUDA twin against the CPU kernel (simulator or real GPU).

Why a bound and not equality: on a real GPU, NVVM contracts ``b + s*c`` into one fused multiply-add
(PTX ``fma.rn.f64``), which rounds once where the CPU kernel rounds the product and then the sum;
``fastmath=False`` does not stop the contraction. For operands of one sign the two results differ by
at most 1 ulp (issue 16 reports, from an H200, 170,289 of 10**6 elements differing, each by 1 ulp). The simulator
never fuses (it runs the kernel as Python), so there the twins are bit-for-bit equal.
"""

import numpy as np

from infralab import backend, stream


def test_triad_twin_within_two_ulp_of_cpu_kernel():
    rng = np.random.default_rng(0)
    b, c = rng.random(1000), rng.random(1000)
    gpu = stream.triad(b, c, 1.5, backend="cuda")
    cpu = stream.triad(b, c, 1.5, backend="cpu")
    assert backend.ulp_distance(gpu, cpu).max() <= 2
    if backend.simulator_enabled():          # no contraction in the simulator: exactly equal
        np.testing.assert_array_equal(gpu, cpu)


def test_triad_twin_covers_more_elements_than_threads():
    b, c = np.arange(100.0), np.full(100, 0.5)     # exact in binary: no rounding to disagree on
    out = np.zeros(100)
    assert stream.triad(b, c, 2.0, out=out, backend="cuda") is out
    np.testing.assert_array_equal(out, b + 1.0)
