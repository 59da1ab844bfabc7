"""CUDA twins of infralab.thermal against the CPU kernels, to 1e-12 (simulator or real GPU).

Both the one-launch stepping kernels (grid-wide barrier between steps) and the fallback that
launches one coalesced 2-D kernel per step are checked; the fallback runs where grid
synchronization is unavailable, which the tests force by patching ``backend.cooperative_blocks``.
"""

import numpy as np
import pytest

from infralab import backend
from infralab import thermal as th


@pytest.fixture(params=["cooperative", "per-step"])
def path(request, monkeypatch):
    if request.param == "per-step":
        monkeypatch.setattr(backend, "cooperative_blocks", lambda *a, **k: 0)
    return request.param


@pytest.mark.parametrize("n_steps", [0, 1, 4, 5])
def test_ftcs_twin_equals_cpu_kernel(path, n_steps):
    rng = np.random.default_rng(0)
    u0 = rng.random((13, 17))
    cpu = th.solve_heat_2d(u0, 1.0, 1.0, 0.2, n_steps, backend="cpu")
    gpu = th.solve_heat_2d(u0, 1.0, 1.0, 0.2, n_steps, backend="cuda")
    np.testing.assert_allclose(gpu, cpu, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(gpu[0], u0[0])       # the Dirichlet edges never move


def test_ftcs_twin_on_the_smallest_grid(path):
    u0 = np.zeros((3, 3))
    u0[1, 1] = 1.0
    gpu = th.solve_heat_2d(u0, 1.0, 1.0, 0.25, 1, backend="cuda")
    assert gpu[1, 1] == 0.0 and gpu.sum() == 0.0        # the centre's heat leaves to the fixed edges


@pytest.mark.parametrize("n_steps, every", [(6, 2), (7, 3), (5, 0), (0, 0)])
def test_fv_twin_equals_cpu_kernel(path, n_steps, every):
    rng = np.random.default_rng(1)
    shape = (6, 9)
    k = rng.uniform(1, 400, shape)
    rc = rng.uniform(1e6, 4e6, shape)
    q = rng.uniform(0, 1e8, shape)
    t0 = rng.uniform(20, 60, shape)
    dt = 0.9 * th.fv_stability_limit(k, rc, 1e-3, 500.0)
    args = (t0, k, rc, 1e-3, dt, n_steps)
    kw = dict(source_w_m3=q, h_top=500.0, t_inf=25.0, record_every=every)
    cpu, pc = th.solve_heat_fv(*args, **kw, backend="cpu")
    gpu, pg = th.solve_heat_fv(*args, **kw, backend="cuda")
    np.testing.assert_allclose(gpu, cpu, rtol=0, atol=1e-12 * np.abs(cpu).max())
    assert pg.shape == pc.shape == (n_steps // every if every else 0,)
    np.testing.assert_allclose(pg, pc, rtol=1e-12)


def test_fv_twin_input_is_not_modified(path):
    t0 = np.full((4, 5), 30.0)
    before = t0.copy()
    th.solve_heat_fv(t0, np.full((4, 5), 100.0), 2e6, 1e-3, 1e-3, 3, h_top=100.0, t_inf=20.0, backend="cuda")
    np.testing.assert_array_equal(t0, before)
