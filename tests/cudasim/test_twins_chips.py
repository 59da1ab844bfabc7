"""The shared-memory CUDA matmul against the CPU kernel (simulator or real GPU)."""

import numpy as np

from infralab import chips


def test_matmul_twin_equals_cpu_kernel():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((19, 23)).astype(np.float32)
    b = rng.standard_normal((23, 17)).astype(np.float32)
    np.testing.assert_allclose(chips.matmul(a, b, backend="cuda"), chips.matmul(a, b, backend="cpu"),
                               rtol=1e-5, atol=1e-5)
