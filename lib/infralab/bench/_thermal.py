"""Benchmarks of infralab.thermal: the FTCS stencil and the chip-package solver."""

from __future__ import annotations

import numpy as np

from .. import backend as _backend
from .. import thermal
from . import best_time, gpu_time, record, register

#: Bytes a cell update must move at least: read the cell once, write it once (8-byte floats); the
#: neighbours come from cache. Like STREAM, write-allocate traffic is not counted.
FTCS_BYTES_PER_UPDATE = 16


@register("thermal")
def bench_ftcs(ctx: dict) -> list[dict]:
    n, steps = 2048, 100
    u0 = np.random.default_rng(0).random((n, n))
    dt = thermal.stability_limit(1.0, 1.0)
    t_np = best_time(lambda: thermal.ftcs_numpy(u0, 0.25, steps), repeats=1)
    t_k = best_time(lambda: thermal.solve_heat_2d(u0, 1.0, 1.0, dt, steps, backend="cpu"), repeats=3, warmup=1)
    updates = (n - 2) ** 2 * steps
    out = [record(ctx, "thermal.solve_heat_2d", f"{n}x{n} float64, {steps} steps", t_k, t_np,
                  items=updates, bytes_moved=FTCS_BYTES_PER_UPDATE * updates, backend="cpu",
                  note="items = cell updates; seconds include input checks and copies")]
    if ctx["backend"] == "cuda":
        out.extend(_ftcs_gpu(ctx, u0, dt, t_k / steps))
    return out


def _ftcs_gpu(ctx, u0, dt, cpu_per_step):
    """The FTCS twin on the GPU: the kernels alone on device arrays, then solve_heat_2d end to end."""
    from numba import cuda

    n, steps = u0.shape[0], 1000
    updates = (n - 2) ** 2 * steps
    size = f"{n}x{n} float64, {steps} steps"
    d_u, = _backend.to_device(u0)
    d_v = _backend.device_copy(d_u)
    out = []

    def one_step_kernels():
        for _ in range(steps):
            _backend.launch(thermal._ftcs_cuda, u0.shape, d_u, d_v, 0.25)
    t_one = gpu_time(one_step_kernels, repeats=3)
    out.append(record(ctx, "thermal.ftcs_kernel", size, t_one, None, baseline="none", items=updates,
                      bytes_moved=FTCS_BYTES_PER_UPDATE * updates, backend="cuda", cpu_seconds=cpu_per_step * steps,
                      note="one launch per step, (32, 8) blocks, device arrays; includes numba's Python launch "
                           "cost per step, so the GPU may idle between launches"))
    coop = dict(blocks=n - 2, threads_per_block=thermal.STEP_THREADS, cooperative=True)
    if _backend.launch(thermal._ftcs_steps_cuda, None, d_u, d_v, 0.25, 0, **coop) is not None:
        t_coop = gpu_time(lambda: _backend.launch(thermal._ftcs_steps_cuda, None, d_u, d_v, 0.25, steps, **coop),
                          repeats=3)
        out.append(record(ctx, "thermal.ftcs_steps_kernel", size, t_coop, None, baseline="none", items=updates,
                          bytes_moved=FTCS_BYTES_PER_UPDATE * updates, backend="cuda",
                          cpu_seconds=cpu_per_step * steps, note="all steps in one cooperative launch, device arrays"))
    t_g = best_time(lambda: thermal.solve_heat_2d(u0, 1.0, 1.0, dt, steps, backend="cuda"), repeats=3, warmup=1)
    kernel_best = min(r["seconds"] for r in out)
    out.append(record(ctx, "thermal.solve_heat_2d", size, t_g, None, baseline="none", items=updates,
                      bytes_moved=FTCS_BYTES_PER_UPDATE * updates, backend="cuda", cpu_seconds=cpu_per_step * steps,
                      per_step_over_kernel=t_g / kernel_best,
                      note="end to end: input checks, one copy in, one copy out; CPU time scaled from 100 steps"))
    cuda.synchronize()
    return out


@register("thermal")
def bench_package(ctx: dict) -> list[dict]:
    model = thermal.package_model(700, "air")
    size = f"{model.k.shape[0]}x{model.k.shape[1]} cells, 60 s air"
    runs = []
    t_k = best_time(lambda: runs.append(thermal.simulate_package(model, 60.0)), repeats=2, warmup=1)
    updates = runs[-1]["n_steps"] * model.k.size
    out = [record(ctx, "thermal.simulate_package", size, t_k, None, baseline="none", items=updates,
                  backend=_backend.choose("thermal.fv", model.k.size).backend,
                  note="the notebook's slider cost for a new cooling type (automatic backend); "
                       "a power change reuses it")]
    if ctx["backend"] == "cuda":
        t_cpu = best_time(lambda: thermal.simulate_package(model, 60.0, backend="cpu"), repeats=2, warmup=1)
        t_g = best_time(lambda: thermal.simulate_package(model, 60.0, backend="cuda"), repeats=2, warmup=1)
        out.append(record(ctx, "thermal.simulate_package", size, t_g, None, baseline="none", items=updates,
                          backend="cuda", cpu_seconds=t_cpu,
                          note="forced onto the GPU: one cooperative launch, grid-wide barrier per step"))
    return out
