"""The register-tiled CUDA matmul against the packed CPU kernel and NumPy (simulator or real GPU)."""

import numpy as np
import pytest

from infralab import chips, gemm


@pytest.mark.parametrize("n, k, m", [(19, 23, 17), (131, 20, 129), (1, 1, 1), (7, 33, 5)])
def test_matmul_twin_equals_cpu_kernel(n, k, m):
    # (131, 20, 129): two 128-row tiles, two 128-column tiles and two 16-deep k tiles, all ragged;
    # on the CPU side none of the shapes is a multiple of the 4 x 3 register tile
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, k)).astype(np.float32)
    b = rng.standard_normal((k, m)).astype(np.float32)
    gpu = chips.matmul(a, b, backend="cuda")
    np.testing.assert_allclose(gpu, gemm.matmul_step(a, b, "packed"), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(gpu, a.astype(np.float64) @ b.astype(np.float64), rtol=1e-4, atol=1e-4)
