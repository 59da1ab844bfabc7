"""CUDA twins of infralab.thermal against the CPU kernels, to 1e-12 (simulator or real GPU)."""

import numpy as np

from infralab import thermal as th


def test_ftcs_twin_equals_cpu_kernel():
    rng = np.random.default_rng(0)
    u0 = rng.random((13, 17))
    cpu = th.solve_heat_2d(u0, 1.0, 1.0, 0.2, 5, backend="cpu")
    gpu = th.solve_heat_2d(u0, 1.0, 1.0, 0.2, 5, backend="cuda")
    np.testing.assert_allclose(gpu, cpu, rtol=0, atol=1e-12)


def test_fv_twin_equals_cpu_kernel():
    rng = np.random.default_rng(1)
    shape = (6, 9)
    k = rng.uniform(1, 400, shape)
    rc = rng.uniform(1e6, 4e6, shape)
    q = rng.uniform(0, 1e8, shape)
    t0 = rng.uniform(20, 60, shape)
    dt = 0.9 * th.fv_stability_limit(k, rc, 1e-3, 500.0)
    args = (t0, k, rc, 1e-3, dt, 6)
    kw = dict(source_w_m3=q, h_top=500.0, t_inf=25.0, record_every=2)
    cpu, pc = th.solve_heat_fv(*args, **kw, backend="cpu")
    gpu, pg = th.solve_heat_fv(*args, **kw, backend="cuda")
    np.testing.assert_allclose(gpu, cpu, rtol=0, atol=1e-12 * np.abs(cpu).max())
    np.testing.assert_allclose(pg, pc, rtol=1e-12)
