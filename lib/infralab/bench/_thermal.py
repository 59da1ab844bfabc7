"""Benchmarks of infralab.thermal: the FTCS stencil and the chip-package solver."""

from __future__ import annotations

import numpy as np

from .. import thermal
from . import best_time, record, register

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
        t_g = best_time(lambda: thermal.solve_heat_2d(u0, 1.0, 1.0, dt, steps, backend="cuda"), repeats=3, warmup=1)
        out.append(record(ctx, "thermal.solve_heat_2d", f"{n}x{n} float64, {steps} steps", t_g, t_np,
                          items=updates, backend="cuda", gpu_GBps=FTCS_BYTES_PER_UPDATE * updates / t_g / 1e9,
                          note="includes host-device copies"))
    return out


@register("thermal")
def bench_package(ctx: dict) -> list[dict]:
    model = thermal.package_model(700, "air")
    runs = []
    t_k = best_time(lambda: runs.append(thermal.simulate_package(model, 60.0)), repeats=2, warmup=1)
    updates = runs[-1]["n_steps"] * model.k.size
    return [record(ctx, "thermal.simulate_package", f"{model.k.shape[0]}x{model.k.shape[1]} cells, "
                   f"60 s air", t_k, None, baseline="none", items=updates,
                   note="the notebook's slider cost for a new cooling type; a power change reuses it")]
